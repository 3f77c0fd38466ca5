"""The Celery app is configured from the registry settings; beat schedules every check, with expiry."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

from celery.schedules import crontab

from registry import taskqueue
from registry.services import outbox
from registry.services.checks import CHECKS
from registry.settings import Settings
from workers.app import FairRecruitCelery, create_celery

ROOT = Path(__file__).resolve().parents[3]


def test_defaults_and_delivery_guarantees(tmp_path):
    settings = Settings(env="test", var_dir=tmp_path, broker_url="redis://127.0.0.1:6379/3")
    app = create_celery(settings, install_commit_hook=False)
    c = app.conf
    assert c.broker_url == "redis://127.0.0.1:6379/3"
    assert c.task_acks_late is True and c.task_reject_on_worker_lost is True
    assert c.worker_prefetch_multiplier == 1
    assert (
        c.task_serializer == "json" and c.result_serializer == "json" and list(c.accept_content) == ["json"]
    )
    app.loader.import_default_modules()  # what a worker does at start: import the `include` modules
    assert {"workers.tasks.run_check", "workers.tasks.dispatch_outbox", "workers.tasks.sweep_outbox"} <= set(
        app.tasks
    )


def test_processes_that_only_send_tasks_share_the_workers_configuration(tmp_path):
    settings = Settings(env="test", var_dir=tmp_path, broker_url="redis://127.0.0.1:6379/3")
    worker, sender = create_celery(settings, install_commit_hook=False), taskqueue.client(settings)
    for key in ("broker_url", "task_serializer", "accept_content", "task_default_queue", "task_acks_late"):
        assert sender.conf[key] == worker.conf[key], key
    assert sender.conf.task_default_queue == "fairrecruit"


def test_the_app_travels_with_its_settings(tmp_path):
    settings = Settings(env="test", var_dir=tmp_path, broker_url="redis://127.0.0.1:6379/3")
    app = pickle.loads(pickle.dumps(create_celery(settings, install_commit_hook=False)))
    assert isinstance(app, FairRecruitCelery) and app.settings == settings
    assert app.conf.broker_url == settings.broker_url and "outbox:sweep" in app.conf.beat_schedule


def test_embedded_default_is_the_sqlite_broker_with_configured_poll_interval(tmp_path):
    from kombu.transport import sqlalchemy as sqla

    settings = Settings(env="test", var_dir=tmp_path, broker_url="", celery_poll_interval_seconds=0.25)
    app = create_celery(settings, install_commit_hook=False)
    assert app.conf.broker_url == f"sqla+sqlite:///{(tmp_path / 'broker.db').resolve()}"
    assert sqla.Transport.polling_interval == 0.25
    assert "polling_interval" not in (app.conf.broker_transport_options or {})


def test_beat_schedules_every_check_on_its_declared_crontab_with_expiry(tmp_path):
    settings = Settings(env="test", var_dir=tmp_path, outbox_sweep_seconds=45, audit_anchor_seconds=120)
    schedule = create_celery(settings, install_commit_hook=False).conf.beat_schedule
    for name, check in CHECKS.items():
        entry = schedule[f"check:{name}"]
        assert entry["task"] == "workers.tasks.run_check" and entry["args"] == (name,)
        assert entry["schedule"] == crontab(**check.schedule)
        assert entry["options"]["expires"] > 0
    sweep = schedule["outbox:sweep"]
    assert sweep["task"] == "workers.tasks.sweep_outbox"
    assert sweep["schedule"].total_seconds() == 45 and sweep["options"]["expires"] == 45
    anchor = schedule["audit-log:anchor"]
    assert anchor["task"] == "workers.tasks.anchor_audit_log"
    assert anchor["schedule"].total_seconds() == 120 and anchor["options"]["expires"] == 120


def test_commit_hook_is_installed_and_survives_a_dead_broker(tmp_path):
    # a broker nobody listens on: the hook must not raise into the edge's commit
    settings = Settings(env="test", var_dir=tmp_path, broker_url="redis://127.0.0.1:1/0")
    previous = outbox.commit_hook()
    app = create_celery(settings)
    try:
        assert outbox.commit_hook() is not None and outbox.commit_hook() is not previous
        assert app.enqueue_dispatch() is False
        outbox.commit_hook()()  # what runs after a commit: logs, never raises into the edge
    finally:
        outbox.set_commit_hook(previous)


def test_entry_module_for_the_celery_command_line(tmp_path):
    env = {
        **os.environ,
        "FAIRRECRUIT_VAR_DIR": str(tmp_path),
        "FAIRRECRUIT_BROKER_URL": "redis://127.0.0.1:6379/4",
    }
    code = (
        "import json; from workers.main import app; "
        "print(json.dumps([app.conf.broker_url, sorted(app.conf.beat_schedule)]))"
    )
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    broker, entries = json.loads(out.stdout.strip().splitlines()[-1])
    assert broker == "redis://127.0.0.1:6379/4"
    assert "outbox:sweep" in entries and all(f"check:{n}" in entries for n in CHECKS)
