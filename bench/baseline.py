"""The bare Flask baseline the pages are measured against, served the same way in the same run: a
hello-world and a 50-paragraph Jinja page (``gunicorn bench.baseline:app``)."""
from flask import Flask, render_template_string

app = Flask(__name__)

PAGE = """<!DOCTYPE html><html lang="en"><head><title>{{ title }}</title></head><body><main>
<h1>{{ title }}</h1>{% for paragraph in paragraphs %}<p>{{ paragraph }}</p>{% endfor %}</main></body></html>"""
PARAGRAPHS = [f"Paragraph {n}: the professionals met, shared what each agency knows, and agreed what happens "
              f"next for the children, by whom and by when." for n in range(50)]


@app.get("/hello")
def hello():
    return "Hello, world!"


@app.get("/jinja")
def jinja():
    return render_template_string(PAGE, title="Baseline", paragraphs=PARAGRAPHS)
