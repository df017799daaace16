"""The audit trail and the access log.

Every write path of the registry leaves one event per record it changed, with
who, through what, which household, each changed field old and new, and why;
every look at personal data that leaves the page leaves an access row; the
admin shows both, read-only, to administrators only.
"""

import datetime as dt
import json

import pytest
from django import forms
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role
from audit import trail as audit
from audit.models import AccessEvent, AuditEvent, AuditRowChange
from households import idnumbers, services
from households.choices import Relation
from households.models import Household, ImportBatch, Member
from households.roster import apply, batches
from households.tests import roster_workbooks as rw
from households.tests.factories import (
    HouseholdFactory,
    MemberFactory,
    UserFactory,
    VillagerGroupFactory,
    valid_id_number,
)
from households.tests.test_classification import exited_household
from households.tests.test_views import household_post, member_data
from visits.models import VisitRule

pytestmark = pytest.mark.django_db

Via, Action, Kind = AuditEvent.Via, AuditEvent.Action, AccessEvent.Kind


@pytest.fixture
def administrator(db):
    return UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)


def trail(**filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(**filters).order_by("pk"))


def assert_no_whole_id_number(events, *id_numbers):
    written = json.dumps([event.changes for event in events], ensure_ascii=False)
    for id_number in id_numbers:
        assert id_number not in written


def form_data(form) -> dict:
    """What a browser sends back for a form left as it was shown."""
    data = {}
    for name, field in form.fields.items():
        value, key = form[name].value(), form.add_prefix(name)
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [str(item) for item in value]
        elif value is not None:
            data[key] = value
    return data


def formset_data(formset) -> dict:
    management = formset.management_form
    data = {management.add_prefix(name): management[name].value() for name in management.fields}
    for form in formset.forms:
        data.update(form_data(form))
    return data


def edit_data(client, household) -> dict:
    """The household form of the web page as it opens, ready to be sent back."""
    context = client.get(reverse("households:edit", args=[household.pk])).context
    return {**form_data(context["form"]), **formset_data(context["members"])}


