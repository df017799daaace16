"""One client key sent by several phones at the same moment: one visit, never a 500, on SQLite and PostgreSQL.

The issue found two saves of one key at once giving "database is locked" under `make run`. On
SQLite the sync transaction takes the write lock when it begins (IMMEDIATE, with a busy timeout),
so the second finds the first's visit; on PostgreSQL the unique client key makes the second's
insert fail, and it reads the first's. The crowd itself is visits/tests/sync_crowd.py.
"""

import pytest

from townaid.tests.crowds import run_on_sqlite
from visits.tests.sync_crowd import crowd

PHONES = 8
# One phone stores the visit; the others are told it was already logged, or, sending the other version, a conflict.
SAME = [200] * (PHONES - 1) + [201]
DIFFERENT = [200] * (PHONES // 2 - 1) + [201] + [409] * (PHONES // 2)


def assert_one_visit_each(result: dict) -> None:
    assert result["errors"] == []
    assert (result["same"], result["same_visits"], result["same_photos"]) == (SAME, 1, 1)
    assert (result["different"], result["different_visits"], result["conflicts"]) == (DIFFERENT, 1, 1)


def test_eight_phones_sending_one_key_at_once_on_sqlite_store_one_visit_and_one_conflict(tmp_path):
    assert_one_visit_each(run_on_sqlite("visits.tests.sync_crowd", tmp_path, PHONES))


@pytest.mark.postgresql  # each thread its own connection to the shared test database
@pytest.mark.django_db(transaction=True)
def test_eight_phones_sending_one_key_at_once_on_postgresql_store_one_visit_and_one_conflict(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assert_one_visit_each(crowd(PHONES))
