"""Gunicorn configuration for `fairrecruit web`, `fairrecruit up` and the container image.

Defaults come from the FAIRRECRUIT_* settings; `fairrecruit web --host/--port/--workers` (passed
to gunicorn as --bind/--workers) override them. Logs go to standard output/error.
"""

import os

from registry import logs
from registry.settings import load_settings

_settings = load_settings()
logs.setup(_settings)

bind = f"{_settings.web_host}:{_settings.web_port}"
workers = _settings.web_workers
# Synchronous workers: one request at a time per process. This application spends its time in Python
# (threads in one process would only take turns holding the interpreter lock) and in short database
# round trips, so plain processes serve the most requests with the steadiest latency (bench/bench_api.py;
# with 4 threads per worker even a bare Flask endpoint answered less than half as many requests here). Slow
# clients are the proxy's business: docker-compose puts nginx in front (config/nginx.conf). Scale with
# FAIRRECRUIT_WEB_WORKERS (default: two per core, 2 to 8; with 16 connections on 2 cores, 4 workers kept the
# API's p99 under 25 ms where 2 let requests queue behind a worker waiting on the database).
worker_class = "sync"
timeout = 60
graceful_timeout = 10
max_requests = 5000
max_requests_jitter = 500
# The application is imported once, in the master, before the workers are forked (registry.wsgi): a
# worker replaced after max_requests serves within milliseconds instead of importing everything again, and
# the recruiter search index built at import is shared by every worker instead of built by each.
preload_app = True
accesslog = "-"
errorlog = "-"
loglevel = "info"
# Behind the reverse proxy of docker-compose / the host; trust its X-Forwarded-* headers only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Heartbeat files in memory, not on a container's overlay filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
proc_name = "fairrecruit-web"
# No shared control socket in $HOME: several instances (tests, containers) must not collide.
control_socket_disable = True


def post_fork(server, worker):
    """In each web worker: after a commit that wrote outbox messages (a decision made in the admin
    panel, a webhook test from the API), enqueue their delivery at once; the beat sweep remains the
    safety net when the broker cannot be reached."""
    from registry.services import outbox

    logs.setup(_settings)  # gunicorn's own handlers exist by now: mask secrets there too
    outbox.install_dispatch_after_commit(_settings)


def on_starting(server):
    """In the arbiter: its log handlers exist now; mask secrets in what it logs."""
    logs.setup(_settings)
