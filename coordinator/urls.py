"""Links that leave the service (in emails, invites, feeds): absolute, from BASE_URL, and built with the
URL map, so scheduler jobs, which have no request, make the same links as pages do."""
from __future__ import annotations

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    adapter = current_app.url_map.bind("service.invalid")  # the host is not used: only the path is built
    return base + adapter.build(endpoint, values)
