"""Dependencies point one way: a package imports only packages in the layers below it.

The layers are drawn in docs/architecture.md. Every ``import lms.x`` / ``from lms.x import``
in lms/ (at the top of a module or inside a function) is checked; a package may import its own
modules and anything in a lower layer, never a sibling in its own layer or a layer above.
Packages that do not exist yet are listed so that they arrive with their place decided.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

LMS = Path(__file__).resolve().parents[1] / "lms"

#: Bottom to top. Names are lms's top-level packages and modules.
LAYERS: list[set[str]] = [
    # shared infrastructure: no feature knowledge
    {"cache", "clock", "config", "dbtypes", "errors", "extensions", "markdown", "authoring", "mail",
     "text", "storage", "tasks", "spreadsheet", "validators"},
    {"auth"},
    {"programme", "cohorts"},
    {"courses"},
    {"quizzes", "assignments"},
    {"credits"},
    {"credentials"},
    {"verify", "community"},
    {"admin"},
    # the application's assembly: the app factory, the model registry, pages, demo data
    {"main", "models", "web", "demo", "__init__"},
]
#: The bottom (shared base) and the top (assembly) layers are each one unit: their modules
#: may import one another.
SHARED = (LAYERS[0], LAYERS[-1])


def layer_of(name: str) -> int:
    for index, names in enumerate(LAYERS):
        if name in names:
            return index
    raise AssertionError(f"lms.{name} is in no layer: add it to tests/test_architecture.py "
                         "and docs/architecture.md")


def package_of(path: Path) -> str:
    rel = path.relative_to(LMS)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_packages(path: Path) -> set[tuple[str, int]]:
    """(lms top-level name, line) of every import of lms code in the file."""
    found: set[tuple[str, int]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "lms":  # from lms import web, clock
                names = [f"lms.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "lms" and len(parts) > 1:
                found.add((parts[1], node.lineno))
    return found


def violations() -> list[str]:
    problems = []
    for path in sorted(LMS.rglob("*.py")):
        own = package_of(path)
        own_layer = layer_of(own)
        for target, line in sorted(imported_packages(path)):
            if target == own or any(own in unit and target in unit for unit in SHARED):
                continue
            if layer_of(target) >= own_layer:
                problems.append(f"{path.relative_to(LMS.parent)}:{line}: lms.{own} (layer "
                                f"{own_layer}) imports lms.{target} (layer {layer_of(target)})")
    return problems


def test_packages_import_only_lower_layers():
    assert violations() == []


@pytest.mark.parametrize("source, expected", [
    ("from lms.quizzes import services\n", {("quizzes", 1)}),
    ("def f():\n    import lms.assignments.parser\n", {("assignments", 2)}),
    ("from lms import clock, web\n", {("clock", 1), ("web", 1)}),
    ("from . import x\nimport flask\n", set()),
])
def test_imports_are_found_wherever_they_are(tmp_path, source, expected):
    module = tmp_path / "m.py"
    module.write_text(source)
    assert imported_packages(module) == expected


def test_an_upward_import_is_reported(tmp_path, monkeypatch):
    fake = tmp_path / "lms"
    (fake / "courses").mkdir(parents=True)
    (fake / "courses" / "parser.py").write_text("from lms.quizzes.parser import parse_quiz\n")
    (fake / "quizzes").mkdir()
    (fake / "quizzes" / "parser.py").write_text("from lms.courses import kinds\n")
    monkeypatch.setitem(globals(), "LMS", fake)
    assert violations() == ["lms/courses/parser.py:1: lms.courses (layer 3) imports "
                            "lms.quizzes (layer 4)"]


def test_views_never_touch_the_database_session():
    """Views load, authorise, validate, call one service and respond: the unit of work (and
    every query) belongs to a service."""
    offenders = [f"{path.relative_to(LMS.parent)}:{number}: {line.strip()}"
                 for path in sorted(LMS.rglob("views.py"))
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if "db.session" in line or "db.paginate" in line]
    assert offenders == []
