"""SQLite under `make run`: several people saving at the same moment never meet "database is locked".

Found by trying it: four concurrent requests on the default SQLite database gave two
500s. The crowd runs in a subprocess on a SQLite file of its own (sqlite_crowd.py),
whatever database the suite itself runs on.
"""

import json
import os
import sqlite3
import subprocess
import sys

from django.conf import settings

PEOPLE = 8


def test_eight_people_logging_in_and_visiting_at_once_on_sqlite_all_succeed(tmp_path):
    database = tmp_path / "crowd.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "townaid.settings_test",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    run = subprocess.run(
        [sys.executable, "-m", "townaid.tests.sqlite_crowd", str(database), str(PEOPLE)],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert run.returncode == 0, run.stderr[-4000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["errors"] == []
    assert result["statuses"] == [302] * (PEOPLE * 3)  # a login and two visits each, each redirected on success
    assert result["visits"] == PEOPLE * 2
    with sqlite3.connect(database) as check:
        assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
