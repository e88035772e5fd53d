"""A pack of 1,000 threats against one of 10,000: loading, assessing and reporting should grow
linearly (target: ratio <= 12) and the large pack stay under 2 s warm (from the pack cache).

Usage: python bench/pack_scale.py
"""

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "examples" / "spam-celebrity.yaml"
THREAT = """id: {id}
title: Generated threat {n}
summary: A generated threat for the benchmark.
description: A generated threat for the benchmark.
applies_when:
  all:
    - {{q: outputs.logged, is: true}}
    - {{ref: personal_inputs}}
likelihood:
  base: limited
  modifiers:
    - when: {{q: adversary.motivation, is: high}}
      raise: 1
      because: Motivated adversaries.
severity:
  base: limited
  modifiers:
    - when: {{ref: reveals_special_category}}
      at_least: significant
      because: Special-category data.
mitigations:
  - id: fix-{n}
    title: Fix it
    description: Fix it.
    reduces: {{likelihood: 1}}
"""


def make_pack(folder: Path, count: int) -> Path:
    (folder / "threats").mkdir(parents=True)
    (folder / "pack.yaml").write_text(f"name: gen-{count}\nversion: 1.0.0\nengine: '>=0.1,<1'\n")
    for n in range(count):
        tid = f"generated-{n:05d}"
        (folder / "threats" / f"{tid}.yaml").write_text(THREAT.format(id=tid, n=n))
    return folder


def warm_seconds(exe: str, pack: Path, cache: Path) -> float:
    cmd = [exe, "report", str(SCENARIO), "--rules", str(pack), "--format", "json"]
    env = {"XDG_CACHE_HOME": str(cache), "PATH": "/usr/bin:/bin"}
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)  # fills the cache
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    exe = shutil.which("threatmodel")
    if exe is None:
        sys.exit("threatmodel is not installed (pip install -e .)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        small = warm_seconds(exe, make_pack(root / "p1000", 1000), root / "cache")
        large = warm_seconds(exe, make_pack(root / "p10000", 10000), root / "cache")
    print(f"1,000 threats: {small:.2f} s   10,000 threats: {large:.2f} s warm")
    print(f"ratio = {large / small:.1f}   (target <= 12; 10,000 threats <= 2 s)")


if __name__ == "__main__":
    main()
