"""The `onetouch` command keeps the user's Prefect home and profile, and sends the project's
log records to the run logs Prefect keeps."""

from __future__ import annotations

import os
import subprocess
import sys

from onetouch.settings import PROJECT_LOGGERS, PROJECT_ROOT

SCRIPT = """
import os
import onetouch.cli
from prefect.settings import PREFECT_API_URL, PREFECT_HOME, PREFECT_LOGGING_EXTRA_LOGGERS
print(os.environ.get("PREFECT_HOME"))
print(PREFECT_API_URL.value())
print(PREFECT_HOME.value())
print(",".join(PREFECT_LOGGING_EXTRA_LOGGERS.value()))
"""


def test_the_cli_keeps_the_users_prefect_home_and_profile(tmp_path):
    home = tmp_path / "home"
    (home / ".prefect").mkdir(parents=True)
    (home / ".prefect" / "profiles.toml").write_text(
        'active = "team"\n\n[profiles.team]\nPREFECT_API_URL = "http://127.0.0.1:9/api"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {
        "HOME": str(home)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    *where, loggers = done.stdout.splitlines()
    assert where == ["None", "http://127.0.0.1:9/api", str(home / ".prefect")]
    assert set(loggers.split(",")) == set(PROJECT_LOGGERS.split(","))
