"""Dependencies pinned and audited: requirements.lock pins every distribution onetouch and its
test extra need, at the version installed, and ./run installs under it; CI runs pip-audit, a
known vulnerability fails it, a missing network is said and is not fatal."""

from __future__ import annotations

import importlib.metadata as metadata
import importlib.util
import json
import sys
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.security.personal_data import ROOT

LOCK = ROOT / "requirements.lock"
NOT_PINNED = {"onetouch", "pip", "setuptools"}


def _load_audit():
    spec = importlib.util.spec_from_file_location("audit_deps", ROOT / ".ci" / "audit_deps.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["audit_deps"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


audit = _load_audit()


def _pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep and version, f"requirements.lock: {line!r} is not pinned with =="
            pins[canonicalize_name(name)] = version.strip()
    return pins


def _needed() -> dict[str, str]:
    """Every distribution pyproject.toml's dependencies and test extra need, installed version."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    todo = [Requirement(r) for r in project["dependencies"]
            + project["optional-dependencies"]["test"]]
    found: dict[str, str] = {}
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in found or (req.marker and not any(
                req.marker.evaluate({"extra": e}) for e in ("", *req.extras))):
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{req.name} is required but not installed: run ./run to install")
        found[name] = dist.version
        for text in dist.requires or []:
            sub = Requirement(text)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e})
                                         for e in ("", *req.extras)):
                todo.append(sub)
    return found


def test_every_needed_distribution_is_pinned_at_the_installed_version():
    pins, needed = _pins(), _needed()
    assert len(needed) > 100
    unpinned = sorted(set(needed) - set(pins) - NOT_PINNED)
    assert not unpinned, f"not in requirements.lock: {unpinned} (run ./run lock)"
    drifted = {n: (v, pins[n]) for n, v in needed.items() if n in pins and pins[n] != v}
    assert not drifted, f"installed != pinned: {drifted} (run ./run, or ./run lock)"


def test_run_installs_under_the_lock_and_ci_audits():
    run = (ROOT / "run").read_text()
    assert "-c requirements.lock" in run and "requirements.lock -nt" in run
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci.index("./run audit   # known vulnerabilities fail the build; no network to ask "
                    "is said, not fatal") < ci.index("./run test")
    assert "pip-audit>=" in (ROOT / "pyproject.toml").read_text()


def _report(*deps: dict) -> str:
    return json.dumps({"dependencies": list(deps), "fixes": []})


VULN = {"name": "jinja2", "version": "3.1.2", "vulns": [
    {"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"], "aliases": ["CVE-2024-22195"],
     "description": "xmlattr"}]}
CLEAN = {"name": "httpx", "version": "0.28.1", "vulns": []}
SKIPPED = {"name": "aiosqlite",
           "skip_reason": "Dependency not found on PyPI and could not be audited: aiosqlite "
                          "(0.22.1)"}
NETWORK_TRACE = ("Traceback (most recent call last):\n  ...\nrequests.exceptions.ConnectionError: "
                 "HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded with url: "
                 "/pypi/aiosqlite/0.22.1/json (Caused by NameResolutionError(...))")


@pytest.mark.parametrize(("returncode", "stdout", "stderr", "status", "says"), [
    (1, _report(VULN, CLEAN, SKIPPED), "", 1, "1 known vulnerabilities in 1 of 2 audited"),
    (0, _report(CLEAN, SKIPPED), "", 0, "no known vulnerabilities in 1 packages; 1 not audited"),
    (0, _report(SKIPPED, SKIPPED), "", 0, "could not run: the vulnerability service answered "
                                          "for none of the 2"),
    (1, "", NETWORK_TRACE, 0, "could not run: the vulnerability service is unreachable"),
    (2, "", "pip-audit: error: unrecognized arguments: --bogus", 2, "pip-audit failed (exit 2)"),
    (1, _report(CLEAN), "something broke", 2, "pip-audit failed (exit 1)"),
], ids=["vulnerable", "clean", "all-skipped", "no-network", "usage-error", "failed"])
def test_the_audit_fails_on_a_vulnerability_and_says_when_it_could_not_run(
        returncode, stdout, stderr, status, says):
    verdict = audit.judge(returncode, stdout, stderr)
    assert verdict.status == status and says in verdict.message
    if status == 1:
        assert "jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in verdict.message


def test_every_package_the_code_imports_is_declared():
    import ast

    declared = {canonicalize_name(Requirement(r).name) for r in tomllib.loads(
        (ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    roots = ["onetouch", "flows", "integrations", "sandbox", "policy", "understanding",
             "simulate"]
    imported = set()
    for path in (p for root in roots for p in (ROOT / root).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - set(roots)
    owners = metadata.packages_distributions()
    undeclared = {module: owners.get(module) for module in third_party
                  if not {canonicalize_name(d) for d in owners.get(module, [])} & declared}
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"
