"""Audit the installed environment (.venv) for known vulnerabilities with pip-audit.

Exit status:
  1  a known vulnerability was found: the build fails;
  0  none was found; or the audit could not run for want of the network (the vulnerability
     service unreachable, or answering for none of the packages), which is printed as such:
     "could not run", never as a pass;
  2  pip-audit itself failed in another way.

pip-audit asks PyPI's JSON API (`https://pypi.org/pypi/NAME/VERSION/json`) about each installed
distribution. Where only the package index is reachable (this project's machines: the index
answers, the per-version JSON API answers 404), every package comes back "not found on PyPI"
and nothing is audited.

Run as `./run audit` (or `.venv/bin/python .ci/audit_deps.py`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

COMMAND = ["-m", "pip_audit", "--local", "--skip-editable", "--format", "json",
           "--progress-spinner", "off", "--timeout", "15"]
NETWORK_SIGNS = ("requests.exceptions.", "Max retries exceeded", "NameResolutionError",
                 "Failed to establish a new connection", "Temporary failure in name resolution",
                 "Read timed out", "ConnectTimeout", "SSLError")
FOUND, CLEAN, BROKEN = 1, 0, 2


@dataclass(frozen=True)
class Verdict:
    status: int
    message: str


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no output)"


def judge(returncode: int, stdout: str, stderr: str) -> Verdict:
    """What pip-audit's JSON report (or its failure) means for the build."""
    try:
        report = json.loads(stdout) if stdout.strip() else None
    except json.JSONDecodeError:
        report = None
    if not isinstance(report, dict) or "dependencies" not in report:
        if any(sign in stderr for sign in NETWORK_SIGNS):
            return Verdict(CLEAN, "pip-audit could not run: the vulnerability service is "
                                  f"unreachable ({_last_line(stderr)}). Nothing was audited.")
        return Verdict(BROKEN, f"pip-audit failed (exit {returncode}): {_last_line(stderr)}")
    deps = report["dependencies"]
    found = [(d["name"], d["version"], v["id"], v.get("fix_versions") or [])
             for d in deps for v in d.get("vulns") or []]
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = len(deps) - len(skipped)
    if found:
        lines = [f"  {name} {version}: {vuln} (fixed in {', '.join(fix) or 'no release yet'})"
                 for name, version, vuln, fix in found]
        return Verdict(FOUND, f"pip-audit: {len(found)} known vulnerabilities in "
                              f"{len({f[0] for f in found})} of {audited} audited packages:\n"
                       + "\n".join(lines))
    if returncode != 0:
        return Verdict(BROKEN, f"pip-audit failed (exit {returncode}): {_last_line(stderr)}")
    if audited == 0:
        example = skipped[0]["skip_reason"] if skipped else "no packages listed"
        return Verdict(CLEAN, f"pip-audit could not run: the vulnerability service answered for "
                              f"none of the {len(skipped)} installed packages (e.g. {example!r});"
                              " PyPI's per-version JSON API is not reachable from this machine. "
                              "Nothing was audited.")
    note = (f"; {len(skipped)} not audited ({', '.join(d['name'] for d in skipped)})"
            if skipped else "")
    return Verdict(CLEAN, f"pip-audit: no known vulnerabilities in {audited} packages{note}")


def main() -> int:
    try:
        done = subprocess.run([sys.executable, *COMMAND], capture_output=True, text=True,
                              timeout=900, check=False)
    except subprocess.TimeoutExpired:
        print("pip-audit could not run: no answer from the vulnerability service within 900 s."
              " Nothing was audited.")
        return CLEAN
    verdict = judge(done.returncode, done.stdout, done.stderr)
    print(verdict.message, flush=True)
    return verdict.status


if __name__ == "__main__":
    sys.exit(main())
