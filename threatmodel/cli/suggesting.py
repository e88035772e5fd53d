"""`threatmodel suggest SOURCE`: answers the model itself suggests, with their sources."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from threatmodel.cli.options import OfflineOpt, RulesOpt
from threatmodel.cli.output import print_json, write_stdout

SourceArg = Annotated[
    Path,
    typer.Argument(
        help="A .skops or .onnx model, an MLflow model folder, or a model card (README.md)."
    ),
]
TrustOpt = Annotated[
    bool, typer.Option("--trust-model-file", help="Load a pickle or unknown skops types.")
]


class SuggestFormat(str, Enum):
    """Formats of `suggest`."""

    yaml = "yaml"
    json = "json"


def suggest(
    source: SourceArg,
    fmt: Annotated[SuggestFormat, typer.Option("--format", "-f", help="yaml or json.")] = (
        SuggestFormat.yaml
    ),
    trust_model_file: TrustOpt = False,
    rules: RulesOpt = None,
    offline: OfflineOpt = False,
) -> int:
    """Suggest answers from the model itself; `assess --from SOURCE` offers them to confirm."""
    from threatmodel.pack import project
    from threatmodel.pack.load import load_packs
    from threatmodel.suggest.sources import suggest as read

    pack = load_packs(project.rule_folders(Path.cwd(), rules, offline=offline))
    found = [s.as_dict() for s in read(source, pack, trust_model_file)]
    if fmt is SuggestFormat.json:
        print_json({"format": "threatmodel.suggestions/1", "source": str(source),
                    "suggestions": found})  # fmt: skip
        return 0
    import yaml

    header = (
        f"# Answers suggested by {source}. None is applied: `threatmodel assess ANSWERS --from "
        f"{source}` offers each to confirm or change.\n# high: read from the model; medium: "
        "stated by its metadata or inferred; hint: what the model can do, not yet the answer.\n"
    )
    body = yaml.safe_dump({"source": str(source), "suggestions": found}, sort_keys=False,
                          allow_unicode=True, width=100)  # fmt: skip
    write_stdout(header + body)
    return 0
