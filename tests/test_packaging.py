"""`pip install .` installs everything the service imports.

The suite runs with the test extra installed, so a module the service imports but only the test extra
brings (httpx, for the webhook worker) passes every other test and fails a new user's first command:
`pip install . && triangle serve` stopped at start-up with `No module named 'httpx'`. This test reads
every import in `app/` and `migrations/` and checks that some distribution the project's own dependencies bring (with the
extras they ask for, but not the project's `test` extra) provides it.
"""

from __future__ import annotations

import ast
import sys
from importlib.metadata import distribution, packages_distributions
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
# What the wheel ships: the package, and the migrations it carries as app/_migrations.
SHIPPED = (ROOT / "app", ROOT / "migrations")


def _imported_top_level_modules() -> dict[str, set[str]]:
    """Each third-party top-level module imported by the shipped code, with the files importing it."""
    found: dict[str, set[str]] = {}
    for path in (path for folder in SHIPPED for path in folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "app" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def _runtime_closure(project: str) -> set[str]:
    """The distributions installing `project` without extras brings: its requirements, theirs, and so
    on, each with the extras its requirer names (`pyjwt[crypto]` brings cryptography)."""
    seen: set[str] = set()
    pending: list[tuple[str, frozenset[str]]] = [(project, frozenset())]
    while pending:
        name, extras = pending.pop()
        key = f"{canonicalize_name(name)}[{','.join(sorted(extras))}]"
        if key in seen:
            continue
        seen.add(key)
        for line in distribution(name).requires or []:
            requirement = Requirement(line)
            wanted = requirement.marker is None or any(
                requirement.marker.evaluate({**default_environment(), "extra": extra})
                for extra in (extras or {""})
            )
            if wanted:
                pending.append((requirement.name, frozenset(requirement.extras)))
    return {key.split("[")[0] for key in seen}


def test_every_module_the_service_imports_is_installed_by_its_own_dependencies() -> None:
    installed_by = packages_distributions()
    closure = _runtime_closure("triangle")
    missing = {
        module: sorted(files)
        for module, files in _imported_top_level_modules().items()
        if not {canonicalize_name(d) for d in installed_by.get(module, [])} & closure
    }
    assert not missing, f"imported by shipped code but not installed by `pip install .`: {missing}"


def test_the_closure_leaves_out_the_test_extra() -> None:
    """The check above would pass vacuously if the closure took the test extra in."""
    closure = _runtime_closure("triangle")
    assert {"fastapi", "cryptography"} <= closure
    assert not {"pytest", "hypothesis"} & closure
