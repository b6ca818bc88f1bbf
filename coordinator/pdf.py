"""PDF copies of the pre-meeting pack, the minutes and the family's copy, for an agency's own case record.

Drawn by WeasyPrint as tagged PDF/UA-1 (headings, lists and tables a screen reader can follow, the title and
language set), A4, page-numbered, with the protective marking (PROTECTIVE_MARKING) at the head and foot of
every page and the person it was made for, their agency and the day on every page, in the footer and as a
watermark: a copy passed on says whose it was. The print stylesheet and page template are templates/pdf/."""
from __future__ import annotations

import re
from datetime import date

from flask import Response, current_app, render_template
from markupsafe import Markup

from coordinator.timeutil import long_date, today

PDF_VARIANT = "pdf/ua-1"  # tagged, with the document's title and language: PDF/UA

_MAIN = re.compile(r"<main\b[^>]*>(.*)</main>", re.DOTALL)


def main_of(page: str) -> Markup:
    """The main content of a rendered page (its GOV.UK header, navigation and footer left out)."""
    found = _MAIN.search(page)
    return Markup(found.group(1) if found else page)  # the page's own, already escaped, HTML


def recipient_line(user, on: date | None = None) -> str:
    agency = user.agency.name if getattr(user, "agency", None) else "no agency"
    return f"{user.name}, {agency}, {long_date(on or today())}"


def render(*, title: str, recipient, body: Markup | None = None, body_template: str | None = None,
           **context) -> bytes:
    """The PDF of ``body`` (HTML) or of ``body_template`` rendered with ``context``, made for ``recipient``."""
    from weasyprint import HTML  # imported when a PDF is made: pango is loaded then, not at start-up
    from weasyprint.urls import URLFetcher

    html = render_template("pdf/document.html", title=title, body=body, body_template=body_template,
                           marking=current_app.config["PROTECTIVE_MARKING"], made_for=recipient_line(recipient),
                           **context)
    # Made from the page alone: no image, font or stylesheet is fetched from anywhere (no protocol allowed).
    document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=set()))
    return document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)


def download(pdf: bytes, filename: str) -> Response:
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
