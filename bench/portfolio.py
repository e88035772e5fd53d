"""The organisation's register over 1,000 answers files in one git repository, each in its own
team folder (target: under 10 s on a 2-core machine), against `check` on the same files in one
call (the baseline: assessing them, without the register), the same run.

Usage: python bench/portfolio.py"""

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNT = 1000


def _estate(folder: Path) -> list[str]:
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    out = []
    for n in range(COUNT):
        team = folder / f"team-{n:04d}"
        team.mkdir()
        target = team / "threat-assessment.yaml"
        shutil.copyfile(examples[n % len(examples)], target)
        out.append(str(target))
    git = [
        "git",
        "-c",
        "user.name=b",
        "-c",
        "user.email=b@example.org",
        "-c",
        "commit.gpgsign=false",
    ]
    subprocess.run([*git, "init", "-q"], cwd=folder, check=True)
    subprocess.run([*git, "add", "-A"], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "estate"], cwd=folder, check=True)
    return out


def _seconds(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode not in (0, 1):
        sys.exit(f"{cmd[:2]} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return time.perf_counter() - start


def main() -> None:
    exe = shutil.which("threatmodel")
    if exe is None:
        sys.exit("threatmodel is not installed (pip install -e .)")
    with tempfile.TemporaryDirectory() as tmp:
        files = _estate(Path(tmp))
        _seconds([exe, "check", *files[:5]])  # the pack cache warm
        check = _seconds([exe, "check", *files])
        register = {
            fmt: _seconds([exe, "portfolio", tmp, "--format", fmt, "--output", f"{tmp}/r.{fmt}"])
            for fmt in ("json", "html")
        }
    for fmt, seconds in register.items():
        print(f"portfolio --format {fmt}, {COUNT} files: {seconds:.2f} s (target < 10 s); "
              f"check on the same files: {check:.2f} s; ratio {seconds / check:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
