"""The tool commands: schema, probe and templates. Each parses its options, calls the library
and prints."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from threatmodel.cli.options import OfflineOpt, RulesOpt
from threatmodel.cli.output import progress_bar, say
from threatmodel.errors import UsageError

if TYPE_CHECKING:
    from threatmodel.pack.layered import Pack

    pass

templates_app = typer.Typer(
    help="The report templates, to be edited.", no_args_is_help=True, rich_markup_mode=None
)


class SchemaKind(str, Enum):
    """Which JSON Schema."""

    answers = "answers"
    pack = "pack"


def schema(
    kind: Annotated[SchemaKind, typer.Argument(help="answers or pack.")],
    rules: RulesOpt = None,
    offline: OfflineOpt = False,
) -> int:
    """Print a JSON Schema for editor completion of answer files or pack files."""
    from threatmodel.pack import project
    from threatmodel.pack.load import load_packs
    from threatmodel.pack.schemas import answers_schema, pack_schema, to_text

    if kind == SchemaKind.answers:
        text = to_text(
            answers_schema(load_packs(project.rule_folders(Path.cwd(), rules, offline=offline)))
        )
    else:
        text = to_text(pack_schema())
    sys.stdout.write(text)
    return 0


def probe(
    model: Annotated[str, typer.Argument(help="A .skops file, module:attribute, or a pickle.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the evidence (JSON).")],
    members: Annotated[
        Path | None, typer.Option("--members", help="CSV sample of the training data.")
    ] = None,
    nonmembers: Annotated[
        Path | None, typer.Option("--nonmembers", help="CSV held-out sample, same population.")
    ] = None,
    label: Annotated[
        str | None, typer.Option("--label", help="The label column of the samples.")
    ] = None,
    enumerate_spec: Annotated[
        Path | None, typer.Option("--enumerate", help="An input space to scan (SPEC YAML).")
    ] = None,
    sensitive: Annotated[
        list[str] | None,
        typer.Option("--sensitive", help="An input column to try to infer (repeatable)."),
    ] = None,
    hidden: Annotated[
        list[str] | None,
        typer.Option(
            "--hidden", help="A column the model is not given: does it leak? (repeatable)"
        ),
    ] = None,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--output-format",
            help="The output as deployed: scores, label, rounded:N, topk:K (default: what "
            "--answers says is exposed, else scores).",
        ),
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers", help="The answers file: the deployed output is read from outputs.exposed."
        ),
    ] = None,
    seconds: Annotated[
        float,
        typer.Option(
            "--seconds", help="Time budget of the whole probe; what it leaves out is named."
        ),
    ] = 20.0,
    show_hits: Annotated[
        bool, typer.Option("--show-hits", help="Record the inputs an enumeration found.")
    ] = False,
    trust_model_file: Annotated[
        bool, typer.Option("--trust-model-file", help="Load a pickle or unknown skops types.")
    ] = False,
    rules: RulesOpt = None,
    offline: OfflineOpt = False,
) -> int:
    """Measure the leaks on the real model; `report --evidence` feeds them into likelihood."""
    from threatmodel.pack import project

    try:
        from threatmodel.probe.run import ProbeRequest
        from threatmodel.probe.run import probe as run_probe
    except ImportError:
        raise UsageError("threatmodel probe needs: pip install 'threatmodel[probe]'") from None
    from threatmodel.files import refuse_inputs, write_file
    from threatmodel.pack.load import load_packs

    inputs = {"members file": members, "nonmembers file": nonmembers}
    inputs |= {"enumeration spec": enumerate_spec, "model file": Path(model)}
    inputs |= {"answers file": answers}
    refuse_inputs(out, inputs, "--out")
    pack = load_packs(project.rule_folders(answers or Path.cwd(), rules, offline=offline))
    thresholds = pack.scale.evidence
    if output_format is None:
        output_format = _deployed_output(answers, pack) if answers else "scores"
    request = ProbeRequest(
        model,
        members,
        nonmembers,
        label,
        enumerate_spec,
        seconds,
        trust_model_file,
        tuple(sensitive or ()),
        tuple(hidden or ()),
        output_format,
        show_hits,
    )
    result = run_probe(request, thresholds, progress_bar())
    write_file(out, result.model_dump_json(indent=2) + "\n")
    for m in result.measurements:
        say(f"{m.id}: {m.level} ({m.threat})")
        by_class = m.metrics.get("loss", {}).get("tpr_at_0.01_fpr_by_class", {})
        if len(by_class) > 1 and max(by_class.values()) - min(by_class.values()) >= 0.05:
            shown = ", ".join(f"class {k}: {v:.1%}" for k, v in sorted(by_class.items()))
            say(f"  members found at 1% false positives differ by class: {shown}")
    for skipped in result.not_measured:
        say(f"not measured within --seconds {seconds:g}: {skipped}")
    say(f"Evidence written to {out}; use: threatmodel report ANSWERS --evidence {out}")
    return 0


def _deployed_output(answers: Path, pack: Pack) -> str:
    """The probe's output format for what the answers say the API returns: a label only, the
    top classes, or scores (the most an answer of `unknown` could mean)."""
    from threatmodel.engine.resolve import resolve
    from threatmodel.pack.answers import load_answers

    exposed = resolve(pack, load_answers(answers, pack).given).values.get("outputs.exposed")
    shown = set(exposed) if isinstance(exposed, list) else {"score"}
    if shown & {"score", "probability_vector", "explanation", "embedding"}:
        return "scores"
    if shown & {"top_k", "ranking"}:
        return "topk:3"
    return "label"


@templates_app.command("export")
def templates_export(
    folder: Annotated[Path, typer.Argument(help="Where to copy the built-in templates.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite files already there.")] = False,
) -> int:
    """Copy the built-in templates to FOLDER; edit them and pass --template-dir FOLDER."""
    from threatmodel.render.export import export_templates

    for path in export_templates(folder, force):
        say(str(path))
    return 0
