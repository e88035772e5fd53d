"""Over-alarm as a figure: the share of critical ratings across the calibration systems
(tests/judgement/calibration), and across the ordinary ones (tests/judgement/ordinary).

Printed twice for the calibration: with every answer, and with the questions added in 0.2.0
removed (as the judgement issue measured the earlier version: 16 of 55 ratings critical).
Usage: python bench/judgement.py
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NEW = (
    "model_public", "recipients_entitled", "logged_content", "log_retention_days",
    "explanation_source", "model_family", "unique_secrets", "persecuted_attributes",
)  # fmt: skip


def ratings(path: Path) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "threatmodel", "report", str(path), "--format", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [t["risk"] for t in json.loads(proc.stdout)["threats"]]


def without_new_answers(path: Path, folder: Path) -> Path:
    data = yaml.safe_load(path.read_text())
    for keys in data["answers"].values():
        for key in NEW:
            keys.pop(key, None)
    target = folder / path.name
    target.write_text(yaml.safe_dump(data))
    return target


def figure(label: str, paths: list[Path]) -> None:
    found = [r for p in paths for r in ratings(p)]
    share = found.count("critical") / len(found)
    print(f"{label}: {found.count('critical')} of {len(found)} ratings critical ({share:.0%})")


def main() -> None:
    calibration = sorted(p for p in (ROOT / "tests/judgement/calibration").glob("*.yaml")
                         if p.name != "expected.yaml")  # fmt: skip
    ordinary = sorted(p for p in (ROOT / "tests/judgement/ordinary").glob("*.yaml")
                      if p.name != "expected.yaml")  # fmt: skip
    figure("calibration, every answer", calibration)
    with tempfile.TemporaryDirectory() as folder:
        stripped = [without_new_answers(p, Path(folder)) for p in calibration]
        figure("calibration, without the 0.2.0 questions", stripped)
    figure("ordinary systems", ordinary)


if __name__ == "__main__":
    main()
