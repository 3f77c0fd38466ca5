"""Dependencies point one way (docs: ARCHITECTURE.md): the registry core knows nothing of its front ends
and workers, and the HTTP front ends (public pages and admin in ``registry.web``, the supply-chain API
in ``registry.api``) share only ``registry.extensions`` and the services; no module reaches itself
through a circle of imports.

Every import statement counts, at module level or inside a function, absolute or relative."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(path: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of everything a source file imports; `from a import b` yields `a` and
    `a.b` (b may be a module)."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            yield node.lineno, source
            for alias in node.names:
                yield node.lineno, f"{source}.{alias.name}"


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(importer: str, forbidden: str) -> list[str]:
    """Every import of `forbidden` (a package or module) by a module of `importer`, as file:line."""
    found = []
    for path in sorted((ROOT / importer.replace(".", "/")).rglob("*.py")):
        for line, name in imported_names(path):
            if within(name, forbidden):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return sorted(set(found))


RULES = [
    pytest.param("registry", "bot"),
    pytest.param("registry", "workers"),
    pytest.param("registry.api", "registry.web"),
    pytest.param("registry.web", "registry.api"),
    pytest.param("workers", "bot"),
    pytest.param("bot", "registry.web"),
    pytest.param("bot", "registry.api"),
]


@pytest.mark.parametrize(("importer", "forbidden"), RULES)
def test_dependency_rule(importer, forbidden):
    assert violations(importer, forbidden) == [], f"{importer} must not import {forbidden}"


def test_the_rules_see_every_kind_of_import(tmp_path, monkeypatch):
    """The checker itself: absolute, relative, `from package import module`, and imports inside
    functions are all found (a checker that sees nothing would pass every rule)."""
    pkg = tmp_path / "registry" / "api"
    pkg.mkdir(parents=True)
    (tmp_path / "registry" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("from registry import web\n")
    (pkg / "a.py").write_text("import registry.web.public\n")
    (pkg / "b.py").write_text("from ..web.auth import requires\n")
    (pkg / "c.py").write_text("def f():\n    from registry.web import admin\n")
    (pkg / "d.py").write_text("from registry.webhooks import x\nfrom registry import extensions\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert violations("registry.api", "registry.web") == [
        "registry/api/__init__.py:1 imports registry.web",
        "registry/api/a.py:1 imports registry.web.public",
        "registry/api/b.py:1 imports registry.web.auth",
        "registry/api/b.py:1 imports registry.web.auth.requires",
        "registry/api/c.py:2 imports registry.web",
        "registry/api/c.py:2 imports registry.web.admin",
    ]


def sources(*packages: str) -> dict[str, Path]:
    """{module name: path} of every source module of the packages (migrations excluded)."""
    return {
        module_name(p): p
        for package in packages
        for p in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in p.parts
    }


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules it imports (among `modules`). Importing a module runs its packages'
    ``__init__`` first: that is Python's doing, not a dependency, so a module's own ancestor packages
    are left out."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps = set()
        for _line, imported in imported_names(path):
            parts = imported.split(".")
            for i in range(len(parts), 0, -1):
                target = ".".join(parts[:i])
                if target in modules:
                    if target != name and not within(name, target):
                        deps.add(target)
                    break
        graph[name] = deps
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circles():
    assert circles(import_graph(sources("registry", "workers", "bot"))) == []


def test_the_circle_finder_finds_circles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(graph) == [["a", "b", "c"]]


def test_the_workers_app_and_its_tasks_do_not_import_each_other():
    app, tasks = ROOT / "workers" / "app.py", ROOT / "workers" / "tasks.py"
    assert not [n for _, n in imported_names(app) if within(n, "workers.tasks")]
    assert not [n for _, n in imported_names(tasks) if within(n, "workers.app")]


def test_loading_the_registry_and_the_workers_loads_no_bot_module(tmp_path):
    """At run time too: importing every registry and workers module pulls in no bot module."""
    code = (
        "import sys, importlib, pkgutil, registry, registry.commands, registry.services, workers; "
        "from registry.commands import MODULES; import registry.cli; "
        "[importlib.import_module(f'registry.commands.{m}') for m in MODULES]; "
        "[importlib.import_module(m.name) for m in pkgutil.iter_modules(registry.services.__path__, 'registry.services.')]; "
        "import workers.main, workers.tasks, registry.notifications; "
        "print(sorted(m for m in sys.modules if m == 'bot' or m.startswith('bot.')))"
    )
    env = {**os.environ, "FAIRRECRUIT_BROKER_URL": "memory://", "FAIRRECRUIT_VAR_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
