"""`threatmodel serve`: the questionnaire in a browser (the optional extra `web`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from threatmodel.cli.options import LangOpt, OfflineOpt, RulesOpt, TemplateDirOpt
from threatmodel.cli.output import say
from threatmodel.errors import InputError, UsageError


def serve(
    answers: Annotated[
        Path, typer.Argument(help="The answers file: created, or resumed where it stops.")
    ] = Path("threat-assessment.yaml"),
    port: Annotated[
        int, typer.Option("--port", help="Port on 127.0.0.1 (0: any free port).", min=0, max=65535)
    ] = 8765,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the address; do not open a browser.")
    ] = False,
    rules: RulesOpt = None,
    offline: OfflineOpt = False,
    template_dir: TemplateDirOpt = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Your name, recorded as who answered (document control)."),
    ] = None,
    lang: LangOpt = None,
) -> int:
    """The questionnaire in a browser, on this computer only; every page is saved at once."""
    from importlib.util import find_spec

    if any(find_spec(name) is None for name in ("starlette", "uvicorn", "multipart")):
        raise InputError(None, "serve needs the web extra: pip install 'threatmodel[web]'")
    from threatmodel import locales
    from threatmodel.app import language, load_in
    from threatmodel.interview.flow import Interview
    from threatmodel.pack import project
    from threatmodel.web.server import bind
    from threatmodel.web.server import serve as run

    spoken = language(answers, lang and lang.value)
    locales.use(spoken)  # the pages' words, for the life of the server
    pack = load_in(project.rule_folders(answers, rules, offline=offline), spoken)
    try:
        sock = bind(port)
    except OSError as exc:
        raise UsageError(f"--port {port}: {exc.strerror or exc} (try --port 0)") from None

    def ready(url: str) -> None:
        say(f"The questionnaire for {answers} is at\n\n  {url}\n\nStop with Ctrl-C; every "
            "page is saved as soon as it is sent.", err=True)  # fmt: skip
        if not no_browser:
            import webbrowser

            webbrowser.open(url)

    with sock, Interview.open(pack, answers, None, lambda text: say(text, err=True), by) as iv:
        run(iv, sock, lambda line: say(line, err=True), ready, template_dir)
    say(f"Stopped. Answers are saved in {answers}.", err=True)
    return 0
