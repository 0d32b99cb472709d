"""Throughput: the new path (resolvers) against the old one (a flow-run process per contact).

Run: .venv/bin/python benchmarks/throughput.py [--contacts 500] [--old-contacts 40]
         [--sequential 20] [--resolvers 1 2] [--workers 1 2] [--paths new old] [--samples 1]
         [--json] [--replay WORLD CONTACTS]

Each path on a fresh `onetouch up` (fresh PostgreSQL databases for the Prefect server and
the case store), measured the same way: sent = the intake's 202 for a contact, done = its
outcome row first seen in the case store (polled every 0.05 s one at a time, 0.1 s in a
burst). New path: N resolvers (`--resolvers`), 1 process worker. Old path
(`ONETOUCH_CONTACT_DISPATCH=flow-runs`): N process workers (`--workers`) of 3 flow runs each.
- sequential: 1 warm-up contact, then contacts one at a time: p50/p95 intake→outcome;
- burst: contacts POSTed at once (4 client threads): first POST → last outcome, contacts/s,
  p50/p95 intake→outcome, CPU seconds per contact of each process family and of PostgreSQL;
- replay (with --replay): wall time of `onetouch replay` on the embedded SQLite default, in
  a PREFECT_HOME of its own whose database is created first (untimed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from benchmarks.throughput_stack import PARTS, WORKER_LIMIT, Setup, measure  # noqa: E402

OLD_NOTE = ("old path: {n} contacts per burst (--old-contacts): it costs ~4-5 s of CPU per "
            "contact, 500 would take ~40 min; its figures are measured at {n}, not scaled")
# (key, row label, format); ratios old/new are printed for each
ROWS = [("up_s", "stack up s", "{:.0f}"), ("burst_count", "burst contacts", "{:.0f}"),
        ("burst_posted_s", "burst: all POSTed s", "{:.1f}"),
        ("burst_span_s", "burst: 1st POST → last outcome s", "{:.1f}"),
        ("burst_per_s", "burst: contacts/s", "{:.2f}"),
        ("burst_p50_s", "burst: p50 intake→outcome s", "{:.2f}"),
        ("burst_p95_s", "burst: p95 intake→outcome s", "{:.2f}"),
        ("seq_count", "sequential contacts", "{:.0f}"),
        ("seq_p50_s", "sequential: p50 intake→outcome s", "{:.2f}"),
        ("seq_p95_s", "sequential: p95 intake→outcome s", "{:.2f}"),
        ("cpu_total", "CPU s/contact: total", "{:.3f}"),
        ("cpu_onetouch", "CPU s/contact: onetouch (no sandbox)", "{:.3f}"),
        *[(f"cpu_{part}", f"  {part}", "{:.3f}") for part in PARTS],
        ("runs_per_contact", "contact runs per burst contact", "{:.2f}"),
        ("other_runs", "other flow runs during the burst", "{:.0f}"),
        ("burst_missing", "burst contacts with no outcome", "{:.0f}"),
        ("load_end", "load average (1 min) at the end", "{:.1f}")]


def _burst_verdict(r: dict[str, Any]) -> str:
    """The 500-contact target: every outcome within 90 s of the first POST."""
    if r["burst_count"] >= 500:
        return "met" if r["burst_span_s"] <= 90 and not r["burst_missing"] else "missed"
    return "missed" if r["burst_span_s"] > 90 else f"n/a at {r['burst_count']:.0f}"


TARGETS = {"burst_span_s": ("500 contacts: ≤ 90 s", _burst_verdict),
           "seq_p95_s": ("≤ 1.5 s", lambda r: "met" if r["seq_p95_s"] <= 1.5 else "missed"),
           "cpu_onetouch": ("≤ 0.2 s", lambda r: "met" if r["cpu_onetouch"] <= 0.2
                            else "missed")}


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=500, help="new-path burst size")
    parser.add_argument("--old-contacts", type=int, default=40, help="old-path burst size")
    parser.add_argument("--sequential", type=int, default=20, help="contacts one at a time")
    parser.add_argument("--resolvers", type=int, nargs="+", default=[1, 2],
                        help="resolver counts for the new path")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help=f"process workers ({WORKER_LIMIT} runs each) for the old path")
    parser.add_argument("--paths", nargs="+", choices=["new", "old"], default=["new", "old"])
    parser.add_argument("--samples", type=int, default=1, help="stacks per setup, alternated")
    parser.add_argument("--stall", type=float, default=300,
                        help="give up waiting after this many seconds with no new outcome")
    parser.add_argument("--replay", nargs=2, type=Path, metavar=("WORLD", "CONTACTS"))
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser.parse_args()


def plan(args: argparse.Namespace) -> list[Setup]:
    """The stacks to measure in order: paths alternated, the first path swapped each sample."""
    new = [Setup("new", n, args.contacts) for n in args.resolvers] * ("new" in args.paths)
    old = [Setup("old", n, args.old_contacts) for n in args.workers] * ("old" in args.paths)
    order: list[Setup] = []
    for sample in range(args.samples):
        first, second = (new, old) if sample % 2 == 0 else (old, new)
        for i in range(max(len(first), len(second))):
            order += first[i:i + 1] + second[i:i + 1]
    return order


def _replay_once(world: Path, contacts: Path, env: dict[str, str], out: Path) -> dict:
    """One `onetouch replay` subprocess: wall time, exit code, outcome lines."""
    started = time.monotonic()
    done = subprocess.run([str(ROOT / ".venv/bin/onetouch"), "replay", str(world), "--contacts",
                           str(contacts), "--out", str(out)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    wall = time.monotonic() - started
    lines = sum(1 for line in out.read_text().splitlines() if line) if out.exists() else 0
    tail = [line for line in done.stderr.splitlines() if not line.startswith(("│", "╭", "╰"))]
    return {"wall_s": round(wall, 1), "exit_code": done.returncode, "outcome_lines": lines,
            "stderr_tail": "\n".join(tail[-8:]) if done.returncode else ""}


def replay(world: Path, contacts: Path) -> dict[str, Any]:
    """`onetouch replay` on the embedded SQLite server, in a PREFECT_HOME of its own (the
    repository's `.prefect` is shared with other work), its database created first, untimed."""
    drop = ("PREFECT_API_URL", "PREFECT_SERVER_DATABASE_CONNECTION_URL",
            "PREFECT_API_DATABASE_CONNECTION_URL")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("ONETOUCH_")}
    expected = sum(1 for line in contacts.read_text().splitlines() if line.strip())
    with tempfile.TemporaryDirectory(prefix="onetouch-replay-") as tmp:
        env["PREFECT_HOME"] = str(Path(tmp) / "prefect")
        started = time.monotonic()
        subprocess.run([str(ROOT / ".venv/bin/prefect"), "server", "database", "upgrade", "-y"],
                       env=env, cwd=ROOT, capture_output=True, check=True, timeout=600)
        prepared = round(time.monotonic() - started, 1)
        run = _replay_once(world, contacts, env, Path(tmp) / "out.jsonl")
    return {"contacts": expected, "database_s": prepared} | run


