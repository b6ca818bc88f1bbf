"""Pages as a person reads them and forms sent as a browser sends them, for every suite: the one page
reader (``Page``) and form poster (``post_form``, ``send_form``) of the tests."""
from __future__ import annotations

import re
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
INVISIBLE = {"head", "script", "style", "template", "title"}
BLOCK = {"p", "div", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "br", "option", "label", "dt", "dd",
         "legend", "caption", "ul", "summary"}


# --- reading pages ----------------------------------------------------------------------------------

class Node:
    def __init__(self, tag: str, attrs: dict, parent: Node | None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list = []

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag=None, cls=None, **attrs) -> list[Node]:
        found = []
        for node in self.iter():
            if tag is not None and node.tag != tag:
                continue
            if cls is not None and cls not in node.classes:
                continue
            if any(node.attrs.get(key.rstrip("_")) != value for key, value in attrs.items()):
                continue
            found.append(node)
        return found

    def find(self, tag=None, cls=None, **attrs) -> Node | None:
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None

    def text(self, *, as_read: bool = False) -> str:
        """The node's text. ``as_read``: only what a person reads, no form values (a textarea holds what
        someone typed, not what the page says) and no hidden elements, cells and links kept apart."""
        parts: list[str] = []

        def walk(node: Node):
            if node.tag in INVISIBLE or (as_read and (node.tag == "textarea" or "hidden" in node.attrs)):
                return
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                else:
                    walk(child)
                    if child.tag in BLOCK:
                        parts.append(" ")
            if as_read and node.tag in ("td", "th", "span", "a"):
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
    """A page as a person reads it: text is unescaped as a browser shows it, so '&lt;b&gt;' reads '<b>'
    while a real <b> is an element (see ``elements``)."""

    def __init__(self, response_or_html):
        if isinstance(response_or_html, str):
            self.status_code = 200
            self.html = response_or_html
        else:
            self.status_code = response_or_html.status_code
            self.html = response_or_html.get_data(as_text=True)
        builder = _Builder()
        builder.feed(self.html)
        builder.close()
        self.root = builder.root

    def find_all(self, *args, **kwargs):
        return self.root.find_all(*args, **kwargs)

    def find(self, *args, **kwargs):
        return self.root.find(*args, **kwargs)

    @property
    def text(self) -> str:
        main = self.find("main")
        return main.text() if main else self.root.text()

    @property
    def title(self) -> str:
        node = self.find("title")
        return re.sub(r"\s+", " ", "".join(c for c in node.children if isinstance(c, str))).strip() if node else ""

    @property
    def heading(self) -> str:
        node = self.find("h1")
        return node.text() if node else ""

    # GOV.UK components

    @property
    def error_summary(self) -> Node | None:
        for node in self.find_all("div", cls="govuk-error-summary"):
            if node.find("h2", cls="govuk-error-summary__title") and "There is a problem" in node.text():
                return node
        return None

    def summary_errors(self) -> dict[str, str]:
        """The form error summary as {link target: message}."""
        summary = self.error_summary
        return {} if summary is None else {a.attrs.get("href", ""): a.text() for a in summary.find_all("a")}

    errors = summary_errors

    @property
    def body_text(self) -> str:
        """The whole page's text, navigation included (``text`` is the main content only)."""
        body = self.find("body")
        return body.text() if body else self.root.text()

    def values(self, name: str) -> list[str]:
        """Every input's value under ``name`` (a GOV.UK date input's day, month and year)."""
        return [n.attrs.get("value", "") for n in self.find_all("input", name=name)]

    def options(self, name: str) -> list[str]:
        select = self.find("select", name=name)
        return [o.text() for o in select.find_all("option")] if select else []

    def conflict(self) -> dict[str, tuple[str, str]] | None:
        """After a save that came second: {question: (saved now, yours)}, as the comparison shows them side by
        side; None when the page shows no conflict."""
        if self.find(id="conflict") is None:
            return None
        shown = {}
        for block in self.find_all("div", cls="app-conflict"):
            label = block.find("h2").text()
            columns = [p.text() for p in block.find_all("p")]
            shown[label] = (columns[0], columns[1])
        return shown

    def conflict_title(self) -> str:
        node = self.find(id="conflict")
        return node.find("h2").text() if node else ""

    def field_errors(self) -> list[str]:
        """Every inline error message shown by a field, without the hidden 'Error:' prefix."""
        out = []
        for node in self.find_all(cls="govuk-error-message"):
            out.append(re.sub(r"^Error:\s*", "", node.text()))
        return out

    def field_error(self, field_id: str) -> str | None:
        node = self.find(id=f"{field_id}-error")
        return re.sub(r"^Error:\s*", "", node.text()) if node else None

    def banners(self) -> list[str]:
        return [n.text() for n in self.find_all("div", cls="govuk-notification-banner")]

    def value(self, name: str) -> str | None:
        """What a form field shows: text inputs and textareas their text, radios the checked value, selects
        the selected option."""
        nodes = self.find_all(name=name)
        radios = [n for n in nodes if n.tag == "input" and n.attrs.get("type") in ("radio", "checkbox")]
        if radios:
            checked = [n.attrs.get("value") for n in radios if "checked" in n.attrs]
            return checked[0] if checked else None
        for node in nodes:
            if node.tag == "input":
                return node.attrs.get("value", "")
            if node.tag == "textarea":
                return "".join(c for c in node.children if isinstance(c, str)).lstrip("\n")
            if node.tag == "select":
                chosen = [o for o in node.find_all("option") if "selected" in o.attrs]
                return chosen[0].attrs.get("value") if chosen else None
        return None

    def checked(self, name: str) -> list[str]:
        return [n.attrs.get("value") for n in self.find_all("input", name=name) if "checked" in n.attrs]

    def section(self, heading_text: str) -> Node:
        """The elements after the heading with this text, up to the next heading of the same level."""
        for heading in self.find_all():
            if heading.tag in ("h2", "h3") and heading.text() == heading_text:
                parent = heading.parent
                siblings = [c for c in parent.children if isinstance(c, Node)]
                start = siblings.index(heading)
                collected = Node("section", {}, None)
                for sibling in siblings[start + 1:]:
                    if sibling.tag in ("h2", heading.tag):
                        break
                    collected.children.append(sibling)
                return collected
        raise AssertionError(f"no heading {heading_text!r} on the page")

    def tags(self) -> list[str]:
        return [n.text() for n in self.find_all("strong", cls="govuk-tag")]

    def table_rows(self, container: Node | None = None) -> list[list[str]]:
        table = (container or self.root).find("table")
        if table is None:
            return []
        body = table.find("tbody") or table
        return [[c.text() for c in row.children if isinstance(c, Node) and c.tag in ("td", "th")]
                for row in body.find_all("tr")]

    def link(self, text: str) -> str | None:
        for a in self.find_all("a"):
            if text in a.text():
                return a.attrs.get("href")
        return None

    def elements(self, tag: str) -> list[Node]:
        return self.find_all(tag)


