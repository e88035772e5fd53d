"""Many answers files in one call, as CI and pre-commit run it: `check` on 300 files (target
>= 150 files/s) and `report --output-dir` on the same 300, against one process per file (timed
on 20 files, the same run).

Usage: python bench/many_files.py"""

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNT = 300


def _files(folder: Path) -> list[str]:
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    out = []
    for n in range(COUNT):
        target = folder / f"assessment-{n:03d}.yaml"
        shutil.copyfile(examples[n % len(examples)], target)
        out.append(str(target))
    return out


def _seconds(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if done.returncode not in (0, 1):  # 1: a risk at or above --fail-on, as most examples have
        sys.exit(f"{cmd[:2]} exited {done.returncode}")
    return time.perf_counter() - start


def main() -> None:
    exe = shutil.which("threatmodel")
    if exe is None:
        sys.exit("threatmodel is not installed (pip install -e .)")
    with tempfile.TemporaryDirectory() as tmp:
        files = _files(Path(tmp))
        _seconds([exe, "check", *files[:5]])  # the pack cache warm
        check = _seconds([exe, "check", *files])
        report = _seconds([exe, "report", *files, "--output-dir", str(Path(tmp) / "out")])
        one_each = sum(_seconds([exe, "check", f]) for f in files[:20]) / 20
    print(f"check, {COUNT} files in one call: {check:.2f} s = {COUNT / check:.0f} files/s "
          f"(target >= 150); one process per file: {1 / one_each:.1f} files/s, "
          f"{one_each * COUNT / check:.0f}x slower")  # fmt: skip
    print(f"report --output-dir, {COUNT} files (Markdown): {report:.2f} s = "
          f"{COUNT / report:.0f} files/s")  # fmt: skip


if __name__ == "__main__":
    main()
