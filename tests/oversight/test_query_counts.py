"""Both pages cost the same few queries for a partnership of 100 families and of 10,000 (the history
written in bulk, in seconds): every figure is aggregated in the database."""
from __future__ import annotations

import time

import pytest

from coordinator.extensions import db
from tests.oversight.conftest import make_oversight
from tests.performance.test_query_counts import queries_for

MOST_QUERIES = 20


@pytest.fixture
def guarded(app):
    app.config["LAZY_LOADS_IN_TEMPLATES"] = "raise"
    return app


def test_the_dashboard_and_the_measures_cost_the_same_for_100_and_10000_families(guarded, make_user):
    from coordinator.oversight.history import write_history

    oversight = make_oversight(make_user, families=100, leads=4, tag="q")
    pages = {"team": (oversight.manager.email, "/team"), "partnership": (oversight.analyst.email, "/partnership"),
             "by plan type": (oversight.analyst.email, "/partnership?by=plan_type")}
    small = {name: queries_for(guarded, *page) for name, page in pages.items()}
    started = time.monotonic()
    write_history(9_900, leads=400, tag="big")
    db.session.commit()
    written = time.monotonic() - started
    large = {name: queries_for(guarded, *page) for name, page in pages.items()}
    assert small == large and max(large.values()) <= MOST_QUERIES, f"queries (100, 10,000 families): {small}, {large}"
    assert written < 60, f"the history took {written:.0f} seconds to write"
