"""Two people editing one household: the second save never overwrites the first unseen.

alice (cadre of 东风村) and the town official open the same edit form; the
official saves first. alice's save then shows both versions and saves nothing;
saving again from that page, or from a reloaded form, applies her version.
"""

import datetime as dt
import threading

import pytest
from django.db import connections, transaction
from django.urls import reverse
from django.utils import timezone

from common.concurrency import StaleVersion
from common.tests.browser import sent_back
from common.tests.locks import wait_until_blocked
from households import idnumbers
from households.choices import Education, HouseholdStatus, Relation
from households.forms import HouseholdForm, MemberFormSet
from households.models import Household, Member
from households.services import household_save
from households.tests.factories import HouseholdFactory, MemberFactory, valid_id_number

pytestmark = pytest.mark.django_db

CONFLICT = "Someone else changed this record after you opened the form"


@pytest.fixture(autouse=True)
def in_english(english):
    """Every page in English, so that the labels compared below are the English source strings."""


@pytest.fixture
def household(dongfeng):
    household = HouseholdFactory(village=dongfeng, address="东风村3组", phone="13900000001")
    MemberFactory(household=household, name="李梅", relation=Relation.SPOUSE, sex=idnumbers.FEMALE)
    return household


def edit_url(household):
    return reverse("households:edit", args=[household.pk])


def opened(client, user, household) -> dict:
    """What `user`'s browser holds after opening the edit form: the data it would send back unchanged."""
    client.force_login(user)
    response = client.get(edit_url(household))
    assert response.status_code == 200
    return sent_back(response.context["form"], response.context["members"])


def member_index(data, member) -> int:
    """The index of `member`'s form in the data a browser sends."""
    ids = {value: key for key, value in data.items() if key.endswith("-id")}
    return int(ids[str(member.pk)].split("-")[1])


def save(client, user, household, data):
    client.force_login(user)
    return client.post(edit_url(household), data)


def shown_rows(response) -> list[tuple[str, str, list[tuple[str, str, str]]]]:
    """The conflict as the page shows it: each row's name, kind, and (field, stored now, yours)."""
    return [
        (row.name, row.kind, [(d.label, d.stored, d.sent) for d in row.differences])
        for row in response.context["conflict"].rows
    ]


# ---------------------------------------------------------------- the household's own fields


def test_the_second_save_shows_both_versions_and_saves_nothing(client, alice, official, household):
    alices = opened(client, alice, household)
    officials = opened(client, official, household)

    officials["address"] = "东风村5组"
    assert save(client, official, household, officials).status_code == 302
    alices.update({"address": "东风村7组", "phone": "13900000002"})
    response = save(client, alice, household, alices)

    assert response.status_code == 200
    assert CONFLICT in response.content.decode()
    household.refresh_from_db()
    assert (household.address, household.phone) == ("东风村5组", "13900000001")
    name, kind, differences = shown_rows(response)[0]
    assert (name, kind) == (f"Household {household.number}", "changed")
    assert differences == [("Address", "东风村5组", "东风村7组"), ("Phone", "13900000001", "13900000002")]
    assert response.context["conflict"].changed_by == "official"
    assert "Last saved by official at" in response.content.decode()


def test_the_conflict_page_keeps_the_users_input_in_the_form(client, alice, official, household):
    alices, officials = opened(client, alice, household), opened(client, official, household)
    officials["address"] = "东风村5组"
    save(client, official, household, officials)
    alices["address"] = "东风村7组"

    response = save(client, alice, household, alices)

    assert response.context["form"]["address"].value() == "东风村7组"
    assert 'value="东风村7组"' in response.content.decode()


def test_saving_again_from_the_conflict_page_applies_the_users_version(client, alice, official, household):
    alices, officials = opened(client, alice, household), opened(client, official, household)
    officials["address"] = "东风村5组"
    save(client, official, household, officials)
    alices["address"] = "东风村7组"
    conflict_page = save(client, alice, household, alices)

    again = save(client, alice, household, sent_back(conflict_page.context["form"], conflict_page.context["members"]))

    assert again.status_code == 302
    household.refresh_from_db()
    assert household.address == "东风村7组"


def test_after_reloading_the_form_the_second_can_save(client, alice, official, household):
    alices, officials = opened(client, alice, household), opened(client, official, household)
    officials["address"] = "东风村5组"
    save(client, official, household, officials)
    assert save(client, alice, household, {**alices, "phone": "13900000002"}).status_code == 200

    reloaded = opened(client, alice, household)
    response = save(client, alice, household, {**reloaded, "phone": "13900000002"})

    assert response.status_code == 302
    household.refresh_from_db()
    assert (household.address, household.phone) == ("东风村5组", "13900000002")


