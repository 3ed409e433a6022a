"""The layer rules of docs/architecture.md, checked on the import graph.

grimp (import-linter's graph builder) reads every import in ``src/``,
including imports inside functions and under ``TYPE_CHECKING``, so a lazy
import can't hide a dependency or a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import grimp
import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "roomwatch"
MAX_LINES = 600


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    # No cache: it is cheap to build (~0.1 s), and a stale cache once hid edits.
    return grimp.build_graph("roomwatch", include_external_packages=True, cache_dir=None)


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _imports(graph: grimp.ImportGraph, package: str) -> Iterable[tuple[str, str]]:
    for module in graph.find_descendants(package) | {package}:
        for imported in graph.find_modules_directly_imported_by(module):
            yield module, imported


def test_core_imports_nothing_of_roomwatch_outside_core(graph: grimp.ImportGraph) -> None:
    bad = sorted(
        (m, i)
        for m, i in _imports(graph, "roomwatch.core")
        if _inside(i, "roomwatch") and i != "roomwatch" and not _inside(i, "roomwatch.core")
    )
    assert bad == []


def test_core_does_no_network_io(graph: grimp.ImportGraph) -> None:
    forbidden = ("aiohttp", "websockets", "asyncio", "socket", "sqlite3", "prometheus_client")
    bad = sorted(
        (m, i)
        for m, i in _imports(graph, "roomwatch.core")
        if any(_inside(i, f) for f in forbidden)
    )
    assert bad == []


def test_stages_import_no_sink_store_or_web(graph: grimp.ImportGraph) -> None:
    outward = [
        p
        for p in ("roomwatch.sinks", "roomwatch.store", "roomwatch.web", "roomwatch.service")
        if p in graph.modules
    ]
    bad = sorted(
        (m, i)
        for m, i in _imports(graph, "roomwatch.stages")
        if any(_inside(i, p) for p in outward) or "aiohttp" in i
    )
    assert bad == []


def test_no_module_imports_its_own_package_init(graph: grimp.ImportGraph) -> None:
    """A package's ``__init__`` presents its API to the outside; its own modules
    import each other directly, so the ``__init__`` can import them freely."""
    bad = sorted(
        (m, i)
        for m in graph.modules
        if _inside(m, "roomwatch")
        for i in graph.find_modules_directly_imported_by(m)
        if m.startswith(i + ".")
    )
    assert bad == []


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Tarjan's strongly connected components of size > 1 over ``modules``."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(root: str) -> None:
        # Iterative, so a long import chain can't hit the recursion limit.
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & modules)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append(
                        (nxt, iter(sorted(graph.find_modules_directly_imported_by(nxt) & modules)))
                    )
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles(graph: grimp.ImportGraph) -> None:
    ours = {m for m in graph.modules if _inside(m, "roomwatch")}
    assert _cycles(graph, ours) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    g = grimp.ImportGraph()
    for a, b in (("x.a", "x.b"), ("x.b", "x.c"), ("x.c", "x.a"), ("x.c", "x.d")):
        g.add_import(importer=a, imported=b)
    assert _cycles(g, set(g.modules)) == [["x.a", "x.b", "x.c"]]


def test_no_module_is_over_600_lines() -> None:
    long = {
        str(path.relative_to(SRC)): n
        for path in SRC.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