def admin_data(client, household) -> dict:
    """The admin's household form with its members' inline, as it opens."""
    context = client.get(reverse("admin:households_household_change", args=[household.pk])).context
    data = form_data(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        data.update(formset_data(inline.formset))
    return {**data, "_save": "Save"}


def member_index(data, member) -> int:
    return next(int(key.split("-")[1]) for key, value in data.items() if key.endswith("-id") and value == member.pk)


# ---------------------------------------------------------------- the household form


def test_registering_a_household_records_it_and_each_member_as_created_by_the_cadre(client, alice, dongfeng):
    client.force_login(alice)
    head_id, spouse_id = valid_id_number(sex="male"), valid_id_number(sex="female")
    data = household_post(
        dongfeng,
        member_data(0, name="张三", relation=Relation.HEAD, id_number=head_id),
        member_data(1, name="李梅", relation=Relation.SPOUSE, id_number=spouse_id),
    )
    assert client.post(reverse("households:create"), data).status_code == 302

    household = Household.objects.get()
    first, *members = trail()
    assert len(members) == 2
    for event in (first, *members):
        assert (event.actor, event.via, event.action) == (alice, Via.WEB, Action.CREATED)
        assert (event.household, event.household_number) == (household, household.number)
    assert (first.object_type, first.object_id, first.object_repr) == (
        "households.Household",
        household.pk,
        "340321001000777",
    )
    assert first.changes["number"] == [None, "340321001000777"]
    assert first.changes["village"] == [None, "东风村"]
    assert first.changes["other_causes"] == [None, ["skills"]]
    head = next(event for event in members if event.object_repr == "张三")
    assert head.object_type == "households.Member"
    assert head.changes["id_number"] == [None, idnumbers.mask(head_id)]
    assert_no_whole_id_number(trail(), head_id, spouse_id)


def test_editing_a_household_records_the_fields_that_changed_old_and_new_and_nothing_else(
    client, alice, dongfeng_household
):
    group = VillagerGroupFactory(village=dongfeng_household.village, name="第三组")
    client.force_login(alice)
    data = edit_data(client, dongfeng_household)
    data.update({"phone": "13900000001", "main_cause": "disability", "group": group.pk})

    assert client.post(reverse("households:edit", args=[dongfeng_household.pk]), data).status_code == 302

    (event,) = trail()
    assert (event.actor, event.via, event.action, event.household) == (
        alice,
        Via.WEB,
        Action.CHANGED,
        dongfeng_household,
    )
    assert event.object_id == dongfeng_household.pk
    assert event.changes == {
        "group": [None, "第三组"],
        "phone": ["", "13900000001"],
        "main_cause": ["illness", "disability"],
    }
    assert event.reason == ""


def test_saving_the_form_unchanged_records_nothing(client, alice, dongfeng_household):
    MemberFactory(household=dongfeng_household)
    client.force_login(alice)
    data = edit_data(client, dongfeng_household)
    assert client.post(reverse("households:edit", args=[dongfeng_household.pk]), data).status_code == 302
    assert trail() == []


def test_a_refused_save_records_nothing(client, alice, dongfeng):
    client.force_login(alice)
    spouse = member_data(0, name="张三", relation=Relation.SPOUSE, id_number=valid_id_number())
    assert client.post(reverse("households:create"), household_post(dongfeng, spouse)).status_code == 200
    assert trail() == []


def test_changing_a_member_records_old_and_new_with_id_numbers_masked(client, alice, dongfeng_household):
    head = dongfeng_household.members.get()
    old_id, new_id = head.id_number, valid_id_number(sex=head.sex)
    client.force_login(alice)
    data = edit_data(client, dongfeng_household)
    index = member_index(data, head)
    data.update({f"members-{index}-name": "张大山", f"members-{index}-id_number": new_id})

    assert client.post(reverse("households:edit", args=[dongfeng_household.pk]), data).status_code == 302

    (event,) = trail()
    assert (event.object_type, event.object_id, event.action) == ("households.Member", head.pk, Action.CHANGED)
    assert (event.actor, event.via, event.household) == (alice, Via.WEB, dongfeng_household)
    assert event.changes["name"] == [head.name, "张大山"]
    assert event.changes["id_number"] == [idnumbers.mask(old_id), idnumbers.mask(new_id)]
    # The birth date follows the new ID number (the model's clean() sets it): the trail sees that it changed,
    # masked like the number, since it is the part of the number the mask hides.
    assert event.changes["birth_date"] == ["****-**-**", "****-**-**"]
    assert head.birth_date.isoformat() not in str(event.changes)
    assert_no_whole_id_number([event], old_id, new_id)


def test_deleting_a_member_in_the_form_records_what_it_held(client, alice, dongfeng_household):
    spouse = MemberFactory(household=dongfeng_household, name="李梅")
    client.force_login(alice)
    data = edit_data(client, dongfeng_household)
    data[f"members-{member_index(data, spouse)}-DELETE"] = "on"

    assert client.post(reverse("households:edit", args=[dongfeng_household.pk]), data).status_code == 302

    assert not Member.objects.filter(pk=spouse.pk).exists()
    (event,) = trail()
    assert (event.object_type, event.object_id, event.object_repr) == ("households.Member", spouse.pk, "李梅")
    assert (event.action, event.actor, event.household) == (Action.DELETED, alice, dongfeng_household)
    assert event.changes["name"] == ["李梅", None]
    assert event.changes["id_number"] == [idnumbers.mask(spouse.id_number), None]
    assert_no_whole_id_number([event], spouse.id_number)


def post_counting(client, url, data) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.post(url, data).status_code == 302
    return [query["sql"] for query in queries.captured_queries]


def test_saving_the_form_costs_the_same_queries_however_many_fields_changed(client, alice, dongfeng_household):
    spouse = MemberFactory(household=dongfeng_household)
    first, second = (VillagerGroupFactory(village=dongfeng_household.village) for _ in range(2))
    client.force_login(alice)
    url = reverse("households:edit", args=[dongfeng_household.pk])
    one = edit_data(client, dongfeng_household)
    one["group"] = first.pk
    one[f"members-{member_index(one, spouse)}-ethnicity"] = "回族"
    one_field = post_counting(client, url, one)
    many = edit_data(client, dongfeng_household)
    many.update({"phone": "13900000002", "address": "东风村3组", "main_cause": "disability", "group": second.pk})
    index = member_index(many, spouse)
    many.update(
        {f"members-{index}-ethnicity": "满族", f"members-{index}-name": "李梅", f"members-{index}-education": "primary"}
    )
    many_fields = post_counting(client, url, many)

    # The form's own checks cost queries per member, as before; the trail adds two reads of the
    # records as stored (the household with its village and group, its members) and one insert.
    assert len(many_fields) == len(one_field)
    for queries in (one_field, many_fields):
        assert sum(sql.startswith('INSERT INTO "audit_auditevent"') for sql in queries) == 1
    assert [len(event.changes) for event in trail()] == [1, 1, 4, 3]


# ---------------------------------------------------------------- status, income, class


def test_a_status_change_records_old_and_new_status_and_the_reason(client, official, dongfeng_household):
    client.force_login(official)
    data = {"to_status": "closed", "changed_on": "2020-06-30", "reason": "全家迁出"}

    assert client.post(reverse("households:status", args=[dongfeng_household.pk]), data).status_code == 302

    (event,) = trail()
    assert (event.action, event.actor, event.via, event.household) == (
        Action.STATUS_CHANGED,
        official,
        Via.WEB,
        dongfeng_household,
    )
    assert event.changes == {"status": ["unexited", "closed"]}
    assert event.reason == "全家迁出"


def test_a_refused_status_change_records_nothing(client, official, dongfeng_household):
    client.force_login(official)
    data = {"to_status": "closed", "changed_on": "2999-06-30", "reason": "x"}  # a date to come
    assert client.post(reverse("households:status", args=[dongfeng_household.pk]), data).status_code == 200
    assert trail() == []


def test_recording_then_correcting_income_records_created_then_only_what_changed(client, alice, dongfeng_household):
    client.force_login(alice)
    values = {"year": "2020", "wage_income": "12000", "production_income": "0", "property_income": "0"}
    values |= {"transfer_income": "1500", "production_costs": "0", "household_size": "3"}
    client.post(reverse("households:income-add", args=[dongfeng_household.pk]), values)
    client.post(
        reverse("households:income-edit", args=[dongfeng_household.pk, 2020]), {**values, "wage_income": "15000"}
    )

    created, changed = trail()
    assert (created.action, created.object_type, created.household, created.actor) == (
        Action.CREATED,
        "households.IncomeRecord",
        dongfeng_household,
        alice,
    )
    assert created.changes["wage_income"] == [None, 12000]
    assert (changed.action, changed.changes) == (Action.CHANGED, {"wage_income": [12000, 15000]})


def test_confirming_a_class_records_the_decision_and_its_reason(official, dongfeng):
    household = exited_household(dongfeng)
    services.classification_confirm(
        household=household, confirmed_class="bottom_line", reason="户主重病", user=official
    )

    (event,) = trail()
    assert (event.object_type, event.action, event.household, event.actor) == (
        "households.Classification",
        Action.CREATED,
        household,
        official,
    )
    assert event.changes["confirmed_class"] == [None, "bottom_line"]
    assert event.changes["suggested_class"] == [None, "stable"]
    assert event.reason == "户主重病"


# ---------------------------------------------------------------- the roster import


@pytest.fixture
def importer(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return UserFactory(username="importer", role=Role.ADMIN)


def import_file(data: bytes, user) -> ImportBatch:
    batch = batches.batch_receive(upload=ContentFile(data, name="roster.xlsx"), original_name="花名册.xlsx", user=user)
    batches.batch_start(batch, allow_background=False)
    assert batch.status == ImportBatch.Status.READY
    batches.batch_confirm(batch, user=user)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED
    return batch


def import_rows(batch) -> list[AuditRowChange]:
    """What an import recorded record by record, under its one event."""
    (event,) = trail(import_batch_id=batch.pk)
    return list(event.rows.order_by("pk"))


def test_a_roster_import_is_one_event_naming_the_batch_and_what_it_wrote(dongfeng, importer):
    rows = rw.household() + rw.household()
    batch = import_file(rw.workbook(rows), importer)

    (event,) = trail()
    assert (event.actor, event.via, event.import_batch, event.object_type, event.object_id) == (
        importer,
        Via.IMPORT,
        batch,
        "households.ImportBatch",
        batch.pk,
    )
    assert event.changes == {"households created": [None, 2], "members created": [None, 6]}
    assert str(batch.pk) in event.reason


def test_a_roster_import_records_each_household_and_member_it_creates_under_its_event(dongfeng, importer):
    rows = rw.household() + rw.household()
    batch = import_file(rw.workbook(rows), importer)

    changes = import_rows(batch)
    assert len(changes) == 2 + 6
    assert {change.action for change in changes} == {Action.CREATED}
    households = [c for c in changes if c.object_type == "households.Household"]
    assert sorted(c.household_number for c in households) == sorted({row["number"] for row in rows})
    first = next(c for c in households if c.household_number == rows[0]["number"])
    assert first.household == Household.objects.get(number=rows[0]["number"])
    assert (first.changes["village"], first.changes["group"]) == ([None, "东风村"], [None, "第一组"])
    assert str(batch.pk) in first.reason
    members = [c for c in changes if c.object_type == "households.Member"]
    assert {c.object_id for c in members} == set(Member.objects.values_list("pk", flat=True))
    assert_no_whole_id_number(changes, *(row["id_number"] for row in rows))


def test_a_roster_import_records_only_what_it_updated(dongfeng, importer):
    first_rows, second_rows = rw.household(), rw.household()
    import_file(rw.workbook(first_rows + second_rows), importer)
    already = AuditRowChange.objects.count()
    changed = [{**row, "phone": "0552-7654321"} for row in first_rows]
    changed[2] = {**changed[2], "education": "大专及以上"}
    newcomer = rw.person("之女", born=dt.date(2010, 1, 1), gender=idnumbers.FEMALE, student_status="小学")
    changed.append({**changed[0], **newcomer})

    batch = import_file(rw.workbook(changed + second_rows), importer)

    household = Household.objects.get(number=first_rows[0]["number"])
    changes = import_rows(batch)
    assert AuditRowChange.objects.count() == already + 3
    by_type = {(c.object_type, c.action): c for c in changes}
    assert by_type["households.Household", Action.CHANGED].changes == {"phone": ["0552-1234567", "0552-7654321"]}
    son = by_type["households.Member", Action.CHANGED]
    assert son.object_id == household.members.get(id_number=first_rows[2]["id_number"]).pk
    assert son.changes == {"education": ["senior", "college"]}
    daughter = by_type["households.Member", Action.CREATED]
    assert daughter.changes["id_number"] == [None, idnumbers.mask(newcomer["id_number"])]
    assert {c.household for c in changes} == {household}


def test_an_exit_year_in_the_roster_is_a_status_change_with_its_reason(dongfeng, importer):
    rows = rw.household()
    import_file(rw.workbook(rows), importer)
    batch = import_file(rw.workbook([{**row, "exit_year": 2019} for row in rows]), importer)

    (change,) = import_rows(batch)
    assert change.action == Action.STATUS_CHANGED
    assert change.changes == {"status": ["unexited", "exited"], "exit_year": [None, 2019]}
    assert "2019" in change.reason


def test_what_an_import_changed_reads_like_any_other_change_in_the_readers_language(dongfeng, importer):
    rows = rw.household()
    import_file(rw.workbook(rows), importer)
    batch = import_file(rw.workbook([{**row, "exit_year": 2019} for row in rows]), importer)

    (change,) = import_rows(batch)
    with translation.override("en"):
        assert {(row.label, row.old, row.new) for row in audit.readable_changes(change)} == {
            ("Status", "Not yet out of poverty", "Out of poverty"),
            ("Year out of poverty", "—", "2019"),
        }


def test_the_import_records_its_trail_in_the_same_queries_for_one_household_or_many(dongfeng, importer):
    def queries_to_import(households: int, group: str) -> int:
        rows = [row for _ in range(households) for row in rw.household(group=group)]
        with CaptureQueriesContext(connection) as queries:
            import_file(rw.workbook(rows), importer)
        return len(queries)

    one = queries_to_import(1, "第一组")
    assert queries_to_import(5, "第二组") == one
    assert (AuditEvent.objects.count(), AuditRowChange.objects.count()) == (2, 6 * 4)


def test_a_large_import_writes_its_trail_part_by_part_and_keeps_none_of_it(dongfeng, importer, monkeypatch):
    monkeypatch.setattr(apply, "PART_HOUSEHOLDS", 2)
    written = []
    insert_values = audit.insert_values

    def counting(model, fields, rows):
        written.append(len(rows))
        return insert_values(model, fields, rows)

    monkeypatch.setattr(audit, "insert_values", counting)
    batch = import_file(rw.workbook([row for _ in range(5) for row in rw.household()]), importer)

    assert written == [2 * 4, 2 * 4, 1 * 4]
    assert len(import_rows(batch)) == 5 * 4


# ---------------------------------------------------------------- the admin writes


def test_an_admin_edit_is_recorded_via_the_admin_with_old_and_new(client, administrator, dongfeng_household):
    client.force_login(administrator)
    data = admin_data(client, dongfeng_household)
    data["address"] = "东风村3组12号"

    response = client.post(reverse("admin:households_household_change", args=[dongfeng_household.pk]), data)

    assert response.status_code == 302
    (event,) = trail()
    assert (event.via, event.actor, event.action, event.household) == (
        Via.ADMIN,
        administrator,
        Action.CHANGED,
        dongfeng_household,
    )
    assert event.changes == {"address": ["", "东风村3组12号"]}


def test_a_visit_rule_changed_in_the_admin_list_is_recorded_via_the_admin(client, administrator, default_visit_rules):
    rule = VisitRule.objects.order_by("pk").first()
    rules = list(VisitRule.objects.order_by("pk"))
    client.force_login(administrator)
    data = {"form-TOTAL_FORMS": str(len(rules)), "form-INITIAL_FORMS": str(len(rules)), "_save": "Save"}
    for n, each in enumerate(rules):
        data |= {f"form-{n}-id": str(each.pk), f"form-{n}-period": each.period, f"form-{n}-active": "on"}
    data["form-0-active"] = ""  # the first rule switched off

    response = client.post(reverse("admin:visits_visitrule_changelist"), data)

    assert response.status_code == 302
    (event,) = trail(object_type="visits.VisitRule")
    assert (event.via, event.actor, event.action, event.object_id) == (
        Via.ADMIN,
        administrator,
        Action.CHANGED,
        rule.pk,
    )
    assert event.changes == {"active": [True, False]}


def test_members_added_and_deleted_in_the_admin_inline_are_recorded(client, administrator, dongfeng_household):
    spouse = MemberFactory(household=dongfeng_household, name="李梅")
    client.force_login(administrator)
    data = admin_data(client, dongfeng_household)
    data[f"members-{member_index(data, spouse)}-DELETE"] = "on"
    total = int(data["members-TOTAL_FORMS"])
    new_id = valid_id_number(sex="female")
    data.update(
        {
            "members-TOTAL_FORMS": total + 1,
            f"members-{total}-name": "王芳",
            f"members-{total}-id_number": new_id,
            f"members-{total}-relation": Relation.DAUGHTER,
            f"members-{total}-sex": "female",
            f"members-{total}-birth_date": idnumbers.parse(new_id).birth_date.isoformat(),
            f"members-{total}-health": "healthy",
            f"members-{total}-household": dongfeng_household.pk,
        }
    )

    response = client.post(reverse("admin:households_household_change", args=[dongfeng_household.pk]), data)

    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    deleted, created = trail()
    assert (deleted.action, deleted.object_id, deleted.changes["name"]) == (Action.DELETED, spouse.pk, ["李梅", None])
    assert (created.action, created.object_repr, created.changes["id_number"]) == (
        Action.CREATED,
        "王芳",
        [None, idnumbers.mask(new_id)],
    )
    assert {(e.via, e.actor, e.household) for e in (deleted, created)} == {
        (Via.ADMIN, administrator, dongfeng_household)
    }


def test_a_household_deleted_in_the_admin_keeps_its_history_under_its_number(client, administrator, dongfeng):
    # A household with status history cannot be deleted in the admin (its history is read-only there).
    household = HouseholdFactory(village=dongfeng, number="340321001000999")
    head = household.members.get()
    before = Household.objects.get(pk=household.pk)
    household.phone = "13900000001"
    household.save()
    audit.audit_record(
        actor=administrator, via=Via.WEB, action=Action.CHANGED, instance=household, before=before, household=household
    )
    client.force_login(administrator)

    response = client.post(reverse("admin:households_household_delete", args=[household.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Household.objects.filter(number="340321001000999").exists()
    earlier, deleted, member = trail()
    assert {e.household_number for e in (earlier, deleted, member)} == {"340321001000999"}
    assert {e.household for e in (earlier, deleted, member)} == {None}
    assert earlier.changes == {"phone": ["", "13900000001"]}
    assert (deleted.action, deleted.object_type, deleted.via) == (Action.DELETED, "households.Household", Via.ADMIN)
    assert (member.action, member.object_id) == (Action.DELETED, head.pk)


def test_households_deleted_together_in_the_admin_are_each_recorded_with_their_members(client, administrator, dongfeng):
    households = [HouseholdFactory(village=dongfeng) for _ in range(2)]
    MemberFactory(household=households[0])
    client.force_login(administrator)
    data = {"action": "delete_selected", "_selected_action": [h.pk for h in households], "post": "yes"}

    assert client.post(reverse("admin:households_household_changelist"), data).status_code == 302

    assert not Household.objects.exists()
    deleted = {(e.object_type, e.household_number) for e in trail(action=Action.DELETED, via=Via.ADMIN)}
    assert deleted == {("households.Household", h.number) for h in households} | {
        ("households.Member", households[0].number),
        ("households.Member", households[1].number),
    }
    assert AuditEvent.objects.filter(object_type="households.Member").count() == 3


def test_opening_a_household_in_the_admin_logs_the_reveal_of_the_id_numbers_it_shows(
    client, administrator, dongfeng_household
):
    client.force_login(administrator)
    client.get(reverse("admin:households_household_change", args=[dongfeng_household.pk]))
    reveal = AccessEvent.objects.get()
    assert (reveal.kind, reveal.user, reveal.purpose, reveal.household) == (
        Kind.ID_REVEALED,
        administrator,
        "admin",
        dongfeng_household,
    )


# ---------------------------------------------------------------- the access log


def test_revealing_an_id_number_leaves_an_access_row_naming_the_member_and_household(client, alice, dongfeng_household):
    head = dongfeng_household.members.get()
    client.force_login(alice)
    client.post(reverse("households:reveal-id", args=[dongfeng_household.pk, head.pk]))
    reveal = AccessEvent.objects.get()
    assert (reveal.kind, reveal.user, reveal.member, reveal.purpose) == (Kind.ID_REVEALED, alice, head, "view")
    assert (reveal.household, reveal.household_number) == (dongfeng_household, dongfeng_household.number)


def test_a_list_download_leaves_an_access_row_with_the_list_its_rows_and_filters(client, official, dongfeng):
    HouseholdFactory(village=dongfeng)
    HouseholdFactory(village=dongfeng)
    client.force_login(official)
    client.get(reverse("households:list"), {"format": "xlsx", "status": "unexited"})
    row = AccessEvent.objects.get()
    assert (row.kind, row.user, row.household) == (Kind.LIST_EXPORTED, official, None)
    assert row.detail == {"list": "households:list", "rows": 2, "query": "format=xlsx&status=unexited"}


def test_a_card_pdf_leaves_an_access_row_for_its_household(client, alice, dongfeng_household):
    client.force_login(alice)
    assert client.get(reverse("reports:card-pdf", args=[dongfeng_household.pk])).status_code == 200
    row = AccessEvent.objects.get()
    assert (row.kind, row.user, row.household, row.detail) == (
        Kind.CARD_PRINTED,
        alice,
        dongfeng_household,
        {"format": "pdf"},
    )


def test_a_village_of_cards_leaves_one_access_row_per_household_in_it(client, alice, dongfeng, hongqi_household):
    households = {HouseholdFactory(village=dongfeng), HouseholdFactory(village=dongfeng)}
    client.force_login(alice)
    assert client.get(reverse("reports:village-cards", args=[dongfeng.pk])).status_code == 200
    rows = AccessEvent.objects.all()
    assert {row.household for row in rows} == households
    assert {(row.kind, row.user) for row in rows} == {(Kind.CARD_PRINTED, alice)}
    assert rows[0].detail == {"format": "pdf", "village": "东风村", "status": "", "cards": 2}


def test_the_monthly_workbook_download_leaves_an_access_row(client, official, dongfeng_household):
    client.force_login(official)
    client.get(reverse("reports:monthly"), {"month": "2020-06", "format": "xlsx"})
    row = AccessEvent.objects.get()
    assert (row.kind, row.user, row.detail["list"]) == (Kind.LIST_EXPORTED, official, "reports:monthly")


def test_a_refused_reveal_leaves_no_access_row(client, bob, dongfeng_household):
    client.force_login(bob)
    head = dongfeng_household.members.get()
    assert client.post(reverse("households:reveal-id", args=[dongfeng_household.pk, head.pk])).status_code == 404
    assert not AccessEvent.objects.exists()


# ---------------------------------------------------------------- the admin reads


@pytest.fixture
def change_event(alice, dongfeng_household):
    before = Household.objects.get(pk=dongfeng_household.pk)
    dongfeng_household.main_cause, dongfeng_household.other_causes = "disability", ["skills", "funds"]
    dongfeng_household.save()
    return audit.audit_record(
        actor=alice,
        via=Via.WEB,
        action=Action.CHANGED,
        instance=dongfeng_household,
        before=before,
        household=dongfeng_household,
        reason="复核",
    )


@pytest.fixture
def access_event(alice, dongfeng_household):
    services.id_numbers_reveal(members=list(dongfeng_household.members.all()), user=alice, purpose="view")
    return AccessEvent.objects.get()


@pytest.mark.parametrize("kind", ["auditevent", "accessevent"])
def test_nobody_may_add_change_or_delete_a_row_not_even_a_superuser(
    client, administrator, change_event, access_event, kind
):
    row = change_event if kind == "auditevent" else access_event
    stored = type(row)._base_manager.values().get(pk=row.pk)
    client.force_login(administrator)
    change_url = reverse(f"admin:audit_{kind}_change", args=[row.pk])

    assert client.get(reverse(f"admin:audit_{kind}_add")).status_code == 403
    page = client.get(change_url)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert 'name="_save"' not in page.text
    assert client.post(change_url, {"reason": "改写", "purpose": "x"}).status_code == 403
    assert client.post(reverse(f"admin:audit_{kind}_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    changelist = reverse(f"admin:audit_{kind}_changelist")
    assert "delete_selected" not in client.get(changelist).text
    client.post(changelist, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    assert type(row)._base_manager.values().get(pk=row.pk) == stored


def test_the_change_view_shows_each_change_readably(english, administrator, change_event):
    english.force_login(administrator)
    page = english.get(reverse("admin:audit_auditevent_change", args=[change_event.pk])).text
    assert "<tr><td>Main poverty cause</td><td>Illness</td><td>Disability</td></tr>" in page
    assert "<tr><td>Other poverty causes</td><td>—</td><td>Lack of skills、Lack of funds</td></tr>" in page
    assert "复核" in page


def changelist(client, model, **params):
    response = client.get(reverse(f"admin:audit_{model}_changelist"), params)
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


def test_the_change_history_filters_by_user_household_and_date(client, administrator, alice, bob, dongfeng, hongqi):
    mine, theirs = HouseholdFactory(village=dongfeng), HouseholdFactory(village=hongqi)
    first = audit.audit_record(actor=alice, via=Via.WEB, action=Action.CREATED, instance=mine, household=mine)
    second = audit.audit_record(actor=bob, via=Via.WEB, action=Action.CREATED, instance=theirs, household=theirs)
    AuditEvent.objects.filter(pk=first.pk).update(at=timezone.make_aware(dt.datetime(2020, 3, 2, 10)))
    client.force_login(administrator)

    assert changelist(client, "auditevent") == {first, second}
    assert changelist(client, "auditevent", actor=alice.pk) == {first}
    assert changelist(client, "auditevent", household=theirs.pk) == {second}
    assert changelist(client, "auditevent", at__year=2020, at__month=3, at__day=2) == {first}
    assert changelist(client, "auditevent", q=mine.number) == {first}
    assert changelist(client, "auditevent", q="bob") == {second}
    assert changelist(client, "auditevent", via="admin") == set()


def test_the_access_log_filters_by_user_household_kind_and_date(client, administrator, alice, bob, dongfeng_household):
    services.id_numbers_reveal(members=list(dongfeng_household.members.all()), user=alice, purpose="view")
    reveal = AccessEvent.objects.get()
    client.force_login(bob)
    client.get(reverse("households:list"), {"format": "xlsx"})
    download = AccessEvent.objects.exclude(pk=reveal.pk).get()
    AccessEvent.objects.filter(pk=reveal.pk).update(at=timezone.make_aware(dt.datetime(2020, 3, 2, 10)))
    client.force_login(administrator)

    assert changelist(client, "accessevent") == {reveal, download}
    assert changelist(client, "accessevent", user=bob.pk) == {download}
    assert changelist(client, "accessevent", household=dongfeng_household.pk) == {reveal}
    assert changelist(client, "accessevent", kind="list_exported") == {download}
    assert changelist(client, "accessevent", at__year=2020, at__month=3, at__day=2) == {reveal}
    assert changelist(client, "accessevent", q=dongfeng_household.number) == {reveal}
    assert changelist(client, "accessevent", q="bob") == {download}
    assert changelist(client, "accessevent", q=dongfeng_household.number[:-1]) == set()  # whole numbers only


def test_staff_who_are_not_administrators_see_no_row(client, dongfeng, change_event, access_event):
    cadre = UserFactory(role=Role.CADRE, villages=[dongfeng], is_staff=True)
    cadre.user_permissions.set(Permission.objects.filter(codename__in=["view_auditevent", "view_accessevent"]))
    client.force_login(cadre)
    assert changelist(client, "auditevent") == set()
    assert changelist(client, "accessevent") == set()
    assert client.get(reverse("admin:audit_auditevent_change", args=[change_event.pk])).status_code == 302


def test_the_change_history_list_runs_a_fixed_number_of_queries(
    client, administrator, alice, dongfeng, django_assert_num_queries
):
    batch = ImportBatch.objects.create(file="rosters/x.xlsx", original_name="花名册.xlsx", size=1, sha256="0" * 64)

    def record():
        household = HouseholdFactory(village=dongfeng)
        audit.audit_record(
            actor=alice,
            via=Via.IMPORT,
            action=Action.CREATED,
            instance=household,
            household=household,
            import_batch=batch,
        )

    record()
    client.force_login(administrator)
    # 1 session, 2 user, 3 this page's count, 4 the page of events with their actors and batches,
    # 5 the date hierarchy's first and last dates, 6 the days (or months, or years) it offers
    with django_assert_num_queries(6):
        changelist(client, "auditevent")
    for _ in range(4):
        record()
    with django_assert_num_queries(6):
        assert len(changelist(client, "auditevent")) == 5


# ---------------------------------------------------------------- the trail itself


def test_a_trail_of_many_records_is_one_insert_plus_one_query_per_kind_of_related_name(
    alice, dongfeng, django_assert_num_queries
):
    group = VillagerGroupFactory(village=dongfeng, name="第五组")
    households = [HouseholdFactory(village=dongfeng) for _ in range(3)]
    fresh = list(Household.objects.filter(pk__in=[h.pk for h in households]))  # village and group not loaded
    for household in fresh:
        household.group_id = group.pk
    changes = audit.AuditTrail(actor=alice, via=Via.JOB)
    for before, after in zip(households, fresh, strict=True):
        changes.changed(before, after, household=after)
    # 1 the groups' names (the villages did not change), 2 the insert
    with django_assert_num_queries(2):
        events = changes.record()
    assert [event.changes for event in events] == [{"group": [None, "第五组"]}] * 3


def test_a_change_that_changes_nothing_is_not_recorded(alice, dongfeng_household):
    same = Household.objects.get(pk=dongfeng_household.pk)
    event = audit.audit_record(
        actor=alice, via=Via.WEB, action=Action.CHANGED, instance=same, before=dongfeng_household, household=same
    )
    assert event is None
    assert trail() == []


def test_a_related_record_that_cannot_be_found_is_named_by_its_key(alice, dongfeng_household):
    after = Household.objects.get(pk=dongfeng_household.pk)
    after.group_id = 987654
    changes = audit.AuditTrail(actor=alice, via=Via.WEB)
    changes.changed(dongfeng_household, after, household=after)
    (event,) = changes.record()
    assert event.changes == {"group": [None, "#987654"]}


def test_a_households_history_shows_the_import_that_changed_it_and_what_it_changed(client, administrator, dongfeng):
    importer = administrator
    rows, other = rw.household(), rw.household()
    import_file(rw.workbook(rows + other), importer)
    batch = import_file(rw.workbook([{**row, "phone": "0552-7654321"} for row in rows] + other), importer)
    household = Household.objects.get(number=rows[0]["number"])
    client.force_login(administrator)

    history = client.get(reverse("admin:audit_auditevent_changelist"), {"household": household.pk})
    assert {event.import_batch_id for event in history.context["cl"].result_list} == {batch.pk - 1, batch.pk}

    changed = client.get(reverse("admin:audit_auditrowchange_changelist"), {"household": household.pk})
    assert [(row.object_type, row.action) for row in changed.context["cl"].result_list] == [
        ("households.Household", Action.CHANGED),
        *[("households.Member", Action.CREATED)] * 3,
        ("households.Household", Action.CREATED),
    ]
    (row,) = [row for row in changed.context["cl"].result_list if row.event.import_batch_id == batch.pk]
    page = client.get(reverse("admin:audit_auditrowchange_change", args=[row.pk]))
    shown = page.content.decode()
    assert "0552-1234567" in shown
    assert "0552-7654321" in shown
