"""Who may talk to the questionnaire server, and what every answer carries: a local server is
still reachable by every web page the person has open, so the checks are those of a web app.

- Host: only the address the server is bound to (a page that rebinds its own name to
  127.0.0.1 sends its own Host, and is refused: DNS rebinding).
- Token: the URL the command prints carries a random token; the first request with it gets a
  session cookie (HttpOnly, SameSite=Strict) and is sent on without the token, so it does not
  linger in history or in Referer headers. Nothing is served without one or the other.
- POST: the Origin, when the browser sends one, must be this server's; every form and script
  call carries the session's CSRF token.
- Headers: a Content-Security-Policy with no inline script, no framing, no third-party
  assets; no caching of answers; referrers only to this origin (Chromium sends `Origin: null`
  on a form's own POST under `no-referrer`)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field

COOKIE = "threatmodel_session"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "x-csrf-token"
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
REPORT_POLICY = (
    # The report is one self-contained document with its styles inline; it runs no script.
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


@dataclass(frozen=True)
class Guard:
    """The secrets and the bound address of one server."""

    port: int
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    session: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def cookie(self) -> str:
        """The session cookie's name, one per server: cookies are kept per host, not per port,
        so two servers on one machine would otherwise sign each other out."""
        return f"{COOKIE}_{self.port}"

    @property
    def url(self) -> str:
        """The address to open: it logs the browser in."""
        return f"http://127.0.0.1:{self.port}/?token={self.token}"

    def host_ok(self, host: str | None) -> bool:
        """Is the Host header this server's own address?"""
        return host in (f"127.0.0.1:{self.port}", f"localhost:{self.port}")

    def origin_ok(self, origin: str | None) -> bool:
        """A POST's Origin: absent (a client that sends none), or this server."""
        if origin is None:
            return True
        return origin in (f"http://127.0.0.1:{self.port}", f"http://localhost:{self.port}")

    def token_ok(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token, self.token)

    def session_ok(self, cookie: str | None) -> bool:
        return cookie is not None and hmac.compare_digest(cookie, self.session)

    def csrf_ok(self, value: str | None) -> bool:
        return value is not None and hmac.compare_digest(value, self.csrf)
