"""The package's modules import each other one way: no import cycle, anywhere in a module."""

from __future__ import annotations

import ast
from pathlib import Path

import exprdiff

PACKAGE = Path(exprdiff.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The exprdiff modules ``path`` imports, at module level or inside functions alike."""
    found = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + [base]).strip(".")
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in modules)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    modules = set(paths)
    # importing a package's __init__ from its own submodules is not a dependency edge
    return {name: imports_of(path, modules) - {name, "exprdiff"} for name, path in paths.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a list of modules, or None (iterative DFS)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if start in state:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def test_no_import_cycle_among_the_modules():
    """No exprdiff module imports, directly or through others, a module that imports it."""
    graph = import_graph()
    assert "exprdiff.core.nodes" in graph and graph["exprdiff.core.nodes"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_finder_finds_a_cycle():
    """The checker itself reports a cycle when there is one."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_engine_does_not_import_the_node_classes():
    """The planner and the interpreter read nodes through class attributes only."""
    graph = import_graph()
    for engine in ("exprdiff.core.plan", "exprdiff.core.interpreter"):
        assert "exprdiff.core.nodes" not in graph[engine]


def test_no_module_shares_its_name_with_a_function_beside_it():
    """``import exprdiff.x.y as m`` gives the module: no package attribute named y is something else."""
    import importlib
    import types

    for name in import_graph():
        package_name, _, leaf = name.rpartition(".")
        if not package_name or leaf == "__main__":  # importing __main__ runs the CLI
            continue
        package = importlib.import_module(package_name)
        importlib.import_module(name)
        assert isinstance(getattr(package, leaf), types.ModuleType), name
