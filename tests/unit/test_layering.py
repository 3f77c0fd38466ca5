"""Dependencies point one way: the registry and the workers import nothing from the bot; the workers'
app and tasks modules do not import each other; emitting messages (outbox), alerts and delivery form
no import circle. Checked on the source (every import, also those inside functions) and at run time."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in the file (`from a import b` counts as a and a.b)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def sources(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def test_the_registry_and_the_workers_import_nothing_from_the_bot():
    offenders = {
        module_name(p): sorted(m for m in imports_of(p) if m == "bot" or m.startswith("bot."))
        for package in ("registry", "workers")
        for p in sources(package)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_workers_app_and_its_tasks_do_not_import_each_other():
    assert not {m for m in imports_of(ROOT / "workers" / "app.py") if m.startswith("workers.tasks")}
    assert not {m for m in imports_of(ROOT / "workers" / "tasks.py") if m.startswith("workers.app")}


def test_outbox_alerts_and_delivery_import_no_circle():
    services = {module_name(p): p for p in (ROOT / "registry" / "services").glob("*.py")}
    modules = {**services, **{module_name(p): p for p in (ROOT / "registry").glob("*.py")}}
    graph = {
        name: {m for m in imports_of(path) if m in modules and m != name} for name, path in modules.items()
    }

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    for name in ("registry.services.outbox", "registry.services.alerts", "registry.services.delivery"):
        assert not reaches(name, name), f"{name} imports itself through other modules"
    assert "registry.services.alerts" not in graph["registry.services.outbox"]
    assert "registry.services.delivery" not in graph["registry.services.outbox"]


def test_the_check_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from bot.notify import x\n    import workers.tasks\n")
    assert {"bot.notify", "bot.notify.x", "workers.tasks"} <= imports_of(sample)


def test_loading_the_registry_and_the_workers_loads_no_bot_module(tmp_path):
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
