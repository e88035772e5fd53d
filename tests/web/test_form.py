"""The web questionnaire as a person uses it: the real `threatmodel serve`, driven in Debian's
Chromium through Playwright. A whole assessment filled in, branches opening with and without
script, an invalid answer shown at its field, two tabs on one file, a cross-site form and a
foreign Host refused, the saved file and the report checked."""

from __future__ import annotations

import http.client
import http.server
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import EXAMPLES
from threatmodel.language.values import UNKNOWN
from threatmodel.pack.answers import load_answers
from threatmodel.pack.load import load_packs
from threatmodel.web.fields import form_value

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="apt-get install chromium")
PACK = load_packs()
SCENARIO = load_answers(EXAMPLES / "spam-celebrity.yaml", PACK).given


@dataclass
class Server:
    """A running `threatmodel serve`."""

    url: str
    process: subprocess.Popen[str]
    path: Path
    log: list[str]

    @property
    def origin(self) -> str:
        return self.url.split("/?", 1)[0]

    @property
    def port(self) -> int:
        return int(self.origin.rsplit(":", 1)[1])

    def given(self) -> dict[str, Any]:
        return load_answers(self.path, PACK).given


def _start(path: Path, *options: str) -> Server:
    exe = Path(sys.executable).parent / "threatmodel"
    process = subprocess.Popen(
        [exe, "serve", path, "--port", "0", "--no-browser", *options],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    log: list[str] = []
    for line in process.stderr:
        found = re.search(r"http://127\.0\.0\.1:\d+/\?token=\S+", line)
        if found:
            # Keep reading the log so the server never blocks on a full pipe.
            threading.Thread(target=log.extend, args=(process.stderr,), daemon=True).start()
            return Server(found.group(), process, path, log)
    raise AssertionError(f"serve printed no address (exit {process.wait()})")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = _start(tmp_path / "threat-assessment.yaml")
    yield running
    running.process.send_signal(signal.SIGINT)
    running.process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def _page(browser: Browser, server: Server, script: bool = True) -> Page:
    page = browser.new_context(java_script_enabled=script).new_page()
    page.goto(server.url)
    return page


def _answer(page: Page, qid: str, value: Any) -> None:
    """Answer one question on the page as a person would: type, tick or pick."""
    box = page.locator(f"fieldset[data-qid='{qid}']")
    if value == UNKNOWN:
        box.get_by_label("I don't know", exact=True).check()
        return
    typed = box.locator("input[type='text']")
    if typed.count():
        typed.fill(str(value) if not isinstance(value, float) else f"{value:g}")
        return
    values = value if isinstance(value, list) else [value]
    for v in values:
        box.locator(f"input[value='{form_value(v)}']").check()


def _fill_section(page: Page, answers: dict[str, Any]) -> None:
    for box in page.locator("fieldset.question:not([hidden])").all():
        qid = box.get_attribute("data-qid")
        assert qid is not None
        _answer(page, qid, answers.get(qid, UNKNOWN))


def _fill_everything(page: Page, answers: dict[str, Any]) -> None:
    for _ in range(40):
        if "/review" in page.url:
            return
        _fill_section(page, answers)
        with page.expect_navigation():
            page.get_by_role("button", name="Save and continue").click()
    raise AssertionError("never reached the review")


def test_a_whole_assessment_filled_in_the_browser_is_saved_and_reported(
    browser: Browser, server: Server
) -> None:
    page = _page(browser, server)
    assert "token=" not in page.url  # the key went into a cookie, not the history
    assert page.locator("h1").inner_text().startswith("Section 1 of")
    _fill_everything(page, SCENARIO)
    saved = server.given()
    for qid, value in saved.items():
        assert value == SCENARIO.get(qid, UNKNOWN), qid
    assert saved["inputs.space_size"] == 10_000_000
    assert page.get_by_role("heading", name="Review your answers").is_visible()
    assert page.get_by_text("SMS spam filter with a celebrity allow-list").first.is_visible()
    report = page.context.new_page()
    report.goto(f"{server.origin}/report")
    assert "Guessing inputs until the classifier gives the rare answer" in report.content()
    download = report.context.request.get(f"{server.origin}/download/report.json")
    assert download.ok
    assert download.json()["overall_risk"] == "critical"
    answers_file = report.context.request.get(f"{server.origin}/download/answers.yaml")
    assert answers_file.ok, answers_file.text()[:300]
    assert yaml.safe_load(answers_file.text())["answers"]["system"]["name"].startswith("SMS spam")
    # Closing the tab and coming back resumes where the person stopped: here, the review.
    again = page.context.new_page()
    again.goto(server.origin + "/")
    assert again.url.endswith("/review")


def _to_access(page: Page) -> None:
    page.goto(page.url.split("/section/")[0].split("/?")[0] + "/section/access")


def test_a_branch_opens_as_soon_as_it_applies_with_script(browser: Browser, server: Server) -> None:
    page = _page(browser, server)
    _to_access(page)
    limit = page.locator("fieldset[data-qid='access.queries_per_day']")
    assert limit.is_hidden()
    page.locator("fieldset[data-qid='access.rate_limited']").get_by_label("Yes", exact=True).check()
    limit.wait_for(state="visible")
    page.locator("fieldset[data-qid='access.rate_limited']").get_by_label("No", exact=True).check()
    limit.wait_for(state="hidden")


def test_without_script_a_branch_opens_after_the_page_is_sent(
    browser: Browser, server: Server
) -> None:
    page = _page(browser, server, script=False)
    _to_access(page)
    page.locator("fieldset[data-qid='access.rate_limited']").get_by_label("Yes", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue").click()
    assert page.url.endswith("/section/access")
    assert page.get_by_text("Your answers opened new questions on this page.").is_visible()
    limit = page.locator("fieldset[data-qid='access.queries_per_day']")
    assert limit.is_visible()
    assert server.given()["access.rate_limited"] is True


def test_an_invalid_answer_is_shown_at_its_field_and_nothing_is_saved(
    browser: Browser, server: Server
) -> None:
    page = _page(browser, server)
    _to_access(page)
    page.locator("fieldset[data-qid='access.rate_limited']").get_by_label("Yes", exact=True).check()
    box = page.locator("fieldset[data-qid='access.queries_per_day']")
    box.wait_for(state="visible")
    box.locator("input[type='text']").fill("lots")
    response = None
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        page.get_by_role("button", name="Save and continue").click()
    response = info.value
    assert response.status == 422
    error = box.locator(".error")
    assert "Expected a number such as 10000000" in error.inner_text()
    described = box.locator("input[type='text']").get_attribute("aria-describedby") or ""
    assert error.get_attribute("id") in described.split()
    assert box.locator("input[type='text']").input_value() == "lots"  # as the person left it
    assert page.locator("#errors").is_visible()
    assert not server.path.exists()  # the page was refused whole: nothing saved


def test_two_tabs_on_one_file_never_erase_each_other(browser: Browser, server: Server) -> None:
    first = _page(browser, server)
    second = first.context.new_page()
    first.goto(server.origin + "/section/system")
    second.goto(server.origin + "/section/system")
    first.locator("fieldset[data-qid='system.name'] input[type='text']").fill("Fraud scorer")
    with first.expect_navigation():
        first.get_by_role("button", name="Save and continue").click()
    # The second tab still shows the page as it was, with no name; it sets the owner only.
    second.locator("fieldset[data-qid='system.owner'] input[type='text']").fill("Payments risk")
    with second.expect_navigation():
        second.get_by_role("button", name="Save and continue").click()
    saved = server.given()
    assert saved["system.name"] == "Fraud scorer"
    assert saved["system.owner"] == "Payments risk"


class _Evil(http.server.BaseHTTPRequestHandler):
    """Another site the person has open: a page that posts to the questionnaire."""

    target = ""

    def do_GET(self) -> None:
        body = (
            f'<form id="f" method="post" action="{self.target}/section/system">'
            '<input name="system.name" value="pwned"><input name="_csrf" value="guess"></form>'
            '<script>document.getElementById("f").submit()</script>'
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_cross_site_post_and_a_foreign_host_are_refused(browser: Browser, server: Server) -> None:
    page = _page(browser, server)  # signed in: the cookie is there for the attack to ride on
    _Evil.target = server.origin
    evil = http.server.HTTPServer(("127.0.0.1", 0), _Evil)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        with page.expect_response(lambda r: r.request.method == "POST") as info:
            page.goto(f"http://127.0.0.1:{evil.server_address[1]}/")
        assert info.value.status == 403
    finally:
        evil.shutdown()
    assert not server.path.exists()
    # A POST from the questionnaire's own origin, but without the page's key, is refused too.
    api = page.context.request
    forged = api.post(f"{server.origin}/section/system", form={"system.name": "x"},
                      headers={"Origin": server.origin})  # fmt: skip
    assert forged.status == 403
    # DNS rebinding: a page whose own name now points at 127.0.0.1 sends its own Host.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/", headers={"Host": f"attacker.example:{server.port}"})
    assert connection.getresponse().status == 400
    # Without the printed address's key nothing is served.
    stranger = browser.new_context().new_page()
    response = stranger.goto(server.origin + "/section/system")
    assert response is not None
    assert response.status == 403


def test_every_control_is_labelled_and_the_page_works_from_the_keyboard(
    browser: Browser, server: Server
) -> None:
    page = _page(browser, server)
    unlabelled = page.evaluate(
        "[...document.querySelectorAll('input:not([type=hidden])')]"
        ".filter(i => i.labels.length === 0).map(i => i.id)"
    )
    assert unlabelled == []
    headers = page.context.request.get(page.url).headers
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    page.emulate_media(media="print")  # prints the questions, not the navigation
    assert page.get_by_role("navigation").is_hidden()
    assert page.get_by_role("button", name="Save and continue").is_hidden()
    page.emulate_media(media="screen")
    page.keyboard.press("Tab")  # the skip link, past the sections
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the first question's input
    assert page.evaluate("document.activeElement.name") == "system.name"
    page.keyboard.type("Keyboard system")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submits the form
    assert page.url.endswith("/section/access")
    assert server.given()["system.name"] == "Keyboard system"
    # One line per request on standard error, never a traceback.
    assert any(line.startswith("POST /section/system 303 ") for line in server.log)
    assert not any("Traceback" in line for line in server.log)


def test_the_form_speaks_the_language_asked_for(browser: Browser, tmp_path: Path) -> None:
    french = _start(tmp_path / "a.yaml", "--lang", "fr")
    try:
        page = _page(browser, french)
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.get_by_role("button", name="Enregistrer et continuer").is_visible()
        assert page.get_by_text("Section 1 sur").is_visible()
        assert page.get_by_label("Je ne sais pas").first.is_visible()
    finally:
        french.process.send_signal(signal.SIGINT)
        french.process.wait(timeout=20)
