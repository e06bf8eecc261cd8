"""The shape of the code, as docs/architecture.md describes it: who may import whom,
no import cycle, and modules a person reads in one sitting."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("bot", "handlers", "dispatch", "storage")
LONGEST = 500  # lines


def _modules() -> dict[str, Path]:
    modules = {}
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


MODULES = _modules()


def _imports(name: str) -> Iterator[str]:
    """Every module ``name`` imports, at the top or inside a function."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # ``from handlers import drafts`` imports the module handlers.drafts, and the
            # package only as a namespace (its composition does not make a cycle).
            submodules = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
            yield from submodules
            if len(submodules) < len(node.names):
                yield base


def _ours(imported: str) -> str | None:
    """The module of ours that an import names (a name inside a module counts as the module)."""
    while imported:
        if imported in MODULES:
            return imported
        imported = imported.rpartition(".")[0]
    return None


GRAPH = {
    name: {m for i in _imports(name) if (m := _ours(i)) is not None and m != name}
    for name in MODULES
}

FORBIDDEN = {
    "dispatch": {"telegram", "sqlalchemy", "storage", "bot", "handlers"},
    "handlers": {"storage", "sqlalchemy"},
    # storage adapts PTB's persistence, so it may know telegram.ext, never the bot itself.
    "storage": {"bot", "handlers"},
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_each_layer_imports_only_what_it_may(layer: str) -> None:
    offenders = [
        f"{name} imports {imported}"
        for name in MODULES
        if name.split(".")[0] == layer
        for imported in _imports(name)
        if imported.split(".")[0] in FORBIDDEN[layer]
    ]
    assert offenders == []


def test_there_is_no_import_cycle() -> None:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for nxt in sorted(GRAPH[name]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[name] = 2

    for name in sorted(MODULES):
        if name not in state:
            visit(name, [name])
    assert [" -> ".join(c) for c in cycles] == []


def test_no_module_is_longer_than_a_sitting() -> None:
    long = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > LONGEST
    }
    assert long == {}


def test_the_walk_sees_the_imports_it_judges() -> None:
    """The checks above are only as good as the graph: it must see real edges."""
    assert "dispatch.ports" in GRAPH["storage.uow"]
    assert "handlers.technician.common" in GRAPH["handlers.technician.record"]
    assert "handlers.drafts" in GRAPH["handlers.repair"]
