"""Fuzzing the household form, its member formset and the member form with generated junk.

Whatever is posted, the page never fails (no 500: the test client raises the
view's exception), and it saves all or nothing: either a redirect, and the
database then holds exactly what was posted, or the form again (200) and not
one row written. Each example runs in a savepoint rolled back afterwards, so
that every example starts from the same registry.
"""

import os

import pytest
from django import forms
from django.db import transaction
from django.urls import reverse
from hypothesis import event, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from common.tests.browser import sent_back
from households import idnumbers
from households.choices import (
    Attribute,
    Education,
    Health,
    HousingGrade,
    MigrantWork,
    PovertyCause,
    Relation,
    StudentStatus,
    WorkAbility,
)
from households.forms import HouseholdForm, MemberForm, MemberFormSet
from households.models import Household, Member, StatusChange
from households.tests.factories import HouseholdFactory, MemberFactory, VillagerGroupFactory, valid_id_number
from townaid.tests.fuzzing import (
    checkbox,
    choice_or_junk,
    either,
    examples,
    huge_texts,
    id_numbers,
    junk,
    junk_rates,
    numbers,
    post_data,
    texts,
    valid_id_numbers,
)

pytestmark = pytest.mark.django_db

WRITTEN = [Household, Member, StatusChange, AuditEvent]  # every row a household form may write
MEMBER_FIELDS = [name for name in MemberForm.base_fields if name != "version"]


def written() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WRITTEN}


def rolled_back(run):
    """Run one example in a savepoint undone afterwards: the next example starts from the same registry."""
    with transaction.atomic():
        run()
        transaction.set_rollback(True)


# ---------------------------------------------------------------- what is posted


names = st.from_regex(r"\A[\u4e00-\u9fa5]{2,4}\Z")
HEAD = Relation.HEAD.value
OTHER_RELATIONS = [value for value in Relation.values if value != HEAD]


@st.composite
def member_fields(draw, index: int, *, head: bool, rate: int) -> dict:
    """One member form's fields: valid ones (the first member the head), each junk `rate` times in a hundred."""
    health = draw(either(st.sampled_from(Health.values), rate))
    grade = st.integers(1, 4).map(str) if health == Health.DISABLED else st.just("")
    fields = {
        "name": draw(either(names, rate, st.one_of(st.just(""), texts, huge_texts))),
        "id_number": draw(either(valid_id_numbers(), rate, id_numbers())),
        "relation": draw(either(st.just(HEAD) if head else st.sampled_from(OTHER_RELATIONS), rate)),
        "ethnicity": draw(either(st.sampled_from(["汉族", "回族", ""]), rate, st.one_of(texts, huge_texts))),
        "education": draw(choice_or_junk(["", *Education.values], rate)),
        "student_status": draw(choice_or_junk(["", *StudentStatus.values], rate)),
        "health": health,
        "disability_grade": draw(either(grade, rate, st.one_of(st.integers(-2, 6).map(str), junk))),
        "work_ability": draw(choice_or_junk(["", *WorkAbility.values], rate)),
        "migrant_work": draw(choice_or_junk(["", *MigrantWork.values], rate)),
        "work_months": draw(either(st.one_of(st.just(""), st.integers(0, 12).map(str)), rate, numbers)),
        "medical_insurance": draw(checkbox()),
        "serious_illness_insurance": draw(checkbox()),
        "pension_insurance": draw(checkbox()),
        "minimum_allowance": draw(checkbox()),
        "DELETE": draw(st.sampled_from([None, None, None, None, "on"])),
    }
    return {f"members-{index}-{key}": value for key, value in post_data(fields).items()}


@st.composite
def household_fields(draw, *, villages: list[int], groups: list[int], foreign: list[int], rate: int) -> dict:
    """The household's fields: its village and group among `villages` and `groups`, or (when junk) anything,
    a village or group of `foreign` among it."""
    elsewhere = st.one_of(junk, st.sampled_from([str(pk) for pk in foreign]))
    main_cause = draw(choice_or_junk(PovertyCause.values, rate))
    others = [cause for cause in PovertyCause.values if cause != main_cause]
    return post_data(
        {
            "number": draw(either(st.from_regex(r"\A34032[0-9]{9,13}\Z"), rate)),
            "village": draw(either(st.sampled_from([str(pk) for pk in villages]), rate, elsewhere)),
            "group": draw(either(st.sampled_from(["", *(str(pk) for pk in groups)]), rate, elsewhere)),
            "address": draw(either(texts, rate, huge_texts)),
            "phone": draw(either(st.from_regex(r"\A[0-9 -]{0,20}\Z"), rate)),
            "identified_year": draw(either(st.sampled_from(["", *map(str, range(2014, 2021))]), rate, numbers)),
            "attribute": draw(choice_or_junk(Attribute.values, rate)),
            "main_cause": main_cause,
            "other_causes": draw(st.lists(choice_or_junk(others, rate), max_size=3, unique=True)),
            "housing_grade": draw(choice_or_junk(["", *HousingGrade.values], rate)),
            "version": draw(either(st.none(), rate)),
        }
    )


