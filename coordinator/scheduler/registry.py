"""Due-work registry. Each area registers a function that finds and does its due work in the database,
so that whatever fell due while the scheduler was down is done, once, when it comes back."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

DueJob = Callable[[str, datetime], object]  # (holder, now) -> summary

DUE_JOBS: dict[str, DueJob] = {}


def due_job(name: str):
    def register(fn: DueJob) -> DueJob:
        DUE_JOBS[name] = fn
        return fn

    return register
