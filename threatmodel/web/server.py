"""Running the web questionnaire: bind 127.0.0.1 (a random free port with 0), hand the
address with its token to the caller, serve until Ctrl-C. uvicorn's own logging is quiet; the
application logs one line per request through `log`."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

from threatmodel.interview.flow import Interview
from threatmodel.web.app import make_app
from threatmodel.web.guard import Guard
from threatmodel.web.questionnaire import Questionnaire

MEDIA = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "pdf": "application/pdf",
}


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1 only (OSError when the port is taken)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(64)
    return sock


def documents(
    interview: Interview, template_dir: Path | None
) -> Callable[[str], tuple[bytes, str]]:
    """The current answers file assessed and rendered, in any format offered."""
    from threatmodel.app import assess_file
    from threatmodel.render.formats import render_document

    def render(fmt: str) -> tuple[bytes, str]:
        assessment = assess_file(interview.path, interview.pack)
        data = render_document(assessment, fmt, template_dir)
        return (data if isinstance(data, bytes) else data.encode()), MEDIA[fmt]

    return render


def formats_offered() -> tuple[str, ...]:
    """Markdown, HTML and JSON always; PDF when WeasyPrint is installed."""
    from threatmodel.errors import InputError
    from threatmodel.render.formats import check_ready

    try:
        check_ready("pdf")
    except InputError:
        return ("md", "html", "json")
    return ("md", "html", "pdf", "json")


def serve(
    interview: Interview,
    sock: socket.socket,
    log: Callable[[str], None],
    on_ready: Callable[[str], None],
    template_dir: Path | None = None,
) -> None:
    """Serve the questionnaire on `sock` until interrupted."""
    import uvicorn

    guard = Guard(port=sock.getsockname()[1])
    app = make_app(Questionnaire(interview), guard, documents(interview, template_dir), log,
                   formats_offered())  # fmt: skip
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            server_header=False)  # fmt: skip
    on_ready(guard.url)
    uvicorn.Server(config).run(sockets=[sock])