@st.composite
def management(draw, *, forms_sent: int, rate: int) -> dict:
    """The formset's management form: right, or (at the junk rate) off by some, junk, or missing."""
    shape = draw(either(st.just("exact"), rate, st.sampled_from(["more", "fewer", "junk", "missing"])))
    if shape == "missing":
        return {}
    total = {"exact": forms_sent, "more": forms_sent + 2, "fewer": max(0, forms_sent - 1)}.get(shape)
    return {
        "members-TOTAL_FORMS": str(total) if total is not None else draw(junk),
        "members-INITIAL_FORMS": "0" if shape != "junk" else draw(junk),
        "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "1000",
    }


@st.composite
def household_posts(draw, *, villages: list[int], groups: list[int], foreign: list[int]) -> dict:
    rate = draw(junk_rates())
    count = draw(either(st.integers(1, 3), rate, st.sampled_from([0, 4, 5])))
    data = draw(household_fields(villages=villages, groups=groups, foreign=foreign, rate=rate))
    data.update(draw(management(forms_sent=count, rate=rate)))
    for index in range(count):
        data.update(draw(member_fields(index, head=index == 0, rate=rate)))
    return data


# ---------------------------------------------------------------- what a save must have stored


def expected_members(data: dict, stored_ids: dict[int, str]) -> list[tuple]:
    """The members a valid post keeps: initial forms not deleted, extra forms with a name and not deleted.

    A stored member's form sent with a blank ID number keeps the number stored (`stored_ids`, by pk).
    """
    total, initial = int(data["members-TOTAL_FORMS"]), int(data["members-INITIAL_FORMS"])
    kept = []
    for index in range(total):
        p = f"members-{index}-"
        name = data.get(p + "name", "").strip()
        if data.get(p + "DELETE") == "on" or (index >= initial and not name):
            continue
        id_number = idnumbers.normalise(data[p + "id_number"])
        if not id_number and index < initial:
            id_number = stored_ids[int(data[p + "id"])]
        kept.append((name, id_number, data[p + "relation"]))
    return sorted(kept)


def assert_stored_as_posted(household: Household, data: dict, stored_ids: dict[int, str] | None = None) -> None:
    integer = forms.IntegerField(required=False)
    assert household.number == data["number"].strip()
    assert household.village_id == int(data["village"].strip())
    assert household.group_id == integer.clean(data.get("group", ""))
    assert (household.address, household.phone) == (data.get("address", "").strip(), data.get("phone", "").strip())
    assert household.identified_year == integer.clean(data.get("identified_year", ""))
    assert (household.attribute, household.main_cause) == (data["attribute"], data["main_cause"])
    assert sorted(household.other_causes) == sorted(data.get("other_causes", []))
    assert household.housing_grade == data.get("housing_grade", "")
    stored = sorted(household.members.values_list("name", "id_number", "relation"))
    assert stored == expected_members(data, stored_ids or {})


# ---------------------------------------------------------------- the household form, through the view


@pytest.fixture
def groups(dongfeng, hongqi):
    """A group of alice's village, and one of another village."""
    return VillagerGroupFactory(village=dongfeng).pk, VillagerGroupFactory(village=hongqi).pk


@settings(max_examples=examples(40))
@given(draw=st.data())
def test_registering_a_household_never_fails_and_saves_all_or_nothing(client, alice, dongfeng, hongqi, groups, draw):
    client.force_login(alice)
    mine, foreign = groups
    posts = household_posts(villages=[dongfeng.pk], groups=[mine], foreign=[hongqi.pk, foreign])
    data = draw.draw(posts, label="posted")

    def run():
        before = written()
        response = client.post(reverse("households:create"), data)
        assert response.status_code in (200, 302)
        event(f"status {response.status_code}")
        if response.status_code == 200:
            assert written() == before
        else:
            household = Household.objects.get(pk=int(response.url.strip("/").split("/")[-1]))
            assert household.village == dongfeng  # alice's only village
            assert_stored_as_posted(household, data)

    rolled_back(run)


@pytest.fixture
def household(dongfeng_household):
    MemberFactory(household=dongfeng_household, relation=Relation.SPOUSE, sex=idnumbers.FEMALE)
    return dongfeng_household


def registry_state(household) -> tuple:
    household = Household.objects.get(pk=household.pk)
    fields = [f.attname for f in Household._meta.concrete_fields]
    members = Member.objects.filter(household=household).order_by("pk").values_list(*MEMBER_FIELDS, "pk")
    return tuple(getattr(household, name) for name in fields), list(members)


