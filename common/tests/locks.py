"""For the tests of row locks (PostgreSQL only): waiting until another connection waits for one."""

import time

from django.db import connections


def wait_until_blocked(timeout: float = 5.0, *, waiting: int = 1) -> None:
    """Until `waiting` other connections of this database wait for a lock."""
    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else the view is frozen for the transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] >= waiting:
                return
            time.sleep(0.02)
    raise AssertionError(f"fewer than {waiting} connections ever waited for a lock")
