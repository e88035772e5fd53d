"""Time from starting `threatmodel assess` to its first prompt, against the import floor of its
dependencies (a process that imports typer, pydantic, yaml and questionary and prints).

Both run in a real pseudo-terminal (pexpect), alternating; medians and their ratio are printed.
Target (issue 3): first prompt within 0.5 s.   Usage: python bench/first_prompt.py [RUNS]
"""

import os
import shutil
import statistics
import sys
import tempfile
import time

import pexpect

FLOOR = "import typer, pydantic, yaml, questionary; print('ready', flush=True)"
ENV = {**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm"}


def _until(cmd: str, args: list[str], marker: str, cwd: str) -> float:
    start = time.perf_counter()
    child = pexpect.spawn(cmd, args, cwd=cwd, env=ENV, encoding="utf-8", timeout=30)
    child.expect_exact(marker)
    elapsed = time.perf_counter() - start
    child.terminate(force=True)
    return elapsed


def main(runs: int) -> None:
    exe = shutil.which("threatmodel")
    if exe is None:
        sys.exit("threatmodel is not installed (pip install -e .)")
    floor, ours = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs + 1):
            f = _until(sys.executable, ["-c", FLOOR], "ready", tmp)
            o = _until(exe, ["assess", f"a{i}.yaml"], "What is the system called?", tmp)
            if i:  # the first pair warms the file cache
                floor.append(f)
                ours.append(o)
    f, o = statistics.median(floor), statistics.median(ours)
    print(f"runs: {runs}")
    print(f"  import floor (typer, pydantic, yaml, questionary) median {f * 1000:6.1f} ms")
    print(f"  threatmodel assess to first prompt           median {o * 1000:6.1f} ms")
    print(f"first prompt / import floor = {o / f:.2f}; first prompt {o:.2f} s (target <= 0.5 s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