def aggregate(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each setup's figures: the median over its samples (one sample: its figures)."""
    by: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        by.setdefault(result["label"], []).append(result)
    merged = {}
    for label, samples in by.items():
        ok = [s for s in samples if "error" not in s] or samples
        keys = {k for s in ok for k, v in s.items() if isinstance(v, int | float)}
        merged[label] = ok[-1] | {k: statistics.median(s[k] for s in ok if k in s)
                                  for k in keys}
    return merged


def pairs(labels: list[str]) -> list[tuple[str, str]]:
    """(old, new) columns compared: the i-th worker count with the i-th resolver count."""
    new = [label for label in labels if label.startswith("new")]
    old = [label for label in labels if label.startswith("old")]
    return list(zip(old, new, strict=False))


def _cell(fmt: str, value: Any) -> str:
    return fmt.format(value) if isinstance(value, int | float) else "-"


def _ratio(a: Any, b: Any) -> str:
    ok = isinstance(a, int | float) and isinstance(b, int | float) and b
    return f"{a / b:.2f}" if ok else "-"


def _target(key: str, merged: dict[str, dict[str, Any]]) -> str:
    if key not in TARGETS:
        return ""
    text, verdict = TARGETS[key]
    news = [(label, r) for label, r in merged.items() if label.startswith("new")]
    found = ", ".join(f"{label.split()[1]} {verdict(r)}" for label, r in news
                      if isinstance(r.get(key), int | float))
    return f"{text}: {found}" if found else text


def print_table(merged: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    """Figures side by side, old/new ratios, the target of each row."""
    labels = list(merged)
    compared = pairs(labels)
    head = [f"{label:>10}" for label in labels] + [
        f"{o.split()[1] + '/' + n.split()[1]:>10}" for o, n in compared]
    print(f"{'figure':<38}" + "".join(head) + "  target (new path)")
    print(f"{'':<38}" + " " * 10 * len(labels) + "".join(f"{'old/new':>10}" for _ in compared))
    for key, name, fmt in ROWS:
        cells = [f"{_cell(fmt, merged[label].get(key)):>10}" for label in labels]
        ratios = [f"{_ratio(merged[o].get(key), merged[n].get(key)):>10}" for o, n in compared]
        print(f"{name:<38}" + "".join(cells + ratios) + f"  {_target(key, merged)}")
    _print_notes(merged, args)


def _print_notes(merged: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    """Scaling ratios, outcomes, errors and the old path's burst size."""
    for path, unit in (("new", "resolver"), ("old", "worker")):
        counts = sorted(int(label.split("=")[1]) for label in merged if label.startswith(path))
        if len(counts) > 1:
            low, high = (merged[f"{path} {unit[0]}={n}"] for n in (counts[0], counts[-1]))
            print(f"{path} path, {counts[-1]} {unit}s / {counts[0]}: contacts/s "
                  f"{_ratio(high.get('burst_per_s'), low.get('burst_per_s'))}x, burst span "
                  f"{_ratio(high.get('burst_span_s'), low.get('burst_span_s'))}x")
    for label, r in merged.items():
        if r.get("outcomes"):
            print(f"{label}: burst outcomes {r['outcomes']}")
        if r.get("error") or r.get("logs"):
            print(f"{label}: {r.get('error', 'contacts without outcome')}; logs in {r['logs']}")
    if "old" in args.paths:
        print(OLD_NOTE.format(n=args.old_contacts))
    if args.samples > 1:
        print(f"each column: the median of {args.samples} stacks, paths alternated")


def print_replay(result: dict[str, Any]) -> None:
    """The replay's wall time against its target (92 contacts ≤ 30 s)."""
    count = result["contacts"]
    lines = "one per contact" if result["outcome_lines"] == count else (
        f"MISMATCH: {result['outcome_lines']} lines for {count} contacts")
    ok = result["wall_s"] <= 30 and not result["exit_code"]
    verdict = ("met" if ok else "missed") if count == 92 else f"n/a at {count} contacts"
    print(f"replay ({count} contacts, SQLite, database created first in "
          f"{result['database_s']:.1f} s): {result['wall_s']:.1f} s wall, exit "
          f"{result['exit_code']}, outcomes file {lines}; target 92 contacts ≤ 30 s: {verdict}")
    if result["exit_code"]:
        print(result["stderr_tail"])


def main() -> None:
    args = _args()
    replayed = replay(*args.replay) if args.replay else None
    if replayed:
        print(f"replay: {json.dumps(replayed)}", file=sys.stderr)
    results = []
    for setup in plan(args):
        print(f"{setup.label()}: {setup.contacts} contacts, load {os.getloadavg()}",
              file=sys.stderr)
        results.append(measure(setup, args.sequential, args.stall))
        print(f"{setup.label()}: {json.dumps(results[-1])}", file=sys.stderr)
    merged = aggregate(results)
    if args.json:
        print(json.dumps({"results": results, "merged": merged, "replay": replayed,
                          "loadavg": os.getloadavg()}, indent=2))
        return
    if merged:
        print_table(merged, args)
    if replayed:
        print_replay(replayed)
    print(f"load average at the end {tuple(round(x, 1) for x in os.getloadavg())} "
          "(2 cores, shared with other work)")


if __name__ == "__main__":
    main()
