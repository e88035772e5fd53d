"""The probe inside its budget: `threatmodel probe --seconds 2` on 10,000 members and 10,000
non-members of a 100-tree forest, start-up included, against the 6 s target and against the
budget itself; every measurement's share of the run is printed from the evidence's timings.

Usage: python bench/probe_budget.py [SECONDS]"""

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import skops.io
from sklearn.ensemble import RandomForestClassifier


def _write(folder: Path) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20_000, 20))
    y = (x[:, 0] + rng.normal(scale=0.5, size=20_000) > 0).astype(np.int64)
    model = RandomForestClassifier(n_estimators=100, random_state=0).fit(x[:10_000], y[:10_000])
    path = folder / "forest.skops"
    skops.io.dump(model, path)
    header = ",".join([f"f{i}" for i in range(20)] + ["label"])
    for name, rows in (("members", slice(0, 10_000)), ("nonmembers", slice(10_000, 20_000))):
        data = np.column_stack([x[rows], y[rows]])
        np.savetxt(folder / f"{name}.csv", data, delimiter=",", header=header, comments="")
    return path, folder / "members.csv", folder / "nonmembers.csv"


def main(seconds: float) -> None:
    exe = shutil.which("threatmodel")
    if exe is None:
        sys.exit("threatmodel is not installed (pip install -e '.[probe]')")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model, members, nonmembers = _write(folder)
        out = folder / "evidence.json"
        command = [exe, "probe", str(model), "--members", str(members), "--nonmembers",
                   str(nonmembers), "--label", "label", "--seconds", str(seconds),
                   "--out", str(out)]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([exe, "--version"], check=True, stdout=subprocess.DEVNULL)
        startup = time.perf_counter() - start
        evidence = json.loads(out.read_text())
    print(f"probe --seconds {seconds:g}, 10,000 + 10,000 rows, 100-tree forest: "
          f"{wall:.1f} s wall (target <= 6 s); {wall / seconds:.2f}x the budget; "
          f"--version {startup:.2f} s")  # fmt: skip
    for m in evidence["measurements"]:
        print(f"  {m['id']}: {m['seconds']} s, attacks {', '.join(m['metrics'])}")
    for skipped in evidence["not_measured"]:
        print(f"  not measured: {skipped}")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 2.0)
