"""Is the app able to serve? The database, the cache and the Celery broker, each asked once, briefly.

One function, `run_checks`, answers both `/healthz` (for the load balancer and the monitoring) and
`manage.py healthcheck` (for cron). Each check runs in its own daemon thread and is given
HEALTH_TIMEOUT_SECONDS: a database or Redis that has gone silent makes its check fail in time instead
of holding the answer up (libpq, redis-py and kombu would otherwise wait far longer). What went wrong
goes to the log; the answer names only the check, never an error text or a host.
"""

import logging
import secrets
import tempfile
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe
from kombu import Connection

logger = logging.getLogger(__name__)

OK, FAIL = "ok", "fail"


def check_database() -> None:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            if cursor.fetchone() != (1,):
                raise RuntimeError("SELECT 1 did not answer 1")
    finally:
        connections.close_all()  # this thread's own connections: nobody else will close them


def check_cache() -> None:
    key, value = f"healthcheck:{secrets.token_hex(8)}", secrets.token_hex(8)
    cache.set(key, value, timeout=30)
    try:
        if cache.get(key) != value:
            raise RuntimeError("the cache did not give back what it was given")
    finally:
        cache.delete(key)


def check_broker() -> None:
    url = settings.CELERY_BROKER_URL
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if url.startswith("filesystem://"):
        # The local broker is a few folders: it works while web, worker and beat can write to them.
        for folder in {options["data_folder_in"], options["data_folder_out"], options["control_folder"]}:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".healthcheck-"):
                pass
        return
    # One attempt (the settings' max_retries is 0); opening the channel is what sends Redis a PING.
    with Connection(url, connect_timeout=settings.HEALTH_TIMEOUT_SECONDS, transport_options=options) as broker:
        broker.default_channel  # noqa: B018


CHECKS: dict[str, Callable[[], None]] = {"database": check_database, "cache": check_cache, "broker": check_broker}


def run_checks(timeout: float | None = None) -> dict[str, str]:
    """Every check at once, each "ok" or "fail"; a check still running after `timeout` seconds has failed."""
    timeout = settings.HEALTH_TIMEOUT_SECONDS if timeout is None else timeout
    results: dict[str, str] = {}

    def run(name: str, check: Callable[[], None]) -> None:
        try:
            check()
        except Exception as error:
            logger.warning("health check %s failed: %s", name, error)
            results[name] = FAIL
        else:
            results[name] = OK

    threads = {name: threading.Thread(target=run, args=(name, check), daemon=True) for name, check in CHECKS.items()}
    for thread in threads.values():
        thread.start()
    deadline = time.monotonic() + timeout
    for name, thread in threads.items():
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            # Left to finish on its own (a daemon thread): it only holds one connection attempt.
            logger.warning("health check %s gave no answer within %s s", name, timeout)
    return {name: results.get(name, FAIL) for name in CHECKS}


@login_not_required
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every check is ok, else 503; the session, the user and the database of the request stay untouched."""
    checks = run_checks()
    healthy = all(result == OK for result in checks.values())
    response = JsonResponse({"status": OK if healthy else FAIL, "checks": checks}, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response
