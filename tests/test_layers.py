"""The package's import graph: no circle, and no import against the layer order that
``paperread/__init__.py`` documents (``LAYERS``). Deferred imports inside functions count."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import paperread

PACKAGE = Path(paperread.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The package's modules that ``name`` imports, anywhere in its text."""
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".") if name else []
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join(["paperread", *base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            targets = [f"{module}.{a.name}" for a in node.names] + [module]
        for target in targets:
            if target == "paperread" or not target.startswith("paperread."):
                continue
            inner = target.removeprefix("paperread.")
            while inner and inner not in MODULES:
                inner = inner.rpartition(".")[0]
            if inner and inner != name:
                out.add(inner)
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items() if name}


def layer_of(module: str) -> int | None:
    """The layer of ``module``: that of the longest listed name equal to it or a package above it."""
    best: tuple[int, int] | None = None
    for rank, names in enumerate(paperread.LAYERS):
        for listed in names:
            if (module == listed or module.startswith(listed + ".")) and (best is None or len(listed) > best[1]):
                best = (rank, len(listed))
    return None if best is None else best[0]


def test_every_module_has_a_layer():
    missing = sorted(m for m in GRAPH if layer_of(m) is None)
    assert not missing, f"give these modules a place in paperread.LAYERS: {missing}"


def test_no_import_goes_up_a_layer():
    upward = [
        f"{m} (layer {layer_of(m)}) imports {d} (layer {layer_of(d)})"
        for m, deps in sorted(GRAPH.items())
        for d in sorted(deps)
        if (layer_of(m) or 0) < (layer_of(d) or 0)
    ]
    assert not upward, "\n".join(upward)


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle in ``graph`` (as a path that ends where it starts), or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (circle := visit(nxt)):
                return circle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (circle := visit(node)):
            return circle
    return None


def test_no_import_circle():
    circle = find_circle(GRAPH)
    assert circle is None, " -> ".join(circle or [])


def test_the_walk_sees_deferred_and_relative_imports(tmp_path):
    """The checks can fail: a deferred import inside a function is seen, and a circle is found."""
    fake = tmp_path / "db.py"
    fake.write_text("def f():\n    from paperread import engine\n    from . import store\n    import json\n")
    assert _imports("db", fake) == {"engine", "store"}
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("module", ["db", "queries"])
def test_the_read_road_does_not_know_the_write_road(module):
    reach: set[str] = set()
    todo = [module]
    while todo:
        for dep in GRAPH[todo.pop()]:
            if dep not in reach:
                reach.add(dep)
                todo.append(dep)
    assert not reach & {"engine", "store", "locks", "opening", "exchange", "models"}, sorted(reach)
