"""The web questionnaire as a Starlette application: one page per section (a plain form that
works without script), a review page, the report and its downloads. Every request passes the
guard (Host, token or session cookie, Origin and CSRF on POST) and is logged in one line."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from threatmodel import locales
from threatmodel.errors import ThreatmodelError, one_line
from threatmodel.files import read_bounded
from threatmodel.locales import _
from threatmodel.web.guard import (
    CSRF_FIELD,
    CSRF_HEADER,
    HEADERS,
    PAGE_POLICY,
    REPORT_POLICY,
    Guard,
)
from threatmodel.web.questionnaire import Questionnaire

HERE = Path(__file__).parent
STATIC = {"form.js": "text/javascript", "form.css": "text/css"}
MAX_BODY = 1_000_000
Documents = Callable[[str], tuple[bytes, str]]
"""Renders the current answers in a format: (content, media type)."""
Asgi = Callable[[Any, Any, Any], Awaitable[None]]
DOWNLOADS = {
    "report.md": "md",
    "report.html": "html",
    "report.json": "json",
    "report.pdf": "pdf",
}


def pages() -> jinja2.Environment:
    """The page templates: autoescaped, sandboxed, strict about undefined names."""
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(HERE / "pages"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # The pages' words in the language `serve` speaks (`--lang`), from the tool's catalogues.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=locales._, ngettext=locales.ngettext, newstyle=False
    )
    env.globals["lang"] = locales.current
    return env


def make_app(
    questionnaire: Questionnaire,
    guard: Guard,
    documents: Documents,
    log: Callable[[str], None],
    formats: tuple[str, ...] = ("md", "html", "json"),
) -> Asgi:
    """The application for one questionnaire; `formats` lists the downloads offered."""
    site = _Site(questionnaire, guard, documents, formats, pages())
    routes = [
        Route("/", site.home),
        Route("/section/{section}", site.section_page, methods=["GET"]),
        Route("/section/{section}", site.section_post, methods=["POST"]),
        Route("/visible", site.visible, methods=["POST"]),
        Route("/review", site.review),
        Route("/report", site.report),
        Route("/download/{name}", site.download),
        Route("/static/{name}", site.static),
    ]
    handlers = {ThreatmodelError: site.refused, Exception: site.failed(log)}
    app = Starlette(routes=routes, exception_handlers=handlers)
    return _guarded(app, guard, site.env, log)


class _Site:
    """The pages of one questionnaire."""

    def __init__(self, questionnaire: Questionnaire, guard: Guard, documents: Documents,
                 formats: tuple[str, ...], env: jinja2.Environment) -> None:  # fmt: skip
        self.questionnaire, self.guard, self.documents = questionnaire, guard, documents
        self.formats, self.env = formats, env
        self.path = questionnaire.interview.path

    def page(self, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        answered, asked = self.questionnaire.progress()
        html = self.env.get_template(name).render(
            csrf=self.guard.csrf, file=str(self.path), answered=answered, asked=asked,
            sections=self.questionnaire.sections(), **values,
        )  # fmt: skip
        return HTMLResponse(html, status_code=status)

    async def refused(self, request: Request, exc: ThreatmodelError) -> Response:
        """What the library refused (a conflicting change on disk, an unreadable file)."""
        return self.page("message.html.j2", 409, title=_("Not done"), text=one_line(exc.message))

    def failed(self, log: Callable[[str], None]) -> Callable[..., Awaitable[Response]]:
        async def handler(request: Request, exc: Exception) -> Response:
            # A bug: one line in the log, a page that says so, never a traceback.
            log(f"internal error: {type(exc).__name__}: {one_line(str(exc))}")
            text = _("This is a bug in threatmodel; the answers saved so far are kept.")
            return self.page("message.html.j2", 500, title=_("Internal error"), text=text)

        return handler

    def missing(self, what: str, name: str) -> HTMLResponse:
        return self.page("message.html.j2", 404, title=f"No such {what}", text=name)

    async def home(self, request: Request) -> Response:
        section = self.questionnaire.resume()
        return RedirectResponse(f"/section/{section}" if section else "/review", status_code=303)

    async def section_page(self, request: Request) -> Response:
        section = request.path_params["section"]
        if section not in self.questionnaire.pack.sections:
            return self.missing("section", section)
        return self.section(section, self.questionnaire.fields(section), ())

    def section(self, section: str, fields: list[Any], notes: tuple[str, ...],
                status: int = 200, base: str | None = None) -> HTMLResponse:  # fmt: skip
        ids = [s for s, _ in self.questionnaire.sections()]
        return self.page(
            "section.html.j2", status, section=self.questionnaire.pack.sections[section],
            fields=fields, notes=notes, number=ids.index(section) + 1 if section in ids else 0,
            count=len(ids), base=base or self.questionnaire.base(section),
            errors=[f for f in fields if f.error],
        )  # fmt: skip

    async def section_post(self, request: Request) -> Response:
        section = request.path_params["section"]
        if section not in self.questionnaire.pack.sections:
            return self.missing("section", section)
        form = await _form(request)
        base = form.pop("_base", [""])[0]
        shown = form.pop("_shown", None)
        outcome = self.questionnaire.submit(section, form, base, shown)
        if outcome.errors:
            fields = self.questionnaire.fields(
                section, self.questionnaire.trial(form, keep_typed=True), outcome.errors
            )
            return self.section(section, fields, (), 422, base)
        if outcome.new_questions:
            notes = (*outcome.notes, _("Your answers opened new questions on this page."))
            return self.section(section, self.questionnaire.fields(section), notes)
        following = self.questionnaire.after(section)
        target = f"/section/{following}" if following else "/review"
        if outcome.notes:
            target += "?" + "&".join(f"note={quote(n)}" for n in outcome.notes)
        return RedirectResponse(target, status_code=303)

    async def visible(self, request: Request) -> Response:
        return JSONResponse({"visible": self.questionnaire.visible_with(await _form(request))})

    async def review(self, request: Request) -> Response:
        notes = request.query_params.getlist("note")
        rows = self.questionnaire.review()
        return self.page("review.html.j2", rows=rows, notes=notes, formats=self.formats)

    async def report(self, request: Request) -> Response:
        if not self.path.exists():
            text = _("The report appears once the first page is saved.")
            return self.page("message.html.j2", 404, title=_("No answers yet"), text=text)
        content = self.documents("html")[0]
        bar = self.env.get_template("bar.html.j2").render(formats=self.formats)
        response = HTMLResponse(content.decode().replace("<body>", "<body>" + bar, 1))
        response.headers["content-security-policy"] = REPORT_POLICY
        return response

    async def download(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name == "answers.yaml":
            content, media = read_bounded(self.path, "a YAML file"), "application/yaml"
            filename = self.path.name
        elif name in DOWNLOADS and DOWNLOADS[name] in self.formats:
            content, media = self.documents(DOWNLOADS[name])
            filename = f"{self.path.stem}-{name}"
        else:
            return self.missing("download", name)
        return Response(
            content, media_type=media, headers={"content-disposition": _attach(filename)}
        )

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response((HERE / "static" / name).read_bytes(), media_type=STATIC[name])


def _attach(filename: str) -> str:
    """A download's Content-Disposition: an ASCII name for old clients and the real one in
    UTF-8 (RFC 6266), so that no file name can break the header or the response."""
    plain = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def _form(request: Request) -> dict[str, list[str]]:
    async with request.form(max_files=0, max_fields=2000, max_part_size=100_000) as form:
        out: dict[str, list[str]] = {}
        for key, value in form.multi_items():
            if key != CSRF_FIELD and isinstance(value, str):
                out.setdefault(key, []).append(value)
        return out


def _guarded(app: Starlette, guard: Guard, env: jinja2.Environment,
             log: Callable[[str], None]) -> Asgi:  # fmt: skip
    """The application behind the guard, with security headers and a log line per request."""

    def refuse(status: int, title: str, text: str) -> Response:
        html = env.get_template("message.html.j2").render(
            title=title, text=text, sections=[], csrf="", file="", answered=0, asked=0
        )
        return HTMLResponse(html, status_code=status)

    async def check(request: Request) -> Response | None:
        if not guard.host_ok(request.headers.get("host")):
            return refuse(400, "Wrong address", "Open the address `threatmodel serve` printed.")
        token = request.query_params.get("token")
        if guard.token_ok(token):
            target = request.url.path
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(guard.cookie, guard.session, httponly=True, samesite="strict",
                                path="/")  # fmt: skip
            return response
        if not guard.session_ok(request.cookies.get(guard.cookie)):
            text = "Open the address `threatmodel serve` printed (it carries a key)."
            return refuse(403, "Not signed in", text)
        if request.method == "POST":
            return await _check_post(request, guard, refuse)
        return None

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.monotonic()
        request = Request(scope, receive)
        try:
            refused = await check(request)
        except ValueError as exc:
            refused = refuse(400, "Bad request", str(exc))
        status = {"code": 0}

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = [(k, v) for k, v in message["headers"] if k.lower() not in
                           {b"content-security-policy"}]  # fmt: skip
                policy = _policy_of(message["headers"])
                headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
                headers.append((b"content-security-policy", policy.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            if refused is not None:
                await refused(scope, receive, send_with_headers)
            else:
                await app(scope, _replay(request, receive), send_with_headers)
        except Exception:  # noqa: S110 - answered and logged by the application's handler
            pass
        elapsed = (time.monotonic() - started) * 1000
        log(f"{request.method} {request.url.path} {status['code']} {elapsed:.0f} ms")

    return asgi


def _policy_of(headers: list[tuple[bytes, bytes]]) -> str:
    for key, value in headers:
        if key.lower() == b"content-security-policy":
            return value.decode()
    return PAGE_POLICY


async def _check_post(
    request: Request, guard: Guard, refuse: Callable[[int, str, str], Response]
) -> Response | None:
    if not guard.origin_ok(request.headers.get("origin")):
        return refuse(403, "Refused", "This form was sent from another site.")
    length = int(request.headers.get("content-length") or 0)
    if length > MAX_BODY:
        return refuse(413, "Too large", f"A page sends at most {MAX_BODY:,} bytes.")
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        body = await request.body()
        token = _field(body, CSRF_FIELD)
    if not guard.csrf_ok(token):
        return refuse(403, "Refused", "The form's key is missing or stale: reload the page.")
    return None


def _field(body: bytes, name: str) -> str | None:
    from urllib.parse import parse_qs

    values = parse_qs(body.decode("utf-8", "replace")).get(name)
    return values[0] if values else None


def _replay(request: Request, receive: Callable[[], Awaitable[Any]]) -> Any:
    """The request body again, for the application, when the guard has read it."""
    body = getattr(request, "_body", None)
    if body is None:
        return receive
    sent = {"done": False}

    async def again() -> Any:
        if not sent["done"]:
            sent["done"] = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again