def test_saving_an_unchanged_form_twice_is_no_conflict(client, alice, household):
    alices = opened(client, alice, household)
    assert save(client, alice, household, alices).status_code == 302
    assert save(client, alice, household, opened(client, alice, household)).status_code == 302


def test_a_status_changed_meanwhile_is_no_conflict_and_is_kept(client, alice, official, household):
    alices = opened(client, alice, household)
    client.force_login(official)
    status_url = reverse("households:status", args=[household.pk])
    today = timezone.localdate().isoformat()
    client.post(status_url, {"to_status": HouseholdStatus.CLOSED, "changed_on": today, "reason": "全家迁出"})

    alices["address"] = "东风村7组"
    response = save(client, alice, household, alices)

    assert response.status_code == 302
    household.refresh_from_db()
    assert (household.address, household.status) == ("东风村7组", HouseholdStatus.CLOSED)


def test_a_save_that_finds_the_household_changed_under_its_lock_saves_nothing(alice, official, household):
    """The service itself checks, not only the view: a form validated before the other save still fails."""
    data = _unbound_data(household, alice)
    form = HouseholdForm({**data, "address": "东风村7组"}, instance=household, user=alice)
    members = MemberFormSet(data, instance=household, prefix="members", form_kwargs={"user": alice})
    assert form.is_valid()
    assert members.is_valid()
    Household.objects.filter(pk=household.pk).update(address="东风村5组")  # someone else, by any path

    with pytest.raises(StaleVersion):
        saved_from(form, members, household, alice)

    household.refresh_from_db()
    assert household.address == "东风村5组"


def saved_from(form, members, household, user):
    """What the edit page does with a valid form: the service takes its values and the versions it was opened on."""
    return household_save(
        household=household, values=form.values(), members=members.writes(), version=form.sent_version(), user=user
    )


def _unbound_data(household, user) -> dict:
    return sent_back(
        HouseholdForm(instance=household, user=user),
        MemberFormSet(instance=household, prefix="members", form_kwargs={"user": user}),
    )


# ---------------------------------------------------------------- members


def test_a_member_changed_by_someone_else_is_a_conflict(client, alice, official, household):
    spouse = household.members.get(relation=Relation.SPOUSE)
    alices, officials = opened(client, alice, household), opened(client, official, household)
    officials[f"members-{member_index(officials, spouse)}-name"] = "李美"
    save(client, official, household, officials)
    alices[f"members-{member_index(alices, spouse)}-education"] = Education.SENIOR

    response = save(client, alice, household, alices)

    assert response.status_code == 200
    spouse.refresh_from_db()
    assert (spouse.name, spouse.education) == ("李美", "")
    assert shown_rows(response) == [
        (
            "Member 李美",
            "changed",
            [("Full name", "李美", "李梅"), ("Education", "—", Education.SENIOR.label)],
        )
    ]


def test_a_member_deleted_by_someone_else_is_a_conflict_and_comes_back_only_if_saved_again(
    client, alice, official, household
):
    spouse = household.members.get(relation=Relation.SPOUSE)
    alices, officials = opened(client, alice, household), opened(client, official, household)
    officials[f"members-{member_index(officials, spouse)}-DELETE"] = "on"
    save(client, official, household, officials)
    alices[f"members-{member_index(alices, spouse)}-education"] = Education.SENIOR

    response = save(client, alice, household, alices)

    assert response.status_code == 200
    assert shown_rows(response) == [("Member 李梅", "deleted", [])]
    assert not Member.objects.filter(id_number=spouse.id_number).exists()
    members = response.context["members"]
    assert (members.initial_form_count(), members.total_form_count()) == (1, 2)
    assert members.forms[1]["name"].value() == "李梅"
    # Her form never held the number whole, so adding her back means typing it again.
    assert members.forms[1]["id_number"].value() == ""

    data = sent_back(response.context["form"], members)
    assert save(client, alice, household, data).status_code == 200
    data["members-1-id_number"] = spouse.id_number
    again = save(client, alice, household, data)
    assert again.status_code == 302
    assert household.members.get(id_number=spouse.id_number).education == Education.SENIOR


def test_a_member_deleted_both_times_is_no_conflict(client, alice, official, household):
    spouse = household.members.get(relation=Relation.SPOUSE)
    alices, officials = opened(client, alice, household), opened(client, official, household)
    officials[f"members-{member_index(officials, spouse)}-DELETE"] = "on"
    save(client, official, household, officials)
    alices[f"members-{member_index(alices, spouse)}-DELETE"] = "on"

    assert save(client, alice, household, alices).status_code == 302
    assert list(household.members.values_list("relation", flat=True)) == [Relation.HEAD]


