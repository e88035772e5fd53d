"""Questionnaire, reports and packs in French and German: every built-in sentence translated
and current, the same answers giving the same risks in every language, numbers and dates as
each language writes them, the interview asking in French in a real terminal, and an
organisation pack's translations linted for what is missing, stale or orphaned."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pexpect
import pytest

from tests.conftest import EXAMPLES, ROOT, SCENARIOS, Result
from threatmodel.pack.i18n import text_hash
from threatmodel.pack.load import load_packs

GOLDEN = ROOT / "tests" / "render" / "golden"
EXE = shutil.which("threatmodel") or "threatmodel"
CELEBRITY = EXAMPLES / "spam-celebrity.yaml"


def _json(cli: Callable[..., Result], path: Path, *options: str) -> dict[str, Any]:
    result = cli("report", path, "--format", "json", *options)
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_every_built_in_sentence_is_translated_and_current(
    cli: Callable[..., Result], lang: str
) -> None:
    result = cli("rules", "lint", "--lang", lang, "--format", "json")
    assert result.code == 0, result.err
    translations = [f for f in json.loads(result.out)["findings"] if f["message"].startswith(lang)]
    assert translations == []


@pytest.mark.parametrize("lang", ["fr", "de"])
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_same_answers_give_the_same_risks_in_every_language(
    cli: Callable[..., Result], path: Path, lang: str
) -> None:
    english = _json(cli, path)
    other = _json(cli, path, "--lang", lang)
    assert other["lang"] == lang
    assert other["translation"]["fallbacks"] == 0
    (status,) = other["translation"]["statuses"].values()
    assert ("non relue" if lang == "fr" else "nicht") in status  # honestly marked

    def levels(data: dict[str, Any]) -> list[tuple[str, ...]]:
        return [(t["id"], t["likelihood"], t["severity"], t["risk"], t["residual_risk"])
                for t in data["threats"]]  # fmt: skip

    assert levels(other) == levels(english)
    assert other["overall_risk"] == english["overall_risk"]
    assert [r["id"] for r in other["ruled_out"]] == [r["id"] for r in english["ruled_out"]]
    titles = {t["id"]: t["title"] for t in other["threats"]}
    assert all(titles[t["id"]] != t["title"] for t in english["threats"])  # really translated


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_golden_report_per_language(
    cli: Callable[..., Result], lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = cli("report", CELEBRITY.relative_to(ROOT), "--lang", lang)
    assert result.code == 0, result.err
    golden = GOLDEN / f"spam-celebrity.{lang}.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(result.out, encoding="utf-8")
    assert result.out == golden.read_text(encoding="utf-8")


def test_numbers_and_the_document_language(cli: Callable[..., Result]) -> None:
    french = cli("report", CELEBRITY, "--lang", "fr").out
    german = cli("report", CELEBRITY, "--lang", "de").out
    assert "2\u202f000\u202f000" in french  # narrow no-break spaces
    assert "2.000.000" in german
    assert "2,000,000" not in french + german
    html = cli("report", CELEBRITY, "--lang", "fr", "--format", "html").out
    assert '<html lang="fr">' in html
    csv = cli("report", CELEBRITY, "--lang", "de", "--format", "csv").out
    assert csv.startswith("\ufeff")


def test_the_project_file_chooses_the_language(cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / ".threatmodel.yaml").write_text("lang: de\n")
    answers = tmp_path / "threat-assessment.yaml"
    shutil.copyfile(CELEBRITY, answers)
    assert _json(cli, answers)["lang"] == "de"
    assert _json(cli, answers, "--lang", "en")["lang"] == "en"  # the flag wins
    (tmp_path / ".threatmodel.yaml").write_text("lang: it\n")
    refused = cli("report", answers)
    assert refused.code == 2
    assert "lang" in refused.err


def test_an_organisation_pack_s_translations_are_linted(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    pack = tmp_path / "acme"
    assert cli("rules", "init", pack).code == 0
    own = load_packs([pack])
    title = own.questions["vendor.retains_inputs"].text
    (pack / "i18n" / "fr.yaml").write_text(
        "lang: fr\nentries:\n"
        "  question.vendor.retains_inputs.text:\n"
        f"    en: {text_hash(title)}\n"
        "    text: Le prestataire conserve-t-il les données envoyées ?\n"
        "  threat.vendor-input-retention.title:\n"
        "    en: 00000000\n"
        "    text: Un prestataire conserve ce qu'on envoie au modèle\n"
        "  question.vendor.gone.text:\n"
        "    en: 00000000\n"
        "    text: Orpheline\n",
        encoding="utf-8",
    )
    result = cli("rules", "lint", pack, "--lang", "fr", "--format", "json")
    assert result.code == 0, result.err
    found = {(f["message"].split()[1], f["message"].split(" of ")[-1].split()[0])
             for f in json.loads(result.out)["findings"]}  # fmt: skip
    assert ("stale", "threat.vendor-input-retention.title") in found
    assert ("orphaned", "question.vendor.gone.text") in found
    assert ("missing", "threat.vendor-input-retention.summary") in found
    assert not any(key == "question.vendor.retains_inputs.text" for _, key in found)
    assert not any(key.startswith(("question.access", "threat.input")) for _, key in found)
    # In a French report the translated question is French; the stale title stays English.
    answers = tmp_path / "a.yaml"
    answers.write_text(CELEBRITY.read_text() + "  vendor:\n    retains_inputs: true\n")
    report = _json(cli, answers, "--rules", pack, "--lang", "fr")
    vendor = next(t for t in report["threats"] if t["id"] == "vendor-input-retention")
    assert vendor["title"] == own.threats["vendor-input-retention"].title
    assert report["translation"]["fallbacks"] > 0
    assert report["translation"]["statuses"]["acme"] == "not translated"


def test_the_interview_asks_in_french_in_a_terminal(tmp_path: Path) -> None:
    french = load_packs()
    from threatmodel.pack.i18n import translate

    question = translate(french, "fr").pack.questions["system.name"].text
    env = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(EXE, ["assess", "answers.yaml", "--lang", "fr"], cwd=str(tmp_path),
                          env=env, dimensions=(50, 250), encoding="utf-8", timeout=15)  # fmt: skip
    child.expect_exact("question(s)")
    # French typography puts a no-break space before "?", which a terminal may draw as a space.
    child.expect_exact(question.rstrip("\xa0?"))
    child.send("Filtre anti-spam\r")
    child.expect_exact(
        translate(french, "fr").pack.questions["system.purpose"].text.rstrip("\xa0?")
    )
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Filtre anti-spam" in (tmp_path / "answers.yaml").read_text(encoding="utf-8")


def test_the_catalogues_are_complete_and_compiled() -> None:
    """Every message of the tool has a French and a German translation, and the compiled
    catalogues the tool reads match their sources (`python dev/catalogues.py` rebuilds them)."""
    import subprocess
    import sys

    from babel.messages.pofile import read_po

    done = subprocess.run([sys.executable, str(ROOT / "dev" / "catalogues.py"), "--check"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout
    for lang in ("fr", "de"):
        path = ROOT / "threatmodel" / "locale" / lang / "LC_MESSAGES" / "threatmodel.po"
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        untranslated = [m.id for m in catalog if m.id and not m.string]
        assert untranslated == [], f"{lang}: {untranslated[:5]}"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Art. 5(1)(f)"),
        ("fr", "art.\u00a05, par.\u00a01, point\u00a0f)"),
        ("de", "Art.\u00a05 Abs.\u00a01 lit.\u00a0f"),
    ],
)
def test_legal_references_are_cited_as_each_language_cites_them(lang: str, expected: str) -> None:
    from threatmodel.locales import article, number

    assert article("Art. 5(1)(f)", lang) == expected
    assert article("Annex III, point 4", lang) == "Annex III, point 4"  # left as written
    assert number("10,000,000.5", lang).replace("\u202f", " ") in (
        "10,000,000.5", "10 000 000,5", "10.000.000,5"
    )  # fmt: skip


def test_a_command_s_language_ends_with_the_command(cli: Callable[..., Result]) -> None:
    from threatmodel import locales

    assert cli("questions", "--lang", "fr").code == 0
    assert locales.current() == "en"  # the next command (in this process) starts in English
    assert cli("questions").out.startswith("# The threatmodel questionnaire")
