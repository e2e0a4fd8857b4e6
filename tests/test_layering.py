"""The rooms' order: review sits above annotation, so no annotation module imports review (review adds its
datasheet sections in its AppConfig.ready()); neither imports the development-only demo app."""

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(("app", "above"), [("annotation", {"review", "demo"}), ("review", {"demo"})])
def test_an_app_imports_nothing_above_it(app, above):
    offending = sorted(
        str(path.relative_to(PROJECT)) for path in (PROJECT / app).rglob("*.py") if _imported(path) & above
    )
    assert not offending, f"{app} imports {above}: {offending}"
