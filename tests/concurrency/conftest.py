"""Real concurrent requests: the test's application served on a loopback port (threaded, as gunicorn's
threads or several workers would be), people as HTTP clients with their own cookies, and a barrier that
releases their requests at the same instant."""
from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar

import pytest

from tests.browser.conftest import live_server  # noqa: F401  (the fixture: the app served in threads)
from tests.conftest import PASSWORD
from tests.families.conftest import world  # noqa: F401
from tests.families.helpers import Page, form_payload
from tests.minutes.conftest import team  # noqa: F401  (the fixture, re-used here)

ROUNDS = 50  # each race is run this many times


@pytest.fixture
def served(live_server):  # noqa: F811
    return live_server


@dataclass
class Response:
    status: int
    location: str
    page: Page

    @property
    def saved(self) -> bool:
        return self.status in (302, 303)


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is the answer we want to see, not follow


class Browser:
    """One person's browser: its own cookies, forms posted as shown with their CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _KeepRedirects)

    def request(self, path: str, data: dict | None = None) -> Response:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=60) as answer:
                status, headers, html = answer.status, answer.headers, answer.read().decode()
        except urllib.error.HTTPError as answer:
            status, headers, html = answer.code, answer.headers, answer.read().decode()
        return Response(status, headers.get("Location", ""), Page(html) if html else Page(""))

    def get(self, path: str) -> Response:
        return self.request(path)

    def post(self, path: str, data: dict) -> Response:
        return self.request(path, data)

    def form(self, path: str, form_index: int = -1) -> dict[str, list[str]]:
        """Open a page and return its form as a browser would send it untouched."""
        response = self.get(path)
        assert response.status == 200, (path, response.status, response.page.text[:500])
        return form_payload(response.page, form_index)

    def sign_in(self, email: str) -> Browser:
        payload = self.form("/sign-in")
        payload.update({"email": [email], "password": [PASSWORD]})
        assert self.post("/sign-in", payload).status == 302, email
        return self


@pytest.fixture
def browser_for(served):
    def make(user) -> Browser:
        return Browser(served).sign_in(user.email)

    return make


def together(*calls):
    """Run the calls in threads released at the same instant; their results in order. A failure in any
    call fails the test with its exception."""
    barrier = threading.Barrier(len(calls), timeout=30)
    results: list = [None] * len(calls)
    errors: list = []

    def run(n, call):
        try:
            barrier.wait()
            results[n] = call()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if errors:
        raise errors[0]
    return results


def assert_no_server_error(responses) -> None:
    for response in responses:
        assert response.status < 500, (response.status, response.page.text[:1000])
