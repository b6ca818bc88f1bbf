"""The structure design.md promises, checked by reading the code: areas depend downward only, and reach
upward only through signals and page slots (coordinator.hooks)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from coordinator.hooks import LAYERS

PACKAGE = Path(__file__).resolve().parents[2] / "coordinator"
COMPOSITION = {"__init__", "cli", "demo", "scale"}  # they put the application together: they may import anything


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every coordinator module a file imports, at the top or inside a function."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("coordinator"):
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("coordinator")]
    return found


def area_of(module: str) -> str | None:
    """The area a module belongs to (``coordinator.minutes.views`` -> ``minutes``); None for the platform."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_package_is_placed_in_a_layer():
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(LAYERS)


def test_areas_import_only_the_platform_and_the_areas_below_them():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(("coordinator",) + path.relative_to(PACKAGE).with_suffix("").parts)
        own = area_of(module)
        if own is None and path.stem in COMPOSITION and path.parent == PACKAGE:
            continue
        for line, target in imported_modules(path):
            theirs = area_of(target)
            if theirs is None or theirs == own:
                continue
            if own is None:
                upward.append(f"{path.relative_to(PACKAGE)}:{line}: the platform imports the {theirs} area")
            elif LAYERS.index(theirs) > LAYERS.index(own):
                upward.append(f"{path.relative_to(PACKAGE)}:{line}: {own} imports {target}, an area above it")
    assert upward == []


def test_no_area_patches_another_or_registers_template_globals():
    """Provider globals assigned from outside and template globals added by an area are the two old ways
    round the layers; only the application factory adds template globals."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        if path.parent != PACKAGE and "add_template_global" in text:
            found.append(f"{path.relative_to(PACKAGE)} registers a template global")
        for match in re.finditer(r"^\s*[a-z_]+\.[a-z_]+_provider\s*=", text, re.MULTILINE):
            found.append(f"{path.relative_to(PACKAGE)}: {match.group().strip()}")
        if re.search(r"^[a-z_]+_provider\s*=", text, re.MULTILINE):
            found.append(f"{path.relative_to(PACKAGE)} has a provider global")
    assert found == []


def test_views_are_thin():
    """A view parses, calls a service and renders or redirects: none is over 40 lines (helpers included)."""
    long = []
    for path in sorted(PACKAGE.rglob("views.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > 40:
                long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} "
                            f"({node.end_lineno - node.lineno + 1} lines)")
    assert long == []
