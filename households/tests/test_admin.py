import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from audit.tests.test_trail import admin_data, form_data, formset_data
from households.choices import HouseholdStatus, MonitorKind
from households.models import Household, Target
from households.services import target_fix
from households.tests.factories import TownFactory, UserFactory, VillageFactory, poor_household, record_status

pytestmark = pytest.mark.django_db


def test_the_admin_lists_every_household_for_an_administrator(client, dongfeng_household, hongqi_household):
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:households_household_changelist"))
    assert dongfeng_household.number in response.text
    assert hongqi_household.number in response.text


def test_the_admin_is_scoped_for_a_staff_cadre(client, dongfeng, dongfeng_household, hongqi_household, hongqi):
    cadre = UserFactory(role=Role.CADRE, villages=[dongfeng], is_staff=True)
    cadre.user_permissions.set(
        Permission.objects.filter(codename__in=["view_household", "change_household", "view_village"])
    )
    client.force_login(cadre)
    households = client.get(reverse("admin:households_household_changelist")).text
    assert dongfeng_household.number in households
    assert hongqi_household.number not in households
    assert client.get(reverse("admin:households_household_change", args=[hongqi_household.pk])).status_code == 302
    villages = client.get(reverse("admin:households_village_changelist")).text
    assert hongqi.name not in villages


def test_user_management_is_for_administrators_only(client, dongfeng):
    cadre = UserFactory(role=Role.CADRE, villages=[dongfeng], is_staff=True, is_superuser=False)
    client.force_login(cadre)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403


def test_support_units_in_the_admin_are_scoped_to_the_users_villages(client, dongfeng, hongqi):
    from assistance.tests.factories import SupportUnitFactory

    SupportUnitFactory(village=dongfeng, name="县财政局")
    SupportUnitFactory(village=hongqi, name="县水利局")
    cadre = UserFactory(role=Role.CADRE, villages=[dongfeng], is_staff=True)
    cadre.user_permissions.set(Permission.objects.filter(codename="view_supportunit"))
    client.force_login(cadre)
    page = client.get(reverse("admin:households_supportunit_changelist")).text
    assert "县财政局" in page
    assert "县水利局" not in page


# ---------------------------------------------------------------- status only through its service

STATUS_FIELDS = ("status", "monitor_kind", "exit_year")


@pytest.fixture
def administrator(db):
    return UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)


def test_the_admin_shows_the_status_read_only_with_a_link_to_the_change_status_page(
    client, administrator, dongfeng_household
):
    client.force_login(administrator)
    page = client.get(reverse("admin:households_household_change", args=[dongfeng_household.pk]))

    assert not set(STATUS_FIELDS) & set(page.context["adminform"].form.fields)
    assert set(STATUS_FIELDS) <= set(readonly_values(page))
    assert reverse("households:status", args=[dongfeng_household.pk]) in page.text


def test_a_status_posted_to_the_admin_form_changes_nothing_and_writes_no_history(client, administrator, dongfeng):
    household = poor_household(dongfeng)
    client.force_login(administrator)
    data = admin_data(client, household)
    data.update(
        status=HouseholdStatus.MONITORED, monitor_kind=MonitorKind.UNSTABLE, exit_year=2020, phone="13900000002"
    )

    response = client.post(reverse("admin:households_household_change", args=[household.pk]), data)

    assert response.status_code == 302
    household.refresh_from_db()
    assert (household.status, household.monitor_kind, household.exit_year) == (HouseholdStatus.UNEXITED, "", None)
    assert household.phone == "13900000002"  # the edit the form does make
    assert household.status_changes.count() == 1
    (event,) = AuditEvent.objects.filter(via=AuditEvent.Via.ADMIN)
    assert event.changes == {"phone": ["", "13900000002"]}


