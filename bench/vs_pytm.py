"""Our report against OWASP pytm's on an equivalent model: the celebrity spam filter (an open
API, a classifier, its training data and query log) written as a pytm model, its findings
rendered by a minimal Markdown template, against `threatmodel report` in Markdown and HTML on
examples/spam-celebrity.yaml. Fresh processes, alternating; medians and ratios printed.

Needs pytm, which is not a dependency: pip install pytm. Usage: python bench/vs_pytm.py [RUNS]"""

import importlib.util
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "examples" / "spam-celebrity.yaml"

PYTM_MODEL = """\
from pytm import TM, Actor, Boundary, Dataflow, Datastore, Process, Server

tm = TM("Spam filter")
tm.description = "A spam filter answering whether a phone number is spam."
internet, service = Boundary("Internet"), Boundary("Service")
caller = Actor("Anyone who can call the API")
caller.inBoundary = internet
api, model = Server("Spam filter API"), Process("Classifier")
store = Datastore("Training data and query log")
api.inBoundary = model.inBoundary = store.inBoundary = service
Dataflow(caller, api, "Number to check")
Dataflow(api, model, "Features")
Dataflow(model, api, "Spam or not spam")
Dataflow(api, caller, "Decision")
Dataflow(api, store, "Query log")
tm.process()
"""
PYTM_TEMPLATE = """\
# {tm.name}

{tm.description}

## Findings

{findings:repeat:* {{item.threat_id}}: {{item.description}} on {{item.target}}
}
"""


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(runs: int) -> None:
    exe = shutil.which("threatmodel")
    if exe is None:
        sys.exit("threatmodel is not installed (pip install -e .)")
    if importlib.util.find_spec("pytm") is None:
        sys.exit("pytm is not installed: pip install pytm")
    with tempfile.TemporaryDirectory() as tmp:
        model, template = Path(tmp) / "model.py", Path(tmp) / "template.md"
        model.write_text(PYTM_MODEL)
        template.write_text(PYTM_TEMPLATE)
        commands = {
            "pytm --report (Markdown)": [sys.executable, str(model), "--report", str(template)],
            "threatmodel report (Markdown)": [exe, "report", str(SCENARIO)],
            "threatmodel report (HTML)": [exe, "report", str(SCENARIO), "-f", "html"],
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for cmd in commands.values():
            _time(cmd)  # caches warm
        for _ in range(runs):
            for name, cmd in commands.items():
                samples[name].append(_time(cmd))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    pytm = medians["pytm --report (Markdown)"]
    for name, value in medians.items():
        print(f"{name:<32} {value * 1000:6.0f} ms   pytm / this = {pytm / value:.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9)
