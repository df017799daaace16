"""Running a crowd script (townaid/tests/sqlite_crowd.py, visits/tests/sync_crowd.py) on a SQLite file of its own."""

import json
import os
import subprocess
import sys

from django.conf import settings


def run_on_sqlite(module: str, tmp_path, count: int) -> dict:
    """Run `python -m module DATABASE COUNT` in a subprocess on tmp_path/crowd.sqlite3, and return its JSON line."""
    database = tmp_path / "crowd.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "townaid.settings_test",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    run = subprocess.run(
        [sys.executable, "-m", module, str(database), str(count)],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    return json.loads(run.stdout.strip().splitlines()[-1])