def test_a_member_added_by_someone_else_is_a_conflict(client, alice, official, household):
    """Without the check the formset would save alice's form and keep the new member unseen by her."""
    alices = opened(client, alice, household)
    son = MemberFactory(household=household, name="王小明", relation=Relation.SON, birth_date=dt.date(2008, 1, 1))
    alices["address"] = "东风村7组"

    response = save(client, alice, household, alices)

    assert response.status_code == 200
    assert shown_rows(response) == [("Member 王小明", "added", [])]
    household.refresh_from_db()
    assert household.address == "东风村3组"
    members = response.context["members"]
    assert [form.instance for form in members.initial_forms][-1] == son
    again = save(client, alice, household, sent_back(response.context["form"], members))
    assert again.status_code == 302
    assert household.members.count() == 3


def test_the_comparison_masks_id_numbers(client, alice, official, household):
    spouse = household.members.get(relation=Relation.SPOUSE)
    corrected = valid_id_number(dt.date(1975, 2, 3), idnumbers.FEMALE)
    mine = valid_id_number(dt.date(1976, 4, 5), idnumbers.FEMALE)
    alices, officials = opened(client, alice, household), opened(client, official, household)
    officials[f"members-{member_index(officials, spouse)}-id_number"] = corrected
    assert save(client, official, household, officials).status_code == 302
    alices[f"members-{member_index(alices, spouse)}-id_number"] = mine

    response = save(client, alice, household, alices)

    differences = dict((label, (stored, sent)) for label, stored, sent in shown_rows(response)[0][2])
    assert differences["New ID number"] == (idnumbers.mask(corrected), idnumbers.mask(mine))
    page = response.content.decode()
    assert [text for text in (corrected, spouse.id_number, "1975-02-03", "19750203") if text in page] == []


def test_a_member_whose_id_number_someone_else_changed_is_a_conflict_that_shows_no_number(
    client, alice, official, household
):
    spouse = household.members.get(relation=Relation.SPOUSE)
    corrected = valid_id_number(dt.date(1975, 2, 3), idnumbers.FEMALE)
    alices, officials = opened(client, alice, household), opened(client, official, household)
    officials[f"members-{member_index(officials, spouse)}-id_number"] = corrected
    assert save(client, official, household, officials).status_code == 302
    alices[f"members-{member_index(alices, spouse)}-name"] = "李玫"

    response = save(client, alice, household, alices)

    assert shown_rows(response) == [("Member 李梅", "changed", [("Full name", "李梅", "李玫")])]
    assert corrected not in response.content.decode()
    assert household.members.get(pk=spouse.pk).name == "李梅"


def test_a_form_invalid_because_its_member_was_deleted_says_so(client, alice, official, household):
    """The formset alone would only reject the deleted member's hidden id, an error the page does not show."""
    spouse = household.members.get(relation=Relation.SPOUSE)
    alices, officials = opened(client, alice, household), opened(client, official, household)
    officials[f"members-{member_index(officials, spouse)}-DELETE"] = "on"
    save(client, official, household, officials)
    alices["number"] = ""  # and an error of alice's own

    response = save(client, alice, household, alices)

    assert shown_rows(response) == [("Member 李梅", "deleted", [])]
    assert "number" in response.context["form"].errors


def test_a_household_deleted_meanwhile_gives_404(client, alice, household):
    alices = opened(client, alice, household)
    Household.objects.filter(pk=household.pk).delete()
    assert save(client, alice, household, alices).status_code == 404


# ---------------------------------------------------------------- two connections at once (PostgreSQL)


@pytest.mark.postgresql  # row locks
@pytest.mark.django_db(transaction=True)
def test_a_save_waits_for_a_concurrent_one_and_then_sees_it(alice, household):
    """Another transaction holds the household, changed but not committed; the save waits for it, then refuses.

    Without the lock, the save would read the old row, find its version unchanged, and overwrite the change
    once committed. SQLite has no row locks (it serialises writers on the whole file), so this runs on
    PostgreSQL only.
    """
    data = _unbound_data(household, alice)
    form = HouseholdForm({**data, "phone": "13900000002"}, instance=household, user=alice)
    members = MemberFormSet(data, instance=household, prefix="members", form_kwargs={"user": alice})
    assert form.is_valid()
    assert members.is_valid()
    outcome = {}

    def alices_save():
        try:
            saved_from(form, members, household, alice)
            outcome["result"] = "saved"
        except StaleVersion:
            outcome["result"] = "conflict"
        finally:
            connections.close_all()

    with transaction.atomic():
        Household.objects.select_for_update().filter(pk=household.pk).update(address="东风村5组")
        thread = threading.Thread(target=alices_save)
        thread.start()
        wait_until_blocked()
    thread.join(timeout=10)

    assert outcome == {"result": "conflict"}
    household.refresh_from_db()
    assert (household.address, household.phone) == ("东风村5组", "13900000001")
