"""Start-up against the import floor, as fresh processes, alternating so that noise hits both.

- `threatmodel report SCENARIO --format json` against `python -c "import typer, pydantic, yaml"`
  (target: <= 1.5);
- `threatmodel --version` against `python -c "import typer"` (target: <= 1.3);
- peak memory (maximum resident set) of a report in each format (target: < 100 MB).

Usage: python bench/startup.py [RUNS]
"""

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "examples" / "spam-celebrity.yaml"


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _pair(ours: list[str], floor: list[str], runs: int) -> tuple[float, float]:
    a, b = [], []
    for _ in range(runs):
        a.append(_time(ours))
        b.append(_time(floor))
    return statistics.median(a), statistics.median(b)


def main(runs: int) -> None:
    exe = shutil.which("threatmodel")
    if exe is None:
        sys.exit("threatmodel is not installed (pip install -e .)")
    _time([exe, "report", str(SCENARIO), "--format", "json"])  # fill the pack cache
    cases = [
        (
            "report --format json / import typer, pydantic, yaml",
            [exe, "report", str(SCENARIO), "--format", "json"],
            [sys.executable, "-c", "import typer, pydantic, yaml"],
            1.5,
        ),
        (
            "--version / import typer",
            [exe, "--version"],
            [sys.executable, "-c", "import typer"],
            1.3,
        ),
    ]
    for label, ours, floor, target in cases:
        mine, base = _pair(ours, floor, runs)
        print(f"{label}: {mine * 1000:.0f} ms / {base * 1000:.0f} ms = {mine / base:.2f}"
              f"   (target <= {target})")  # fmt: skip


def _peak_mb(cmd: list[str]) -> float:
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
        _, _, usage = os.wait4(process.pid, 0)
        process.returncode = 0
    return usage.ru_maxrss / 1024  # kilobytes on Linux


def memory() -> None:
    exe = shutil.which("threatmodel")
    assert exe is not None
    for fmt in ("json", "md", "html", "csv", "sarif", "pdf"):
        peak = _peak_mb([exe, "report", str(SCENARIO), "--format", fmt])
        print(f"report --format {fmt}: peak {peak:.0f} MB   (target < 100 MB)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
    memory()
