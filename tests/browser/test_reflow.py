"""Every page of the demo, as each demo person, in a real browser at 320 px wide and at 1280 px: nothing is
wider than the window (WCAG 2.2 1.4.10, reflow: no scrolling sideways), and axe finds nothing. The pages are
found by following links from the home page, so a page added later is walked too."""
from __future__ import annotations

import pytest

from coordinator.extensions import db
from tests.browser.conftest import AccessibilityChecker, browser_sign_in
from tests.support.crawl import DEMO_PASSWORD, PERSONAS, crawl, pattern_of

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 800}
WIDE = {"width": 1280, "height": 800}
WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
# What sticks out on a page that scrolls sideways: named in the failure, so it can be fixed.
WIDEST = """() => [...document.querySelectorAll('main *')]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 3).map((e) => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
                     + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')"""


@pytest.fixture
def demo(app):
    from coordinator.demo import load_demo

    load_demo(DEMO_PASSWORD)
    db.session.commit()
    return app


def test_every_page_reflows_at_320_px_and_passes_axe(demo, browser, live_server):
    too_wide: list[str] = []
    checked_by_axe: set = set()
    visited = 0
    for email in PERSONAS:
        context = browser.new_context(base_url=live_server, viewport=NARROW)
        page = context.new_page()
        page.set_default_timeout(10_000)
        axe = AccessibilityChecker(page)
        browser_sign_in(page, email, DEMO_PASSWORD)

        def get(url, page=page):  # the page is at 320 px: the walk sets it back after each look at 1280
            response = page.goto(url)
            assert response is not None
            return response.status, response.headers.get("content-type", ""), page.content()

        for url, _ in crawl(demo, get):
            visited += 1
            who = f"{email.split('@')[0]} {url}"
            for size in (NARROW, WIDE):
                page.set_viewport_size(size)
                scroll_width, inner_width = page.evaluate(WIDTHS)
                if scroll_width > inner_width:
                    too_wide.append(f"{who} at {size['width']} px: {scroll_width} px wide; {page.evaluate(WIDEST)}")
            page.set_viewport_size(NARROW)  # axe looks at the page as a phone shows it
            # axe once for each kind of page (its rules do not change with the person looking)
            kind = pattern_of(demo, url) or url
            if kind not in checked_by_axe:
                checked_by_axe.add(kind)
                axe.check(f"{who} at 320 px")
        context.close()
    assert visited > 60, visited
    assert not too_wide, "pages wider than the window:\n" + "\n".join(too_wide)
