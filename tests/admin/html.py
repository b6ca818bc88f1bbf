"""Reading a page as a person would: its visible text, its tables, its form fields, its error summary.

A small DOM built with the standard library's HTML parser, so the tests depend on nothing else. Text is
unescaped as a browser shows it: '&lt;b&gt;' in the page reads as '<b>', while a real <b> is an element.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
HIDDEN = {"head", "script", "style", "template"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs) -> list[Node]:
        found = []
        for node in self.iter():
            if tag is not None and node.tag != tag:
                continue
            if cls is not None and cls not in node.classes:
                continue
            if any(node.attrs.get(name.rstrip("_")) != value for name, value in attrs.items()):
                continue
            found.append(node)
        return found

    def find(self, tag: str | None = None, cls: str | None = None, **attrs) -> Node | None:
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None

    def text(self) -> str:
        """The visible text, whitespace collapsed."""
        parts: list[str] = []

        def walk(node: Node):
            if node.tag in HIDDEN:
                return
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                else:
                    walk(child)
                    if child.tag in {"p", "div", "li", "td", "th", "tr", "h1", "h2", "br", "option", "label"}:
                        parts.append(" ")

        walk(self)
        return re.sub(r"\s+", " ", "".join(parts)).strip()


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


class Page:
    def __init__(self, html: str):
        self.html = html
        builder = _Builder()
        builder.feed(html)
        builder.close()
        self.root = builder.root

    def find_all(self, *args, **kwargs) -> list[Node]:
        return self.root.find_all(*args, **kwargs)

    def find(self, *args, **kwargs) -> Node | None:
        return self.root.find(*args, **kwargs)

    @property
    def title(self) -> str:
        node = self.find("title")
        return node.text() if node else ""

    @property
    def main(self) -> Node:
        return self.find("main")

    @property
    def heading(self) -> str:
        node = self.find("h1")
        return node.text() if node else ""

    @property
    def text(self) -> str:
        body = self.find("body")
        return body.text() if body else ""

    # --- GOV.UK components ---------------------------------------------------------------------------

    @property
    def error_summary(self) -> Node | None:
        return self.find("div", cls="govuk-error-summary")

    def errors(self) -> dict[str, str]:
        """The error summary as {link target: message}; {} when there is no summary."""
        summary = self.error_summary
        if summary is None:
            return {}
        return {a.attrs.get("href", ""): a.text() for a in summary.find_all("a")}

    def field_error(self, field_id: str) -> str | None:
        """The inline error message shown with a field (GOV.UK puts it in '<id>-error')."""
        node = self.find(id=f"{field_id}-error")
        return node.text() if node else None

    def banners(self) -> list[str]:
        return [n.text() for n in self.find_all("div", cls="govuk-notification-banner")]

    def table_rows(self) -> list[list[str]]:
        """Each body row of the first table, as its cells' text."""
        table = self.find("table")
        if table is None:
            return []
        body = table.find("tbody") or table
        return [[cell.text() for cell in row.children if isinstance(cell, Node) and cell.tag in {"td", "th"}]
                for row in body.find_all("tr")]

    def link(self, text: str) -> str | None:
        """The href of the first link whose text contains ``text``."""
        for a in self.find_all("a"):
            if text in a.text():
                return a.attrs.get("href")
        return None

    def value(self, name: str) -> str | None:
        """What a form field shows: an input's value, a select's chosen option, a checkbox's state."""
        for node in self.find_all(name=name):
            if node.tag == "input":
                if node.attrs.get("type") == "checkbox":
                    return "checked" if "checked" in node.attrs else ""
                return node.attrs.get("value", "")
            if node.tag == "textarea":
                return node.text()
            if node.tag == "select":
                chosen = [o for o in node.find_all("option") if "selected" in o.attrs]
                return (chosen[0] if chosen else (node.find("option") or Node("option", {}, None))
                        ).attrs.get("value")
        return None

    def values(self, name: str) -> list[str]:
        return [n.attrs.get("value", "") for n in self.find_all("input", name=name)]

    def options(self, name: str) -> list[str]:
        select = self.find("select", name=name)
        return [o.text() for o in select.find_all("option")] if select else []


def page_of(response) -> Page:
    return Page(response.get_data(as_text=True))
