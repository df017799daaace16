"""Shared fixtures: a small town with two villages and the people who work in them.

Every view is tried by its owner, a colleague and an outsider: the cadre of
东风村 (alice), the cadre of 红旗村 (bob) and a user with no scope (charlie),
plus the town official and a responsible person.
"""

import importlib
import io
import os

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction

from accounts.models import Role
from households.tests import factories

# ---------------------------------------------------------------- the suite's shape


def pytest_collection_modifyitems(config, items):
    """Tests on the demo town run last, so that the one town seeded for them is never seen by any other test."""
    items.sort(key=lambda item: "demo_town" in item.fixturenames)  # a stable sort keeps each group's order


def pytest_runtest_setup(item):
    """A test marked postgresql skips on another database, saying so, and fails under CI, which must run it."""
    if item.get_closest_marker("postgresql") and connection.vendor != "postgresql":
        reason = f"needs PostgreSQL; the test database is {connection.vendor} (set DATABASE_URL to run it)"
        if os.environ.get("CI"):
            pytest.fail(f"CI runs on PostgreSQL, and this test must run there: {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def demo_town(django_db_setup, django_db_blocker):
    """The demo town as `seed_demo` loads it, seeded once for the whole session (it takes most of a minute).

    It lives in a transaction rolled back at the session's end; each test runs in a savepoint inside it, so
    nothing a test does is seen by the next. The tests that use it run after every other test
    (pytest_collection_modifyitems), since until then the town would be in every test's database.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


# ---------------------------------------------------------------- the small town


@pytest.fixture
def town(db):
    return factories.TownFactory()


@pytest.fixture
def dongfeng(town):
    return factories.VillageFactory(town=town, name="东风村", code="01")


@pytest.fixture
def hongqi(town):
    return factories.VillageFactory(town=town, name="红旗村", code="02")


@pytest.fixture
def alice(dongfeng):
    """Village cadre of 东风村."""
    return factories.UserFactory(username="alice", role=Role.CADRE, villages=[dongfeng])


@pytest.fixture
def bob(hongqi):
    """Village cadre of 红旗村."""
    return factories.UserFactory(username="bob", role=Role.CADRE, villages=[hongqi])


@pytest.fixture
def charlie(db):
    """A user with no role and no scope."""
    return factories.UserFactory(username="charlie", role="")


@pytest.fixture
def official(town):
    return factories.UserFactory(username="official", role=Role.OFFICIAL, town=town)


@pytest.fixture
def helper(db):
    """A responsible person; sees only the households assigned to them."""
    return factories.UserFactory(username="helper", role=Role.RESPONSIBLE)


@pytest.fixture
def dongfeng_household(dongfeng):
    return factories.HouseholdFactory(village=dongfeng)


@pytest.fixture
def hongqi_household(hongqi):
    return factories.HouseholdFactory(village=hongqi)


@pytest.fixture
def default_visit_rules(db):
    """The visit rules the data migration creates, for transactional tests: a flush between tests removes them."""
    importlib.import_module("visits.migrations.0002_default_visit_rules").create_rules(apps, None)
