"""Facts read once per page: several parts of one page (the guard, the predicates, the view, the slots
filled by other areas) often need the same rows. Within one GET request they are read once; never across
requests, and never while a change is being made (a change must see what it has just written)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import has_request_context, request

T = TypeVar("T")


def once_per_page(key: tuple, compute: Callable[[], T]) -> T:
    if not has_request_context() or request.method != "GET":
        return compute()
    memo = request.environ.setdefault("coordinator.memo", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]
