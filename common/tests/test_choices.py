"""get_FOO_display() through ChoiceLabelsMixin says what Django's own says, in the language of the moment."""

import pytest
from django.db import models
from django.utils import translation

from households.choices import PovertyCause
from households.models import Household, Member


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("value", [*PovertyCause.values, "", "no-such-cause"])
def test_a_label_is_the_one_django_gives(language, value):
    household = Household(main_cause=value)
    field = Household._meta.get_field("main_cause")
    with translation.override(language):
        assert household.get_main_cause_display() == models.Model._get_FIELD_display(household, field)


def test_a_label_follows_the_language_it_is_shown_in():
    household = Household(status="exited")
    with translation.override("en"):
        assert household.get_status_display() == "Out of poverty"
    with translation.override("zh-hans"):
        assert household.get_status_display() == "已脱贫"


def test_a_member_has_the_quick_labels_too():
    member = Member(relation="head")
    with translation.override("en"):
        assert member.get_relation_display() == models.Model._get_FIELD_display(
            member, Member._meta.get_field("relation")
        )
