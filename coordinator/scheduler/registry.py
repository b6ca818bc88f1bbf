"""Due-work registry. Each area registers a function that finds and does its due work in the database,
so that whatever fell due while the scheduler was down is done, once, when it comes back.

A job is called as ``job(keeper, now)``. ``keeper.may_go_on()`` is asked between the job's steps, after
each step has committed: it renews the scheduler's lease when it needs renewing and answers False once the
lease is lost or the scheduler is stopping, and the job then returns without writing more.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol


class Keeper(Protocol):
    holder: str

    def may_go_on(self) -> bool: ...


DueJob = Callable[[Keeper, datetime], object]  # (keeper, now) -> summary

DUE_JOBS: dict[str, DueJob] = {}


def due_job(name: str):
    def register(fn: DueJob) -> DueJob:
        DUE_JOBS[name] = fn
        return fn

    return register


class Unlimited:
    """A keeper for running due work outside the scheduler (tests, the demo): it always goes on."""

    holder = "direct"

    def may_go_on(self) -> bool:
        return True
