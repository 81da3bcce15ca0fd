"""The area GraphQL modules are built on `app/graphql/` (architecture.md, convention 17): none imports
another area's private names, and their imports at load time form no circle (types that refer back
across areas use `strawberry.lazy`).

Read from the source with `ast`, so the rule holds for every module, imported by a test or not.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"


def _area_graphql_modules() -> dict[str, Path]:
    """`app.<area>.graphql` (and `app.<area>.<x>_graphql`) for every area package; not `app.graphql`."""
    modules: dict[str, Path] = {}
    for path in sorted(APP.glob("*/*graphql*.py")):
        if path.parent.name == "graphql":
            continue
        modules[f"app.{path.parent.name}.{path.stem}"] = path
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module, *, load_time_only: bool) -> list[ast.ImportFrom | ast.Import]:
    """The module's imports: all of them, or only those run when it is loaded (module level, not under
    `if TYPE_CHECKING:`, not inside a function)."""
    found: list[ast.ImportFrom | ast.Import] = []

    def visit(statements: list[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                found.append(statement)
            elif isinstance(statement, ast.If):
                if not (load_time_only and _is_type_checking(statement)):
                    visit(statement.body)
                visit(statement.orelse)
            elif isinstance(statement, ast.Try):
                visit(statement.body)
                for handler in statement.handlers:
                    visit(handler.body)
            elif not load_time_only and isinstance(
                statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
            ):
                visit(statement.body)

    if load_time_only:
        visit(tree.body)
    else:
        found.extend(n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)))
    return found


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _area(module: str) -> str:
    return module.split(".")[1]


def private_imports(modules: dict[str, Path]) -> list[str]:
    """`module: name from other` for every underscore name a module takes from another area."""
    found = []
    for module, path in modules.items():
        for node in _imports(_parse(path), load_time_only=False):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("app."):
                continue
            source = node.module or ""
            if source.startswith("app.graphql") or _area(source) == _area(module):
                continue
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(f"{module}: {alias.name} from {source}")
    return found


def import_cycle(modules: dict[str, Path]) -> list[str] | None:
    """A circle of load-time imports among the area GraphQL modules, or None."""
    edges: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets: set[str] = set()
        for node in _imports(_parse(path), load_time_only=True):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            if isinstance(node, ast.ImportFrom):
                # `from app.plans import graphql` imports the module too.
                names += [f"{node.module}.{alias.name}" for alias in node.names]
            targets |= {name for name in names if name in modules and name != module}
        edges[module] = targets

    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> list[str] | None:
        if module in visiting:
            return [*visiting[visiting.index(module) :], module]
        if module in done:
            return None
        visiting.append(module)
        for target in sorted(edges[module]):
            if (cycle := visit(target)) is not None:
                return cycle
        visiting.pop()
        done.add(module)
        return None

    for module in sorted(edges):
        if (cycle := visit(module)) is not None:
            return cycle
    return None


def test_the_walk_sees_the_area_modules() -> None:
    modules = _area_graphql_modules()
    assert {"app.initiatives.graphql", "app.plans.graphql", "app.engagement.graphql"} <= set(modules)


def test_no_area_graphql_module_imports_another_areas_private_names() -> None:
    assert private_imports(_area_graphql_modules()) == []


def test_area_graphql_modules_import_each_other_in_no_circle() -> None:
    assert import_cycle(_area_graphql_modules()) is None


def test_the_checks_catch_what_they_forbid(tmp_path: Path) -> None:
    """The two walks, on modules written to break the rules, find the breaches."""
    (tmp_path / "a.py").write_text("from app.b.graphql import _secret, Public\n")
    (tmp_path / "b.py").write_text(
        "from typing import TYPE_CHECKING\nfrom app.a.graphql import Thing\n"
        "if TYPE_CHECKING:\n    from app.c.graphql import Lazy\n"
    )
    (tmp_path / "c.py").write_text("def f():\n    from app.a.graphql import Thing\n")
    modules = {
        "app.a.graphql": tmp_path / "a.py",
        "app.b.graphql": tmp_path / "b.py",
        "app.c.graphql": tmp_path / "c.py",
    }
    assert private_imports(modules) == ["app.a.graphql: _secret from app.b.graphql"]
    assert import_cycle(modules) == ["app.a.graphql", "app.b.graphql", "app.a.graphql"]
    (tmp_path / "a.py").write_text("def f():\n    from app.b.graphql import Public\n")
    assert import_cycle(modules) is None