def assert_form_error(page: Page, message: str, field_id: str | None = None) -> None:
    """A GOV.UK error: the summary lists the message (linking to the field), and the field shows it too."""
    assert page.status_code == 200, page.status_code
    assert page.title.startswith("Error: "), page.title
    messages = page.summary_errors()
    assert any(message in text for text in messages.values()), f"{message!r} not in summary {messages}"
    if field_id is not None:
        shown = page.field_error(field_id)
        assert shown is not None and message in shown, f"{field_id} shows {shown!r}, expected {message!r}"
        assert any(href == f"#{field_id}" or href.startswith(f"#{field_id}") for href, text in messages.items()
                   if message in text), messages
    else:
        assert any(message in text for text in page.field_errors()), page.field_errors()


def payload_of(form: Node) -> dict[str, list[str]]:
    """What a browser would send for a form left as shown: text inputs and hidden fields with their values (a
    text input with none sends ""), checked radios and checkboxes ("on" when they have no value), each
    select's chosen option (or its first), textareas' text. No submit button's name."""
    payload: dict[str, list[str]] = {}
    for node in form.iter():
        name = node.attrs.get("name")
        if not name:
            continue
        if node.tag == "input":
            kind = (node.attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                continue
            if kind in ("radio", "checkbox") and "checked" not in node.attrs:
                continue
            payload.setdefault(name, []).append(node.attrs.get("value", "on" if kind in ("radio", "checkbox") else ""))
        elif node.tag == "textarea":
            text = "".join(c for c in node.children if isinstance(c, str))
            payload.setdefault(name, []).append(text[1:] if text.startswith("\n") else text)
        elif node.tag == "select":
            options = node.find_all("option")
            chosen = [o for o in options if "selected" in o.attrs] or options[:1]
            if chosen:
                payload.setdefault(name, []).append(chosen[0].attrs.get("value", chosen[0].text()))
    return payload


def posting_forms(page: Page) -> list[Node]:
    return [f for f in page.find_all("form") if (f.attrs.get("method") or "get").lower() == "post"]


def form_payload(page: Page, form_index: int = -1) -> dict[str, list[str]]:
    """What a browser would send for the page's (last, or ``form_index``th) posting form left as shown."""
    return payload_of(posting_forms(page)[form_index])


def names_in(form: Node) -> set[str]:
    """Every name a form can send: its fields' and its buttons'."""
    return {n.attrs["name"] for n in form.iter() if n.attrs.get("name")}


def field_names(page: Page, form_index: int = -1) -> set[str]:
    return {n.attrs["name"] for n in posting_forms(page)[form_index].iter()
            if n.tag in ("input", "select", "textarea") and n.attrs.get("name")}


def post_form(client, url: str, data: dict, *, page_url: str | None = None, page: Page | None = None,
              forged: dict | None = None):
    """Open the form page and send its form as a browser would (its CSRF token, hidden fields, defaults and
    anything already filled in), with ``data`` typed over it. Every name in ``data`` must be a field the
    page shows; a value of None clears it (an unticked box). ``forged`` adds fields the page does not
    have, for tests of tampered requests."""
    if page is None:  # else: send the form of a page already open (e.g. one re-shown with errors)
        page = Page(client.get(page_url or url))
    assert page.status_code == 200, (page_url or url, page.status_code)
    payload = form_payload(page)
    shown = field_names(page)
    unknown = {name for name, value in data.items() if value is not None} - shown
    assert not unknown, f"the form at {page_url or url} has no field {sorted(unknown)}"
    for name, value in {**data, **(forged or {})}.items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = value if isinstance(value, list) else [value]
    return client.post(url, data=payload)


def page_of(response) -> Page:
    return Page(response)


def find_form(page: Page, action: str | None = None, has: str | None = None) -> Node:
    """The page's posting form whose action is ``action`` (None: the form that posts back to the page) and,
    if given, that has a field named ``has``."""
    found = []
    for form in page.find_all("form"):
        if (form.attrs.get("method") or "get").lower() != "post":
            continue
        if (form.attrs.get("action") or None) != action:
            continue
        if has is not None and not any(n.attrs.get("name") == has for n in form.iter()):
            continue
        found.append(form)
    assert found, f"no form posting to {action!r} with a field {has!r} on the page"
    return found[0]


def send_form(client, page: Page, data: dict, *, action: str | None = None, has: str | None = None,
              url: str | None = None, follow_redirects: bool = False):
    """Post one of an open page's forms as a browser would: what it shows (its CSRF token and hidden
    revision included) with ``data`` typed over it. Every name in ``data`` must be one of the form's
    fields or buttons; None clears a field."""
    form = find_form(page, action, has)
    payload = payload_of(form)
    unknown = {k for k, v in data.items() if v is not None} - names_in(form)
    assert not unknown, f"the form has no field {sorted(unknown)}"
    for name, value in data.items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    target = action or url
    assert target, "say where the form posts (url=) when it posts back to its page"
    return client.post(target, data=payload, follow_redirects=follow_redirects)
