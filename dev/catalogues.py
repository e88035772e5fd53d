"""The tool's own words, for translators: extract every `_()` message from the package and the
report templates into `threatmodel/locale/messages.pot`, merge it into each language's `.po`
(keeping the translations made), and compile each `.po` to the `.mo` the tool reads.

    python dev/catalogues.py            # extract, merge, compile
    python dev/catalogues.py --check    # exit 1 if a .po or .mo is out of date (the suite runs it)

Babel (a test dependency) does the work; the installed tool needs only the standard library's
gettext to read the compiled catalogues."""

from __future__ import annotations

import datetime
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "threatmodel" / "locale"
LANGUAGES = ("fr", "de")
METHODS = [("**.py", "python"), ("**.j2", "jinja2")]
OPTIONS = {"**.j2": {"extensions": "jinja2.ext.i18n", "trim_blocks": "True",
                     "lstrip_blocks": "True"}}  # fmt: skip


def template() -> Catalog:
    """Every message of the package and the report templates."""
    catalog = Catalog(project="threatmodel", charset="utf-8", fuzzy=False)
    for folder in (ROOT / "threatmodel", ROOT / "templates"):
        for filename, lineno, message, comments, _ in extract_from_dir(
            folder, METHODS, options_map=OPTIONS, keywords={"_": None, "ngettext": (1, 2)}
        ):
            where = (str((folder / filename).relative_to(ROOT)), lineno)
            catalog.add(message, locations=[where], auto_comments=comments)
    return catalog


def _po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, omit_header=True, sort_output=True, include_lineno=False)
    return out.getvalue()


FIXED = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
"""The header dates written into the compiled catalogues: the same sources give the same bytes."""


def _mo_bytes(catalog: Catalog) -> bytes:
    catalog.creation_date = catalog.revision_date = FIXED
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def build() -> dict[Path, bytes]:
    """Path -> the content each catalogue file should have."""
    pot = template()
    files = {LOCALE / "messages.pot": _po_bytes(pot)}
    for lang in LANGUAGES:
        po_path = LOCALE / lang / "LC_MESSAGES" / "threatmodel.po"
        if po_path.exists():
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=lang)
        else:
            catalog = Catalog(locale=lang, project="threatmodel", fuzzy=False)
        catalog.update(pot, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        files[po_path] = _po_bytes(catalog)
        files[po_path.with_suffix(".mo")] = _mo_bytes(catalog)
    return files


def main(argv: list[str]) -> int:
    files = build()
    stale = [p for p, data in files.items() if not p.exists() or p.read_bytes() != data]
    if "--check" in argv:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run python dev/catalogues.py")
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[path])
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
