"""The type checker runs clean: mypy over every package, strict on the domain models, the
policy and the platform's clients (pyproject.toml's [tool.mypy])."""

from __future__ import annotations

import subprocess
import sys

from onetouch.settings import PROJECT_ROOT


def test_mypy_finds_no_errors(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path)],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=280,
                          check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout
