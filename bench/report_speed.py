"""`threatmodel report SCENARIO --format json` wall time against the floor of our own stack.

The floor is bench/floor_app.py: typer + pydantic start-up and one model printed. Both run as fresh
processes, alternating, so machine noise hits both alike; we print medians and their ratio.
Target (issue 2): ratio <= 1.5.   Usage: python bench/report_speed.py [RUNS]
"""

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


def main(runs: int) -> None:
    exe = shutil.which("threatmodel")
    ours = [exe, "report", str(SCENARIO), "--format", "json"] if exe else None
    if ours is None:
        sys.exit("threatmodel is not installed (pip install -e .)")
    floor = [sys.executable, str(ROOT / "bench" / "floor_app.py"), "x"]
    bare = [sys.executable, "-c", "pass"]
    samples: dict[str, list[float]] = {"bare": [], "floor": [], "report": []}
    for cmd in (bare, floor, ours):  # warm the file cache
        _time(cmd)
    for _ in range(runs):
        samples["bare"].append(_time(bare))
        samples["floor"].append(_time(floor))
        samples["report"].append(_time(ours))
    med = {k: statistics.median(v) for k, v in samples.items()}
    print(f"runs per command: {runs}")
    for name, value in med.items():
        print(f"  {name:<7} median {value * 1000:7.1f} ms")
    print(f"report / floor = {med['report'] / med['floor']:.2f}   (target <= 1.5)")
    print(f"report / bare interpreter = {med['report'] / med['bare']:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
