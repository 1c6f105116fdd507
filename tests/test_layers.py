"""Layers import only downwards: the order is the one docs/architecture.md writes (its "Layers" list)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "callscope"


def layer_order() -> dict[str, int]:
    """Unit (a top-level module or subpackage of callscope, or `callscope` for its __init__) -> layer."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    layers = {}
    for line in section.splitlines():
        found = re.match(r"^(\d+)\. (.*)$", line)
        if found:
            for name in re.findall(r"`([a-z_]+)`", found.group(2).split(":", 1)[0]):
                layers[name] = int(found.group(1))
    return layers


def unit_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return "callscope" if parts == ("__init__",) else parts[0]


def _unit_of_import(module: str, name: str | None = None) -> str:
    parts = module.split(".")[1:]
    if not parts and name and ((PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file()):
        return name          # from callscope import hooks
    return parts[0] if parts else "callscope"


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, unit) of every callscope import, at any depth, outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
               and getattr(block.test, "id", getattr(block.test, "attr", None)) == "TYPE_CHECKING"
               for node in block.body for n in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, _unit_of_import(a.name)) for a in node.names if a.name.split(".")[0] == "callscope"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "callscope":
            found += [(node.lineno, _unit_of_import(node.module, a.name)) for a in node.names]
    return found


def test_every_unit_has_a_layer():
    units = {unit_of(p) for p in PACKAGE.rglob("*.py")}
    assert units - set(layer_order()) == set()


def test_no_module_imports_from_a_layer_above_it():
    layers = layer_order()
    upward = [f"{path.relative_to(ROOT)}:{line} imports {target} (layer {layers[target]} > {layers[unit_of(path)]})"
              for path in sorted(PACKAGE.rglob("*.py")) for line, target in imports(path)
              if layers.get(target, 0) > layers.get(unit_of(path), 0)]
    assert upward == []


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from callscope.cli import app\n"
                      "def late():\n    from callscope.batch import BatchRunner\n")
    assert imports(module) == [(5, "batch")]
