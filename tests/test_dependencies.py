"""The apps depend one way (ratings on annotate, both on accord and fixed_sql), and no module imports itself back."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("accord", "annotate", "ratings", "fixed_sql")
# What each package may import from the others: a package never imports one listed above it.
MAY_IMPORT = {
    "fixed_sql": set(),
    "accord": {"fixed_sql"},
    "annotate": {"accord", "fixed_sql"},
    "ratings": {"accord", "annotate", "fixed_sql"},
}
# The root URLconf is where the apps' pages meet: it alone in accord includes them.
ROOT_URLCONF = "accord.urls"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }


def _imports(path: Path, known: set[str]) -> set[str]:
    """Project modules a module imports, at any depth of its code (imports inside functions count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in known)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, known) - {name} for name, path in modules.items()}


def test_apps_depend_one_way(graph: dict[str, set[str]]) -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        if module != ROOT_URLCONF
        and target.split(".")[0] != module.split(".")[0]
        and target.split(".")[0] not in MAY_IMPORT[module.split(".")[0]]
    )
    assert wrong == []


def test_no_module_imports_itself_back(graph: dict[str, set[str]]) -> None:
    cycles = []
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []
