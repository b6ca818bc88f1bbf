"""Walking the demo as a person would: every page reached by following same-site links from the home page, and
what on each page is not plain language (ISO dates, stored enum names, endpoint names)."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import urljoin, urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from tests.support.pages import Page

DEMO_PASSWORD = "demo password for the crawl"
PERSONAS = ["lead@demo.invalid", "chair@demo.invalid", "health@demo.invalid", "school@demo.invalid",
            "outsider@demo.invalid", "admin@demo.invalid", "manager@demo.invalid", "analyst@demo.invalid"]

# Never followed: signing out ends the walk; the rest are not pages (files, feeds).
NOT_FOLLOWED = {"auth.sign_out", "auth.sign_out_everywhere", "static", "core.healthz", "admin.audit_csv",
                "calendar.feed_file", "oversight.team_csv", "oversight.learning_csv", "minutes.version_pdf",
                "minutes.family_copy_pdf", "submissions.pack_pdf"}

ISO_DATE = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")
# A stored value shown as it is stored: NOT_DONE, stays_sometimes, or a lone enumeration name (OPEN).
UPPER_SNAKE = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")
CAPITALS = re.compile(r"\b[A-Z][A-Z0-9]+\b")
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
# Real acronyms and markings a reader knows; a stored value is never one of these.
ACRONYMS = {"NHS", "GP", "CSV", "ID", "UK", "OFFICIAL", "SENSITIVE", "CIN", "WCAG", "AA", "DASH", "MARAC"}
# Names of things that are written this way (the session cookie's name on the cookies page).
NAMES = {"coordinator_session"}
# "None" standing for a missing value ("Description: None"); "None recorded" is a sentence.
# A day is shown one way: "Tuesday 8 December 2026", never "8 Dec 2026" or without its weekday.
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DAY = re.compile(rf"(\w+,? )?(\d{{1,2}} (?:{MONTHS}|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec) \d{{4}})")
WEEKDAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
NONE = re.compile(r"\bNone\b(?! (?:recorded|scheduled|agreed|reviewed|yet)\b)")


def visible_text(page: Page) -> str:
    """The text a person reads (tests.support.pages: no head, scripts, styles or form values)."""
    return page.root.text(as_read=True)


def endpoint_names(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "." in rule.endpoint}


def enum_names() -> set[str]:
    """Every stored name of the application's enumerations (OPEN, SEEN, CHAIR)."""
    import enum

    names: set[str] = set()
    todo = list(enum.Enum.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("coordinator."):
            names.update(cls.__members__)
    return names


def findings(text: str, endpoints: set[str]) -> list[str]:
    found = [f"ISO date {m}" for m in ISO_DATE.findall(text)]
    found += [f"stored value {m}" for m in UPPER_SNAKE.findall(text) if m not in ACRONYMS]
    stored = enum_names() - ACRONYMS
    found += [f"stored value {m}" for m in CAPITALS.findall(text) if m in stored]
    found += [f"stored value {m}" for m in SNAKE.findall(text) if m not in NAMES]
    found += ["'None' shown"] if NONE.search(text) else []
    found += [f"day not written in full: {text[max(0, m.start() - 60):m.end()]}" for m in DAY.finditer(text)
              if (m.group(1) or "").strip(", ") not in WEEKDAYS]
    found += [f"endpoint name {name}" for name in endpoints if re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text)]
    return found


def pattern_of(app, url: str) -> tuple[str, tuple[str, ...]] | None:
    """A page's kind: its endpoint and the names of its query's fields. None for what is not followed."""
    parts = urlsplit(url)
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(parts.path, method="GET")
    except RequestRedirect:
        return None
    except HTTPException:
        return None
    if endpoint in NOT_FOLLOWED:
        return None
    query = tuple(sorted({kv.split("=", 1)[0] for kv in parts.query.split("&") if kv}))
    return endpoint, query


def links(page: Page, base: str) -> Iterator[str]:
    for anchor in page.find_all("a"):
        href = anchor.attrs.get("href")
        if not href or href.startswith(("#", "mailto:", "tel:")):
            continue
        absolute = urljoin(base, href)
        parts = urlsplit(absolute)
        if parts.netloc not in ("", "localhost"):
            continue
        yield parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(app, get: Callable[[str], tuple[int, str, str]], *, per_pattern: int = 1) -> Iterator[tuple[str, str]]:
    """Every page reachable from the home page by following links (GET only), at most ``per_pattern`` pages of
    each kind. ``get(url)`` answers (status, content type, html); yields (url, html) for each HTML page."""
    seen: set[str] = set()
    counts: dict[tuple, int] = {}
    queue = ["/"]
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        pattern = pattern_of(app, url)
        if pattern is None and url != "/":
            continue
        if pattern is not None:
            if counts.get(pattern, 0) >= per_pattern:
                continue
            counts[pattern] = counts.get(pattern, 0) + 1
        status, content_type, html = get(url)
        assert status < 500, f"{url} answered {status}"
        if status != 200 or not content_type.startswith("text/html"):
            continue
        yield url, html
        queue.extend(link for link in links(Page(html), url) if link not in seen)
