"""`threatmodel signoff`: record an approval of the assessment as it stands."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from threatmodel.cli.options import OfflineOpt, RulesOpt
from threatmodel.cli.output import say


class Role(str, Enum):
    """Who signs."""

    dpo = "dpo"
    owner = "owner"
    security = "security"


class Decision(str, Enum):
    """What they decided."""

    accepted = "accepted"
    accepted_with_measures = "accepted-with-measures"
    rejected = "rejected"


def signoff(
    answers: Annotated[Path, typer.Argument(help="The answers file to sign.")],
    by: Annotated[str, typer.Option("--by", help="Your name.")],
    role: Annotated[Role, typer.Option("--role", help="dpo, owner or security.")],
    decision: Annotated[
        Decision, typer.Option("--decision", help="accepted, accepted-with-measures or rejected.")
    ] = Decision.accepted,
    note: Annotated[str, typer.Option("--note", help="Your advice or conditions.")] = "",
    rules: RulesOpt = None,
    offline: OfflineOpt = False,
) -> int:
    """Sign the assessment as it stands: it holds until its answers, decisions or packs change."""
    from threatmodel import __version__
    from threatmodel.app import PackStacks
    from threatmodel.engine.signoff import digest, pack_versions, snapshot
    from threatmodel.files import write_file
    from threatmodel.interview.session import Lock, check_writable
    from threatmodel.pack.answers import load_answers
    from threatmodel.pack.answersedit import set_block

    check_writable(answers)
    pack = PackStacks(rules, offline=offline).for_file(answers)
    lock = Lock.take(answers)  # not while an interview or a web form has the file
    try:
        loaded = load_answers(answers, pack)
        entry = {
            "role": role.value,
            "by": by,
            "at": dt.datetime.now(tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "decision": decision.value,
            **({"note": note} if note else {}),
            "sha256": digest(loaded, pack),
            "answers": snapshot(loaded),
            "packs": pack_versions(pack),
            "tool": __version__,
        }
        signoffs = [*(loaded.raw.get("signoffs") or []), entry]
        text = set_block(loaded.text, "signoffs", signoffs)
        if text is None:
            from threatmodel.errors import InputError

            raise InputError(answers, "cannot add a sign-off to this file's layout; write it as "
                             "block YAML (`answers:` on a line of its own)")  # fmt: skip
        write_file(answers, text)
    finally:
        lock.release()
    say(f"{answers}: signed by {by} ({role.value}), {decision.value}; it holds until the "
        "answers, decisions, rule packs or tool version change.")  # fmt: skip
    return 0
