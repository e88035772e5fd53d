"""PDF: the HTML document printed by WeasyPrint (the optional `pdf` extra), with a fetcher that
loads nothing but inline data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from threatmodel.engine.assessment import Assessment
from threatmodel.errors import InputError


def require_pdf() -> Any:
    """The WeasyPrint module, or an error saying exactly what to install."""
    try:
        import weasyprint  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except (ImportError, OSError) as exc:  # OSError: the package is there, its libraries are not
        raise InputError(
            None,
            "--format pdf needs WeasyPrint: pip install 'threatmodel[pdf]' (and on Debian or "
            f"Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0); {type(exc).__name__}",
        ) from None
    return weasyprint


ATTACHMENT = "assessment.json"


def render_pdf(assessment: Assessment, template_dir: Path | None = None) -> bytes:
    """The HTML document printed to PDF with WeasyPrint (the optional `pdf` extra), as PDF/A-3b
    with the JSON assessment attached: the document attached to a DPIA carries its own
    machine-readable form, which archives and GRC tools can extract."""
    weasyprint = require_pdf()
    from threatmodel.render.formats import render, to_json

    html = render(assessment, "html", template_dir)
    document = weasyprint.HTML(string=html, url_fetcher=_data_urls_only(weasyprint))
    attachment = weasyprint.Attachment(
        string=to_json(assessment).encode(),
        name=ATTACHMENT,
        description="The assessment as JSON (threatmodel.assessment/1)",
        relationship="Data",  # PDF/A-3: the data the document was rendered from
    )
    pdf: bytes = document.write_pdf(attachments=[attachment], pdf_variant="pdf/a-3b")
    return pdf


def _data_urls_only(weasyprint: Any) -> Any:
    """A URL fetcher for inline data: URLs only. The report is self-contained, and a template
    (perhaps an organisation's own) must not make the PDF step read local files or the
    network."""
    if hasattr(weasyprint, "URLFetcher"):  # WeasyPrint 68 and later
        return weasyprint.URLFetcher(allowed_protocols=("data",))

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:  # earlier versions
        if not url.startswith("data:"):
            raise ValueError(f"the report may not load {url[:60]!r}")
        return weasyprint.default_url_fetcher(url, *args, **kwargs)

    return fetch
