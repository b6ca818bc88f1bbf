"""A page computes what it shows before it renders. With ``LAZY_LOADS_IN_TEMPLATES = "raise"`` (the
query-count tests set it) a relationship loaded one object at a time while a template renders raises,
instead of quietly costing a query per row; ``"warn"`` logs it (useful while working on a page). Queries a
page slot's provider runs on purpose (one per kind of thing, with their eager loads) are allowed: only lazy
loads on behalf of one object's relationship attribute are refused."""
from __future__ import annotations

import logging

from flask import Flask, before_render_template, current_app, g, has_app_context, template_rendered
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

log = logging.getLogger(__name__)


class LazyLoadInTemplate(RuntimeError):
    """A template touched a relationship that the view did not load beforehand."""


def _rendering(sender, template, context, **extra) -> None:
    g._templates_rendering = g.get("_templates_rendering", 0) + 1


def _rendered(sender, template, context, **extra) -> None:
    g._templates_rendering = max(0, g.get("_templates_rendering", 0) - 1)


def _check(state: ORMExecuteState) -> None:
    # A lazy load names the object it loads for; an eager load (selectin) run by an explicit query does not.
    if not state.is_select or state.lazy_loaded_from is None or not has_app_context():
        return
    mode = current_app.config.get("LAZY_LOADS_IN_TEMPLATES")
    if not mode or not g.get("_templates_rendering", 0):
        return
    path = state.loader_strategy_path
    parent, attribute = (path[-2], path[-1]) if path and len(path) >= 2 else (None, None)
    name = (f"{getattr(getattr(parent, 'class_', None), '__name__', parent)}.{getattr(attribute, 'key', attribute)}"
            if parent is not None else "a relationship")
    message = (f"{name} was loaded row by row while a template rendered: load it with the page's data "
               "(selectinload or one query)")
    if mode == "raise":
        raise LazyLoadInTemplate(message)
    log.warning(message)


def init_app(app: Flask) -> None:
    before_render_template.connect(_rendering, app, weak=False)
    template_rendered.connect(_rendered, app, weak=False)
    if not event.contains(Session, "do_orm_execute", _check):
        event.listen(Session, "do_orm_execute", _check)
