"""demo/ depends on annotation and review; nothing in them imports demo (it is development data)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_no_app_and_no_setting_imports_the_demo():
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for package in ("annotation", "review", "mabench_site")
        for path in sorted((ROOT / package).rglob("*.py"))
        for module in sorted(_imported_modules(path))
        if module == "demo" or module.startswith("demo.")
    ]
    assert offenders == []


def test_the_demo_is_built_on_both_apps():
    used = {module.split(".")[0] for path in (ROOT / "demo").rglob("*.py") for module in _imported_modules(path)}
    assert {"annotation", "review"} <= used
