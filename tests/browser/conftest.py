"""A real browser: Playwright driving Debian's chromium against the app served on a loopback port,
with axe-core checking every page for WCAG 2.2 AA violations."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield instance
        instance.close()


@pytest.fixture
def live_server(app):
    """The test's app served on a free loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    thread.join(timeout=5)


class AccessibilityChecker:
    def __init__(self, page):
        self.page = page
        self.checked: list[str] = []
        self.csp_violations: list[str] = []
        page.on("console", self._console)

    def _console(self, message):
        if message.type == "error" and "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def check(self, label: str | None = None) -> None:
        """Run axe on the current page; fail with every violation listed."""
        page = self.page
        page.wait_for_load_state("load")  # stylesheets applied: axe measures what a person sees
        # evaluate() runs through the DevTools protocol, so our strict CSP stays on for the page itself.
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(AXE_SOURCE.read_text())
        result = page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )
        violations = [
            f"{v['id']} ({v['impact']}): {v['help']} -> "
            + "; ".join(node["target"][0] if isinstance(node["target"][0], str) else str(node["target"])
                        for node in v["nodes"][:5])
            for v in result["violations"]
        ]
        self.checked.append(label or page.url)
        assert not violations, f"axe found violations on {label or page.url}:\n" + "\n".join(violations)
        assert not self.csp_violations, f"Content-Security-Policy violations: {self.csp_violations}"


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def axe(page):
    return AccessibilityChecker(page)


def wait_for_frontend(page) -> None:
    """GOV.UK Frontend and our own script start after the page has loaded (a dynamic import). Keys typed
    before they have started can race them (focus, the unsaved-changes warning), so a test that types key
    by key waits for every component on the page to say it has started."""
    page.wait_for_load_state("load")
    page.wait_for_function("""() => [...document.querySelectorAll('[data-module]')].every(
        (element) => element.dataset.module.split(' ').every((name) => element.hasAttribute(`data-${name}-init`)))""")


def browser_sign_in(page, email: str, password: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
