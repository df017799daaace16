"""SQLite under `make run`: several people saving at the same moment never meet "database is locked".

Found by trying it: four concurrent requests on the default SQLite database gave two
500s. The crowd runs in a subprocess on a SQLite file of its own (sqlite_crowd.py),
whatever database the suite itself runs on.
"""

import sqlite3

from townaid.tests.crowds import run_on_sqlite

PEOPLE = 8


def test_eight_people_logging_in_and_visiting_at_once_on_sqlite_all_succeed(tmp_path):
    result = run_on_sqlite("townaid.tests.sqlite_crowd", tmp_path, PEOPLE)
    assert result["errors"] == []
    assert result["statuses"] == [302] * (PEOPLE * 3)  # a login and two visits each, each redirected on success
    assert result["visits"] == PEOPLE * 2
    with sqlite3.connect(tmp_path / "crowd.sqlite3") as check:  # the file the crowd ran on
        assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
