"""Shared fixtures: a small town with two villages and the people who work in them.

Every view is tried by its owner, a colleague and an outsider: the cadre of
东风村 (alice), the cadre of 红旗村 (bob) and a user with no scope (charlie),
plus the town official and a responsible person.
"""

import importlib

import pytest
from django.apps import apps

from accounts.models import Role
from households.tests import factories


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
