"""The layers hold: the domain imports nothing outside itself and the standard library, the ports
only the domain, the services only the domain and the ports; and no module grows past 350
lines. Read from the source (every import, at any depth, including those under TYPE_CHECKING)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "ezchat"
MAX_LINES = 350


def _modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            names.add("ezchat.<relative>")
    return names


def _outside(path: Path, allowed: tuple[str, ...]) -> list[str]:
    wrong = []
    for name in sorted(_imports(path)):
        top = name.split(".")[0]
        if top == "ezchat":
            if not any(name == a or name.startswith(a + ".") for a in allowed):
                wrong.append(name)
        elif top not in sys.stdlib_module_names and top != "__future__":
            wrong.append(name)
    return wrong


@pytest.mark.parametrize(
    ("layer", "allowed"),
    [
        ("domain", ("ezchat.domain",)),
        ("ports", ("ezchat.domain", "ezchat.ports")),
        ("services", ("ezchat.domain", "ezchat.ports", "ezchat.services")),
    ],
)
def test_a_layer_imports_only_the_layers_beneath_it(layer, allowed):
    modules = _modules(layer)
    assert modules, f"no modules under ezchat/{layer}"
    wrong = {str(p.relative_to(PACKAGE)): _outside(p, allowed) for p in modules}
    assert {k: v for k, v in wrong.items() if v} == {}


def test_the_check_sees_a_forbidden_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from ezchat.adapters.memory import db\n"
        "import tornado.web\n"
    )
    assert _outside(module, ("ezchat.domain",)) == ["ezchat.adapters.memory", "tornado.web"]


def test_no_module_is_over_350_lines():
    sizes = {
        str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
