"""Dependencies point one way (docs: ARCHITECTURE.md): the registry core knows nothing of its front ends
and workers, and the HTTP front ends (public pages and admin in ``registry.web``, the supply-chain API
in ``registry.api``) share only ``registry.extensions`` and the services.

Every import statement counts, at module level or inside a function, absolute or relative."""

from __future__ import annotations

import ast
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


# Two known breaches, to be fixed where they are (the bot registers its own command; the follower
# notification texts move to the registry's catalogs). Strict: once fixed, the mark must go.
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
