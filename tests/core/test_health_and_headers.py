from tests.conftest import sign_in


def test_healthz_reports_database_scheduler_and_outbox(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["state"] == "ok"
    assert body["scheduler"] == {"last_heartbeat": None, "heartbeat_age_seconds": None}
    assert body["outbox"] == {"pending": 0, "oldest_pending_age_seconds": None, "failed": 0}


def test_pages_carry_security_headers(client, make_user):
    make_user("pat@partnership.test")
    sign_in(client, "pat@partnership.test")
    response = client.get("/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script>" not in response.get_data(as_text=True)


def test_unknown_page_is_a_styled_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
