"""gunicorn's settings for an app server, read from the environment (scripts/serve passes this
module to gunicorn: `-c python:slotlink.gunicorn_config`). See docs/deploy.md for sizing."""

import os

from gunicorn import glogging  # type: ignore[import-untyped]
from prometheus_client import multiprocess

from slotlink.lib.env import env_int, env_str

wsgi_app = "slotlink.wsgi:application"
bind = [env_str("SERVE_BIND", "127.0.0.1:8000")]
workers = env_int("WEB_WORKERS", 2)
threads = env_int("WEB_THREADS", 4)
worker_class = "gthread"
# A worker process silent this long (its loop no longer beats) is killed and replaced. With
# gthread this does not bound one slow request: its thread runs on while the others serve, nginx
# answers 504 after proxy_read_timeout, and a database wait ends at lock_timeout.
timeout = env_int("WEB_TIMEOUT", 30)
graceful_timeout = env_int("WEB_GRACEFUL_TIMEOUT", 30)
# Longer than the proxy keeps idle connections to us (deploy/nginx.conf: 4 s), so the proxy
# always closes first and never sends a request down a connection we are closing.
keepalive = env_int("WEB_KEEPALIVE", 5)
# Workers are replaced after this many requests (with jitter, so not all at once).
max_requests = env_int("WEB_MAX_REQUESTS", 2000)
max_requests_jitter = max(1, max_requests // 10)
# The master loads the app, and then everything a first request would (when_ready below), before
# it forks a worker: a worker, first or replacement, serves at once without loading anything.
# A new release is started as a new app server, not reloaded with HUP (docs/deploy.md).
preload_app = True
# No access log: it would write raw paths, and /b/<token> carries a secret. Django's request
# log (slotlink.lib.requestlog) names routes instead.
accesslog = None


class QuietLogger(glogging.Logger):
    """gunicorn's logger, without the access log it would still build every request's fields
    for (given a logconfig_dict, below), only to drop them."""

    def access(self, resp: object, req: object, environ: object, request_time: object) -> None:
        return None


logger_class = QuietLogger
errorlog = "-"
loglevel = env_str("LOG_LEVEL", "INFO").lower()
if env_str("LOG_FORMAT", "json" if env_str("SLOTLINK_ENV") == "production" else "plain") == "json":
    # gunicorn's own lines (starting, a worker timing out) as JSON too. The whole dictionary,
    # not just the changes: gunicorn replaces its defaults' sections with these.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "slotlink.lib.logfilters.JsonLines"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
        },
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"handlers": [], "propagate": False},
        },
    }
# gunicorn's control socket defaults to one path in $HOME, which two app servers on one machine
# would share; nothing here uses it (signals do: TERM stops; HUP replaces the workers, but with
# the app preloaded it does not load new code: a release starts new app servers).
control_socket_disable = True
# Django sees the client's scheme from X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER) itself.
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def when_ready(server: object) -> None:
    """In the master, after the app loaded and before the first worker is forked."""
    from slotlink.lib.warmup import warm_up

    warm_up()


def child_exit(server: object, worker: object) -> None:
    """Prometheus: a worker that exited stops counting towards live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
