"""The rule-pack, template, schema and probe commands: each parses its options, calls one
library function and prints. Registered on the main app by threatmodel.cli."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from threatmodel.cli.options import EXIT_FINDINGS, EXIT_INVALID, RulesOpt, say
from threatmodel.errors import UsageError
from threatmodel.pack import project

if TYPE_CHECKING:
    from threatmodel.pack.load import Pack

rules_app = typer.Typer(help="Rule-pack tooling.", no_args_is_help=True, rich_markup_mode=None)
templates_app = typer.Typer(
    help="The report templates, to be edited.", no_args_is_help=True, rich_markup_mode=None
)


@rules_app.command("list")
def rules_list(rules: RulesOpt = None) -> int:
    """List the threats of the layered packs with their cross-references."""
    from threatmodel.pack.load import load_packs

    pack = load_packs(project.rule_folders(Path.cwd(), rules))
    for info in pack.packs:
        say(f"# pack {info.name} {info.version} ({info.path})")
    for threat in pack.threats.values():
        refs = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(threat.references.items()))
        say(f"{threat.id:<30} {threat.title}")
        if refs:
            say(f"{'':<30} {refs}")
    return 0


@rules_app.command("show")
def rules_show(
    threat_id: Annotated[str, typer.Argument(metavar="ID", help="A threat or question id.")],
    rules: RulesOpt = None,
) -> int:
    """Show one threat or question as YAML."""
    import yaml

    from threatmodel.errors import did_you_mean
    from threatmodel.pack.load import load_packs

    pack = load_packs(project.rule_folders(Path.cwd(), rules))
    item = pack.threats.get(threat_id) or pack.questions.get(threat_id)
    if item is None:
        hint = did_you_mean(threat_id, [*pack.threats, *pack.questions])
        raise UsageError(f"no threat or question '{threat_id}'{hint}")
    data = item.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
    return 0


FolderArg = Annotated[
    Path | None, typer.Argument(help="A pack folder, on top of the built-in one (default: none).")
]


def _stack(folder: Path | None, rules: list[Path] | None) -> Pack:
    """The built-in pack, --rules, then DIR; without DIR, the project's packs are the subject."""
    from threatmodel.pack.load import load_packs

    if folder is None:
        return load_packs(project.rule_folders(Path.cwd(), rules))
    return load_packs([*(rules or []), folder])


@rules_app.command("lint")
def rules_lint(
    folder: FolderArg = None,
    rules: RulesOpt = None,
) -> int:
    """Check a pack: schema, references, test cases, mitigations and cross-references."""
    from threatmodel.pack.lint import lint

    pack = _stack(folder, rules)
    findings = lint(pack)
    for finding in findings:
        say(str(finding), err=True)
    errors = sum(f.level == "error" for f in findings)
    say(
        f"{len(pack.threats)} threats, {len(pack.questions)} questions: "
        f"{errors} error(s), {len(findings) - errors} warning(s)"
    )
    return EXIT_INVALID if errors else 0


@rules_app.command("test")
def rules_test(
    folder: FolderArg = None,
    rules: RulesOpt = None,
) -> int:
    """Run every threat's must-apply and must-not-apply cases."""
    from threatmodel.pack.lint import case_table, run_cases

    pack = _stack(folder, rules)
    results = run_cases(pack)
    say(f"{'threat':<32} {'must apply':>10} {'must not':>9} {'risk bounds':>11}")
    for threat_id, row in case_table(pack, results).items():
        say(f"{threat_id:<32} {row[0]:>10} {row[1]:>9} {row[2]:>11}")
    for r in results:
        if not r.passed:
            say(f"FAIL {r.threat}: {r.case}: {r.detail}")
    failed = sum(not r.passed for r in results)
    say(f"{len(results) - failed} passed, {failed} failed")
    return EXIT_FINDINGS if failed else 0


class SchemaKind(str, Enum):
    """Which JSON Schema."""

    answers = "answers"
    pack = "pack"


def schema(
    kind: Annotated[SchemaKind, typer.Argument(help="answers or pack.")],
    rules: RulesOpt = None,
) -> int:
    """Print a JSON Schema for editor completion of answer files or pack files."""
    from threatmodel.pack.load import load_packs
    from threatmodel.pack.schemas import answers_schema, pack_schema, to_text

    if kind == SchemaKind.answers:
        text = to_text(answers_schema(load_packs(project.rule_folders(Path.cwd(), rules))))
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
        str,
        typer.Option(
            "--output-format", help="The output as deployed: scores, label, rounded:N, topk:K."
        ),
    ] = "scores",
    seconds: Annotated[
        float, typer.Option("--seconds", help="Time budget of a scan, and of the shadow models.")
    ] = 20.0,
    show_hits: Annotated[
        bool, typer.Option("--show-hits", help="Record the inputs an enumeration found.")
    ] = False,
    trust_model_file: Annotated[
        bool, typer.Option("--trust-model-file", help="Load a pickle or unknown skops types.")
    ] = False,
    rules: RulesOpt = None,
) -> int:
    """Measure the leaks on the real model; `report --evidence` feeds them into likelihood."""
    try:
        from threatmodel.probe.run import ProbeRequest
        from threatmodel.probe.run import probe as run_probe
    except ImportError:
        raise UsageError("threatmodel probe needs: pip install 'threatmodel[probe]'") from None
    from threatmodel.files import refuse_inputs, write_file
    from threatmodel.pack.load import load_packs

    inputs = {"members file": members, "nonmembers file": nonmembers}
    inputs |= {"enumeration spec": enumerate_spec, "model file": Path(model)}
    refuse_inputs(out, inputs, "--out")
    thresholds = load_packs(project.rule_folders(Path.cwd(), rules)).scale.evidence
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
    result = run_probe(request, thresholds)
    write_file(out, result.model_dump_json(indent=2) + "\n")
    for m in result.measurements:
        say(f"{m.id}: {m.level} ({m.threat})")
    say(f"Evidence written to {out}; use: threatmodel report ANSWERS --evidence {out}")
    return 0


@rules_app.command("init")
def rules_init(
    folder: Annotated[Path, typer.Argument(help="A new folder for the organisation's pack.")],
) -> int:
    """Scaffold a pack (manifest, a question, a threat, its cases) that lints and tests clean."""
    from threatmodel.pack.scaffolding import init_pack

    for path in init_pack(folder):
        say(str(path))
    say(f"Next: threatmodel rules lint {folder} && threatmodel rules test {folder}")
    return 0


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