def test_a_household_added_in_the_admin_starts_unexited_with_its_first_line_of_history(
    english, administrator, dongfeng
):
    english.force_login(administrator)
    add = reverse("admin:households_household_add")
    context = english.get(add).context
    data = form_data(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        data.update(formset_data(inline.formset))
    data.update(
        number="340321001000777",
        village=dongfeng.pk,
        main_cause="illness",
        status=HouseholdStatus.EXITED,
        exit_year=2019,
        _save="Save",
    )

    response = english.post(add, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    household = Household.objects.get(number="340321001000777")
    assert (household.status, household.monitor_kind, household.exit_year) == (HouseholdStatus.UNEXITED, "", None)
    (change,) = household.status_changes.all()
    assert (change.from_status, change.to_status, change.changed_by) == ("", HouseholdStatus.UNEXITED, administrator)
    assert (change.changed_on, change.reason) == (timezone.localdate(), "Registered")


def test_no_changelist_action_or_column_of_the_admin_changes_a_status(client, administrator, dongfeng):
    household = poor_household(dongfeng)
    client.force_login(administrator)
    changelist = reverse("admin:households_household_changelist")

    actions = {value for value, _label in client.get(changelist).context["action_form"].fields["action"].choices}
    client.post(
        changelist,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": household.pk,
            "form-0-status": HouseholdStatus.EXITED,
            "form-0-exit_year": "2020",
            "_save": "Save",
        },
    )
    client.post(changelist, {"action": "mark_exited", "_selected_action": [household.pk], "index": "0"})

    assert actions == {"", "delete_selected"}
    household.refresh_from_db()
    assert (household.status, household.exit_year) == (HouseholdStatus.UNEXITED, None)
    assert household.status_changes.count() == 1


def test_no_admin_page_or_inline_edits_a_households_status():
    from django.contrib import admin

    for model_admin in admin.site._registry.values():
        assert all(inline.model is not Household for inline in model_admin.inlines), model_admin
        if model_admin.model is Household:
            assert not set(STATUS_FIELDS) & set(model_admin.list_editable)
            assert set(STATUS_FIELDS) <= set(model_admin.readonly_fields)


def test_an_identification_after_the_exit_is_refused_in_the_admin_form(client, administrator, dongfeng):
    household = poor_household(dongfeng)
    record_status(household, HouseholdStatus.EXITED, dt.date(2018, 12, 20))
    client.force_login(administrator)
    data = {**admin_data(client, household), "identified_year": 2019}

    response = client.post(reverse("admin:households_household_change", args=[household.pk]), data)

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["identified_year"]
    household.refresh_from_db()
    assert household.identified_year == 2016


# ---------------------------------------------------------------- targets: set once through the service, then shown


def readonly_values(page) -> dict[str, str]:
    """The read-only fields of an admin form page, by name, as shown."""
    return {
        field.field["name"]: str(field.contents())
        for fieldset in page.context["adminform"]
        for line in fieldset
        for field in line
        if not field.is_checkbox and hasattr(field, "contents")
    }


def target_post(town, **values) -> dict:
    return {"town": town.pk, "year": 2020, "name": "2020年脱贫攻坚工作计划", "as_of": "2020-01-01", **values}


def test_the_admin_sets_a_target_by_fixing_its_cohort_and_shows_it_read_only(
    client, administrator, town, dongfeng, hongqi
):
    poor_household(dongfeng, people=2)
    poor_household(hongqi, people=3)
    record_status(poor_household(hongqi), HouseholdStatus.EXITED, dt.date(2019, 12, 20))
    client.force_login(administrator)

    response = client.post(reverse("admin:households_target_add"), target_post(town))

    assert response.status_code == 302
    target = Target.objects.get()
    assert (target.cohort.count(), sum(target.cohort.values_list("people", flat=True))) == (2, 5)
    assert target.created_by == administrator
    assert AuditEvent.objects.filter(object_type="households.Target", via=AuditEvent.Via.ADMIN).count() == 1
    page = client.get(reverse("admin:households_target_change", args=[target.pk]))
    assert page.context["adminform"].form.fields == {}
    shown = readonly_values(page)
    assert (shown["cohort_households"], shown["cohort_people"], shown["name"]) == ("2", "5", "2020年脱贫攻坚工作计划")


def test_a_targets_cohort_cannot_be_changed_in_the_admin(client, administrator, town, dongfeng):
    poor_household(dongfeng)
    client.force_login(administrator)
    client.post(reverse("admin:households_target_add"), target_post(town))
    target = Target.objects.get()
    poor_household(dongfeng, since=dt.date(2020, 2, 1))

    response = client.post(
        reverse("admin:households_target_change", args=[target.pk]), target_post(town, as_of="2020-03-01", name="改")
    )

    assert response.status_code == 403
    target.refresh_from_db()
    assert (target.name, target.as_of, target.cohort.count()) == ("2020年脱贫攻坚工作计划", dt.date(2020, 1, 1), 1)


def test_the_admin_refuses_a_target_for_a_day_nobody_was_poor_on(client, administrator, town, dongfeng):
    poor_household(dongfeng, since=dt.date(2021, 3, 1))
    client.force_login(administrator)

    response = client.post(reverse("admin:households_target_add"), target_post(town))

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["as_of"]
    assert not Target.objects.exists()


def test_a_staff_official_sees_and_sets_targets_of_their_own_town_only(client, town, dongfeng):
    elsewhere = TownFactory(code="340321002", name="别镇")
    poor_household(dongfeng)
    poor_household(VillageFactory(town=elsewhere))
    target_fix(town=elsewhere, year=2020, name="别镇2020", as_of=dt.date(2020, 1, 1), user=None)
    official = UserFactory(role=Role.OFFICIAL, town=town, is_staff=True)
    official.user_permissions.set(Permission.objects.filter(codename__in=["add_target", "view_target"]))
    client.force_login(official)

    listed = client.get(reverse("admin:households_target_changelist")).context["cl"].result_list
    choices = client.get(reverse("admin:households_target_add")).context["adminform"].form.fields["town"].queryset
    refused = client.post(reverse("admin:households_target_add"), target_post(elsewhere, year=2021, as_of="2021-01-01"))
    made = client.post(reverse("admin:households_target_add"), target_post(town))

    assert [t.name for t in listed] == []
    assert list(choices) == [town]
    assert list(refused.context["adminform"].form.errors) == ["town"]
    assert made.status_code == 302
    assert list(Target.objects.filter(town=town).values_list("name", flat=True)) == ["2020年脱贫攻坚工作计划"]
