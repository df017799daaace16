"""Shared fixtures: a small town with two villages and the people who work in them.

Every view is tried by its owner, a colleague and an outsider: the cadre of
东风村 (alice), the cadre of 红旗村 (bob) and a user with no scope (charlie),
plus the town official and a responsible person.
"""

import contextlib
import importlib
import io
import os
from urllib.parse import quote

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction

from accounts.models import Role
from households.tests import factories

# ---------------------------------------------------------------- the suite's shape


def uses_the_demo(item) -> bool:
    return "demo_town" in getattr(item, "fixturenames", ())


@pytest.hookimpl(trylast=True)  # after pytest-django's own order (plain database tests, transactional, the rest)
def pytest_collection_modifyitems(config, items):
    """The tests on the demo town run first, together: the town is seeded once, and gone before any other test.

    First, so that no test ran before them to flush the data migrations' rows, and so that under pytest-xdist
    the workers start on the longest piece of work (each worker that draws some of them seeds its own town,
    at the same time as the others).
    """
    items[:] = [item for item in items if uses_the_demo(item)] + [item for item in items if not uses_the_demo(item)]


def skip_here_fail_in_ci(reason: str):
    """Skip, saying why, where a real service is missing; under CI, which has them all, fail instead."""
    if os.environ.get("CI"):
        pytest.fail(f"CI has PostgreSQL and Redis, and this test must run there: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item):
    """A test marked postgresql runs on PostgreSQL only (skip_here_fail_in_ci elsewhere)."""
    if item.get_closest_marker("postgresql") and connection.vendor != "postgresql":
        skip_here_fail_in_ci(f"needs PostgreSQL; the test database is {connection.vendor} (set DATABASE_URL)")
    if uses_the_demo(item) and _DEMO_GONE:
        pytest.fail("the demo town is gone: the tests on it must run together (pytest_collection_modifyitems)")


@pytest.fixture
def worker_database_url(transactional_db) -> str:
    """The test database as a DATABASE_URL for a real Celery worker beside the test, on the real Redis broker.

    Only PostgreSQL can be shared with a second process (the test's SQLite is in memory), and only Redis is a
    broker a worker outside the test can reach; without them the test skips here and fails under CI.
    """
    from townaid import celery_app

    broker = celery_app.conf.broker_url
    if not broker.startswith("redis://"):
        skip_here_fail_in_ci(f"needs Redis as the broker; it is {broker.split(':')[0]} (set CELERY_BROKER_URL)")
    if connection.vendor != "postgresql":
        skip_here_fail_in_ci(f"needs PostgreSQL to share with a worker; the test database is {connection.vendor}")
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(str(db['PASSWORD']), safe='')}" if db["PASSWORD"] else ""
    credentials = f"{user}{password}@" if user else ""
    return f"postgres://{credentials}{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


REFERENCE_DATA = (  # each get_or_create, so running one again changes nothing
    ("households.migrations.0004_income_line_2020", "create_2020_line"),
    ("visits.migrations.0002_default_visit_rules", "create_rules"),
    ("infrastructure.migrations.0002_deadlines_2020", "create_deadlines"),
)
_DEMO: list[contextlib.ExitStack] = []  # the open transaction that holds the demo town while it is there
_DEMO_GONE: list[bool] = []  # once it went, it stays gone for the run


@pytest.fixture(scope="session")
def demo_town(django_db_setup, django_db_blocker):
    """The demo town as `seed_demo` loads it, seeded once for the whole run (it takes most of a minute).

    It lives in a transaction rolled back after the last test that uses it (pytest_runtest_teardown), so no
    other test sees it; each test runs in a savepoint inside it, so nothing a test does is seen by the next.
    """
    stack = contextlib.ExitStack()
    stack.enter_context(django_db_blocker.unblock())
    stack.enter_context(transaction.atomic())
    _DEMO.append(stack)
    # The data migrations' rows, which a transactional test run before on this worker has flushed away.
    for migration, create in REFERENCE_DATA:
        getattr(importlib.import_module(migration), create)(apps, None)
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    yield out.getvalue()
    _demo_town_away()


def _demo_town_away():
    if _DEMO:
        transaction.set_rollback(True)
        _DEMO.pop().close()
        _DEMO_GONE.append(True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After the last test on the demo town, and the module fixtures built on it, the town goes."""
    yield
    if uses_the_demo(item) and (nextitem is None or not uses_the_demo(nextitem)):
        _demo_town_away()


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
