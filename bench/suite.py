"""Time the test suite and check that it repeats green: the README's "Tests" figures.

    .venv/bin/python bench/suite.py                 # whole suite once, unit tier, 10 repeats
    .venv/bin/python bench/suite.py --repeats 3 --skip-full

Runs pytest as `make test` does (three workers) and reports wall times; then runs
`tests/test_weekly.py tests/test_workflow.py` `--repeats` times in a row and
counts the green runs. Nothing here is asserted: it prints what it measured.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATED = ["tests/test_weekly.py", "tests/test_workflow.py"]


def pytest(*args: str) -> tuple[float, bool, str]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - started
    summary = (done.stdout.strip().splitlines() or [""])[-1]
    return elapsed, done.returncode == 0, summary


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--skip-full", action="store_true", help="skip the whole-suite run")
    args = parser.parse_args()
    if not args.skip_full:
        elapsed, ok, summary = pytest("-n", "3")
        print(
            f"whole suite (-n 3): {elapsed:.1f} s  {'green' if ok else 'RED'}  [{summary}]",
            flush=True,
        )
    elapsed, ok, summary = pytest("-m", "not e2e and not render and not slow")
    print(f"unit tier: {elapsed:.1f} s  {'green' if ok else 'RED'}  [{summary}]", flush=True)
    times, green = [], 0
    for run in range(1, args.repeats + 1):
        elapsed, ok, summary = pytest("-n", "2", *REPEATED)
        times.append(elapsed)
        green += ok
        print(
            f"repeat {run}/{args.repeats}: {elapsed:.1f} s  {'green' if ok else 'RED'}  [{summary}]",
            flush=True,
        )
    print(
        f"{' '.join(REPEATED)}: {green}/{args.repeats} green, median {statistics.median(times):.1f} s"
    )
    return 0 if green == args.repeats else 1


if __name__ == "__main__":
    sys.exit(main())
