"""The world of townaid/tests/world.py, built once for each module that asks for it."""

import pytest
from django.db import connection, transaction
from django.test import override_settings

from townaid.tests.world import build_world


@pytest.fixture(scope="module")
def built_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once for the module inside a transaction that is rolled back at its end."""
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")),
        transaction.atomic(),
    ):
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def world(built_world):
    """The world, still there: a request that closed the database connection would take it from every later test."""
    if connection.closed_in_transaction:
        pytest.fail("an earlier test closed the database connection, and the world with it", pytrace=False)
    return built_world