@st.composite
def edits(draw, opened: dict, *, villages: list[int], stranger: int) -> dict:
    """The form as opened, with a few of its values (or keys) changed to anything, members added, the head
    handed over, or the form tampered with (`stranger` is the id of a member of another household)."""
    data = dict(opened)
    keys = sorted(opened)
    for _ in range(draw(st.sampled_from([0, 0, 1, 2, 6]))):
        key = draw(st.sampled_from(keys))
        value = draw(st.one_of(st.none(), junk))
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    if draw(st.booleans()):
        data["address"] = draw(st.one_of(texts, huge_texts))
    if draw(st.booleans()):
        data["village"] = draw(st.sampled_from([str(pk) for pk in villages]))
    move = draw(st.sampled_from(["none", "none", "swap heads", "same member twice", "a stranger"]))
    if move == "swap heads":  # a legitimate edit the save must order right: the head's role changes hands
        data["members-0-relation"], data["members-1-relation"] = Relation.SPOUSE.value, HEAD
    elif move == "a stranger":  # a tampered form: a member of another household
        data["members-1-id"] = str(stranger)
    total = int(opened["members-TOTAL_FORMS"])
    if move == "same member twice":  # a tampered form: one more form of the head, with other values
        copy = {key.replace("members-0-", f"members-{total}-"): v for key, v in data.items() if "members-0-" in key}
        data.update(copy, **{f"members-{total}-relation": Relation.SPOUSE.value})
        data[f"members-{total}-id_number"] = draw(valid_id_numbers())
        total += 1
        data["members-TOTAL_FORMS"] = data["members-INITIAL_FORMS"] = str(total)
    added = draw(st.integers(0, 2))
    for index in range(total, total + added):
        data.update(draw(member_fields(index, head=False, rate=draw(junk_rates()))))
    if added and data.get("members-TOTAL_FORMS") == str(total):
        data["members-TOTAL_FORMS"] = str(total + added)
    return data


@settings(max_examples=examples(40))
@given(draw=st.data())
def test_editing_a_household_never_fails_and_saves_all_or_nothing(client, alice, household, hongqi_household, draw):
    client.force_login(alice)
    opened = sent_back(
        HouseholdForm(instance=household, user=alice),
        MemberFormSet(instance=household, prefix="members", form_kwargs={"user": alice}),
    )
    stored_ids = dict(household.members.values_list("pk", "id_number"))
    stranger = hongqi_household.members.get().pk
    villages = [household.village_id, hongqi_household.village_id]
    data = draw.draw(edits(opened, villages=villages, stranger=stranger), label="posted")

    def run():
        before, rows = registry_state(household), written()
        response = client.post(reverse("households:edit", args=[household.pk]), data)
        assert response.status_code in (200, 302)
        event(
            f"status {response.status_code}"
            + (" after a conflict" if response.context and response.context.get("conflict") else "")
        )
        if response.status_code == 200:
            assert (registry_state(household), written()) == (before, rows)
        else:
            assert_stored_as_posted(Household.objects.get(pk=household.pk), data, stored_ids)

    rolled_back(run)


def test_a_tampered_form_carrying_one_member_twice_is_refused(client, alice, household):
    """Found by the fuzzing above: the two forms shared one member, the last won, and the head was gone."""
    client.force_login(alice)
    data = sent_back(
        HouseholdForm(instance=household, user=alice),
        MemberFormSet(instance=household, prefix="members", form_kwargs={"user": alice}),
    )
    data.update({key.replace("members-0-", "members-2-"): value for key, value in data.items() if "members-0-" in key})
    data.update({"members-2-relation": Relation.SPOUSE.value, "members-2-id_number": valid_id_number()})
    data.update({"members-TOTAL_FORMS": "3", "members-INITIAL_FORMS": "3"})

    response = client.post(reverse("households:edit", args=[household.pk]), data)

    assert response.status_code == 200
    assert [e.code for e in response.context["members"].non_form_errors().as_data()] == ["member_twice"]
    assert household.members.filter(relation=Relation.HEAD).count() == 1


# ---------------------------------------------------------------- the member form alone


@settings(max_examples=examples(100))
@given(draw=st.data())
def test_a_valid_member_form_always_saves(alice, dongfeng, draw):
    """What the form accepts the database accepts: no constraint the form does not check first.

    The household has no member yet: one head per household is a rule across the
    household's members, which the formset checks (test_views), not a lone form.
    """
    household = HouseholdFactory(village=dongfeng, head=False)
    fields = draw.draw(member_fields(0, head=draw.draw(st.booleans()), rate=draw.draw(junk_rates())))
    data = {key.removeprefix("members-0-"): value for key, value in fields.items()}
    form = MemberForm(data, instance=Member(household=household), user=alice)

    def run():
        before = written()
        event(f"valid {form.is_valid()}")
        if not form.is_valid():
            assert written() == before
            return
        member = form.save()
        member.full_clean()
        assert (member.name, member.id_number) == (data["name"].strip(), idnumbers.normalise(data["id_number"]))
        assert idnumbers.parse(member.id_number).birth_date == member.birth_date

    rolled_back(run)


def test_ci_runs_the_same_examples_every_time_and_development_random_ones():
    assert settings.get_profile("ci").derandomize
    assert settings.get_profile("ci").database is None
    assert not settings.get_profile("dev").derandomize
    expected = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
    assert settings.get_current_profile_name() == expected
