"""`threatmodel rules`: list, show, lint, test and scaffold rule packs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from threatmodel.cli.options import LangOpt, ListFormat, ListFormatOpt, OfflineOpt, RulesOpt
from threatmodel.cli.output import EXIT_FINDINGS, EXIT_INVALID, print_json, say
from threatmodel.errors import UsageError

if TYPE_CHECKING:
    from threatmodel.pack.layered import Pack

rules_app = typer.Typer(help="Rule-pack tooling.", no_args_is_help=True, rich_markup_mode=None)


@rules_app.command("list")
def rules_list(
    rules: RulesOpt = None, offline: OfflineOpt = False, fmt: ListFormatOpt = ListFormat.text
) -> int:
    """List the threats of the layered packs with their cross-references."""
    from threatmodel.pack import project
    from threatmodel.pack.load import load_packs

    pack = load_packs(project.rule_folders(Path.cwd(), rules, offline=offline))
    if fmt is ListFormat.json:
        print_json({"format": "threatmodel.rules/1", "packs": _packs_json(pack), "threats": [
            {"id": t.id, "title": t.title, "summary": t.summary, "pack": pack.owner.get(t.id),
             "references": {k: list(v) for k, v in sorted(t.references.items())}}
            for t in pack.threats.values()
        ]})  # fmt: skip
        return 0
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
    offline: OfflineOpt = False,
) -> int:
    """Show one threat or question as YAML."""
    import yaml

    from threatmodel.errors import did_you_mean
    from threatmodel.pack import project
    from threatmodel.pack.load import load_packs

    pack = load_packs(project.rule_folders(Path.cwd(), rules, offline=offline))
    item = pack.threats.get(threat_id) or pack.questions.get(threat_id)
    if item is None:
        hint = did_you_mean(threat_id, [*pack.threats, *pack.questions])
        raise UsageError(f"no threat or question '{threat_id}'{hint}")
    data = item.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
    return 0


def _packs_json(pack: Pack) -> list[dict[str, str]]:
    return [
        {"name": p.name, "version": p.version, "path": str(p.path), "sha256": p.sha256}
        for p in pack.packs
    ]


FolderArg = Annotated[
    Path | None, typer.Argument(help="A pack folder, on top of the built-in one (default: none).")
]


def _stack(folder: Path | None, rules: list[Path] | None, offline: bool) -> Pack:
    """The built-in pack, --rules, then DIR; without DIR, the project's packs are the subject."""
    from threatmodel.pack import project
    from threatmodel.pack.load import load_packs

    if folder is None:
        return load_packs(project.rule_folders(Path.cwd(), rules, offline=offline))
    return load_packs([*(rules or []), folder])


@rules_app.command("lint")
def rules_lint(
    folder: FolderArg = None,
    rules: RulesOpt = None,
    offline: OfflineOpt = False,
    fmt: ListFormatOpt = ListFormat.text,
    lang: LangOpt = None,
) -> int:
    """Check a pack: schema, references, test cases, mitigations and cross-references; with
    --lang, its translations too (missing, stale since the English changed, orphaned)."""
    from threatmodel.pack.lint import lint, lint_translations

    pack = _stack(folder, rules, offline)
    findings = lint(pack)
    if lang is not None:
        findings += lint_translations(pack, lang.value, only=folder)
    errors = sum(f.level == "error" for f in findings)
    if fmt is ListFormat.json:
        print_json({"format": "threatmodel.lint/1", "packs": _packs_json(pack),
                    "threats": len(pack.threats), "questions": len(pack.questions),
                    "errors": errors, "warnings": len(findings) - errors,
                    "findings": [{"level": f.level, "where": f.where, "message": f.message}
                                 for f in findings]})  # fmt: skip
        return EXIT_INVALID if errors else 0
    for finding in findings:
        say(str(finding), err=True)
    say(
        f"{len(pack.threats)} threats, {len(pack.questions)} questions: "
        f"{errors} error(s), {len(findings) - errors} warning(s)"
    )
    return EXIT_INVALID if errors else 0


@rules_app.command("test")
def rules_test(
    folder: FolderArg = None,
    rules: RulesOpt = None,
    offline: OfflineOpt = False,
    fmt: ListFormatOpt = ListFormat.text,
) -> int:
    """Run every threat's must-apply and must-not-apply cases."""
    from dataclasses import asdict

    from threatmodel.pack.lint import case_table, run_cases

    pack = _stack(folder, rules, offline)
    results = run_cases(pack)
    failed = sum(not r.passed for r in results)
    if fmt is ListFormat.json:
        print_json({"format": "threatmodel.rules-test/1", "packs": _packs_json(pack),
                    "passed": len(results) - failed, "failed": failed,
                    "results": [asdict(r) for r in results]})  # fmt: skip
        return EXIT_FINDINGS if failed else 0
    say(f"{'threat':<32} {'must apply':>10} {'must not':>9} {'risk bounds':>11}")
    for threat_id, row in case_table(pack, results).items():
        say(f"{threat_id:<32} {row[0]:>10} {row[1]:>9} {row[2]:>11}")
    for r in results:
        if not r.passed:
            say(f"FAIL {r.threat}: {r.case}: {r.detail}")
    say(f"{len(results) - failed} passed, {failed} failed")
    return EXIT_FINDINGS if failed else 0


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


@rules_app.command("sync")
def rules_sync(
    upgrade: Annotated[
        bool,
        typer.Option(
            "--upgrade",
            help="Move each git pack to its newest version tag whose pack works with this "
            "engine, and show the threats that change.",
        ),
    ] = False,
    fmt: ListFormatOpt = ListFormat.text,
) -> int:
    """Fetch the project file's git packs into the cache and write .threatmodel.lock (the commit
    and sha256 of each); a pack already locked is taken at its locked commit."""
    from threatmodel.pack import project
    from threatmodel.pack.lock import path_of
    from threatmodel.pack.sync import sync

    found = project.find(Path.cwd())
    if found is None:
        raise UsageError(f"no {project.FILENAME} here or above; rules sync reads its `rules:`")
    outcome = sync(found, upgrade=upgrade)
    if fmt is ListFormat.json:
        print_json({"format": "threatmodel.rules-sync/1", "project_file": str(found),
                    "lock_file": str(path_of(found)),
                    "packs": [{**s.pinned.model_dump(), "action": s.action} for s in outcome.packs],
                    "skipped": outcome.notes,
                    "changes": None if outcome.changes is None else [
                        {"change": c.sign, "id": c.id, "title": c.title, "fields": list(c.fields)}
                        for c in outcome.changes]})  # fmt: skip
        return 0
    for synced in outcome.packs:
        p = synced.pinned
        say(f"{p.name} {p.version}: {synced.entry.label}, commit {p.commit[:12]} ({synced.action})")
    for note in outcome.notes:
        say(f"  {note}")
    if outcome.changes is not None:
        say(f"Threats that change ({len(outcome.changes)}):" if outcome.changes else
            "No threat changes.")  # fmt: skip
        for change in outcome.changes:
            fields = f" ({', '.join(change.fields)})" if change.fields else ""
            say(f"  {change.sign} {change.id:<32} {change.title}{fields}")
    if not outcome.packs:
        say(f"{found} takes no pack from a git repository: nothing to sync.")
    else:
        lock = path_of(found)
        shown = lock.relative_to(Path.cwd()) if lock.is_relative_to(Path.cwd()) else lock
        say(f"{len(outcome.packs)} git pack(s) locked in {shown}.")
    return 0
