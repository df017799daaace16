"""The pages: a list with traffic lights and filters, a project's timeline, and forms for town officials only."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from households.choices import HouseholdStatus
from households.tests.factories import HouseholdFactory, MemberFactory, TownFactory, VillageFactory
from infrastructure.household_panels import project_panel
from infrastructure.models import Category, Milestone, MilestoneDeadline, Project, Status
from infrastructure.selectors import ProjectStep, project_steps
from infrastructure.services import infrastructure_flag
from infrastructure.tests.factories import ProjectFactory, deadlines_for

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YEAR = TODAY.year
LIST = reverse("infrastructure:list")
CREATE = reverse("infrastructure:create")


@pytest.fixture
def this_years_deadlines():
    """Deadlines around today: declared 10 days ago (late unless reached), started in 5 days, accepted in 60."""
    deadlines_for(
        YEAR,
        TODAY - dt.timedelta(days=10),
        TODAY + dt.timedelta(days=5),
        TODAY + dt.timedelta(days=60),
    )


@pytest.fixture
def mine(dongfeng, this_years_deadlines):
    return ProjectFactory(village=dongfeng, year=YEAR, name="东风村道路新建工程")


@pytest.fixture
def theirs(hongqi, this_years_deadlines):
    return ProjectFactory(village=hongqi, year=YEAR, name="红旗村饮水工程")


def url(name, project):
    return reverse(f"infrastructure:{name}", args=[project.pk])


def listed(client, **params):
    return [row.project for row in client.get(LIST, params).context["rows"]]


# ---------------------------------------------------------------- the list


def test_a_cadre_lists_the_projects_of_their_village_only(client, alice, mine, theirs):
    client.force_login(alice)
    assert listed(client) == [mine]


def test_an_official_lists_the_towns_projects_and_a_user_without_scope_none(client, official, charlie, mine, theirs):
    ProjectFactory(village=VillageFactory(town=TownFactory(code="340321099")), year=YEAR)
    client.force_login(official)
    assert set(listed(client)) == {mine, theirs}
    client.force_login(charlie)
    response = client.get(LIST)
    assert response.status_code == 200
    assert response.context["rows"] == []


def test_late_projects_come_first_with_a_light_per_milestone(client, official, dongfeng, this_years_deadlines):
    on_time = ProjectFactory(village=dongfeng, year=YEAR, reached={Milestone.DECLARED: TODAY - dt.timedelta(days=12)})
    late = ProjectFactory(village=dongfeng, year=YEAR)
    client.force_login(official)

    rows = client.get(LIST).context["rows"]

    assert [row.project for row in rows] == [late, on_time]
    assert [row.light for row in rows] == ["late", "due_soon"]
    assert [state.light for state in rows[1].states] == ["done", "due_soon", "no_deadline", "on_track"]


def test_the_light_buttons_count_the_filtered_projects_and_filter_by_light(client, official, dongfeng, theirs):
    ProjectFactory(village=dongfeng, year=YEAR, reached={Milestone.DECLARED: TODAY - dt.timedelta(days=12)})
    ProjectFactory(village=dongfeng, year=YEAR)
    client.force_login(official)

    response = client.get(LIST, {"village": dongfeng.pk})
    counts = {light.value: count for light, count in response.context["lights"]}
    assert (counts["late"], counts["due_soon"], counts["done"]) == (1, 1, 0)

    late = listed(client, village=dongfeng.pk, light="late")
    assert [p.village for p in late] == [dongfeng]
    assert len(listed(client, light="late")) == 2  # theirs is late too


def test_the_list_filters_by_village_category_status_and_year(client, official, dongfeng, hongqi, mine, theirs):
    water = ProjectFactory(village=hongqi, year=YEAR, category=Category.DRINKING_WATER)
    declared = ProjectFactory(village=dongfeng, year=YEAR, reached={Milestone.DECLARED: TODAY})
    old = ProjectFactory(village=dongfeng, year=2020)
    client.force_login(official)

    assert set(listed(client, village=hongqi.pk)) == {theirs, water}
    assert listed(client, category=Category.DRINKING_WATER) == [water]
    assert listed(client, status=Status.DECLARED) == [declared]
    assert listed(client, year=2020) == [old]


def test_the_list_shows_the_years_deadlines_or_says_there_are_none(client, official, mine):
    client.force_login(official)
    page = client.get(LIST, {"year": YEAR}).content.decode()
    assert (TODAY + dt.timedelta(days=60)).isoformat() in page
    ProjectFactory(village=mine.village, year=2021)
    response = client.get(LIST, {"year": 2021})
    assert response.context["year_deadlines"] == []
    assert [row.light for row in response.context["rows"]] == ["no_deadline"]


def test_the_list_runs_a_fixed_number_of_queries(client, official, dongfeng, mine, django_assert_num_queries):
    client.force_login(official)
    client.get(LIST)
    # 1 session, 2 user, 3 deadlines, 4 years for the filter, 5 light counts, 6 paginator count,
    # 7 page of projects with village, beneficiary and poor counts and light, 8 village choices
    with django_assert_num_queries(8):
        client.get(LIST)
    for n in range(4):
        project = ProjectFactory(village=dongfeng, year=2020 + n % 2)
        project.beneficiaries.set([HouseholdFactory(village=dongfeng) for _ in range(2)])
    with django_assert_num_queries(8):
        response = client.get(LIST)
    assert len(response.context["rows"]) == 5


def test_the_list_counts_beneficiaries_and_the_poor_among_them(client, official, mine):
    poor = [
        HouseholdFactory(village=mine.village, status=s) for s in (HouseholdStatus.UNEXITED, HouseholdStatus.MONITORED)
    ]
    exited = HouseholdFactory(village=mine.village, status=HouseholdStatus.EXITED, exit_year=2019)
    mine.beneficiaries.set([*poor, exited])
    client.force_login(official)
    project = client.get(LIST).context["rows"][0].project
    assert (project.beneficiary_count, project.poor_count) == (3, 2)


# ---------------------------------------------------------------- the detail page


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_cadre_gets_404_on_a_project_of_another_village(client, alice, theirs, method):
    client.force_login(alice)
    assert getattr(client, method)(url("detail", theirs)).status_code == 404


def test_a_cadre_reads_their_villages_project_with_its_timeline_but_no_buttons(client, alice, mine):
    client.force_login(alice)
    response = client.get(url("detail", mine))
    assert response.status_code == 200
    assert [state.light for state, _flag in response.context["timeline"]] == [
        "late",
        "due_soon",
        "no_deadline",
        "on_track",
    ]
    assert response.context["light"] == "late"
    assert url("edit", mine) not in response.content.decode()
    assert url("advance", mine) not in response.content.decode()


def test_an_official_reads_any_project_and_charlie_none(client, official, charlie, theirs):
    client.force_login(official)
    response = client.get(url("detail", theirs))
    assert url("advance", theirs) in response.content.decode()
    client.force_login(charlie)
    assert client.get(url("detail", theirs)).status_code == 404


def test_the_detail_page_shows_open_flags_and_says_when_a_year_has_no_deadlines(client, official, mine):
    infrastructure_flag(on=TODAY)
    client.force_login(official)
    timeline = client.get(url("detail", mine)).context["timeline"]
    assert [flag.kind if flag else None for _state, flag in timeline] == ["late", "due_soon", None, None]
    no_deadlines = ProjectFactory(village=mine.village, year=2021)
    assert client.get(url("detail", no_deadlines)).context["has_deadlines"] is False


def test_the_detail_page_runs_a_fixed_number_of_queries(client, official, mine, django_assert_num_queries):
    def grow():
        household = HouseholdFactory(village=mine.village)
        mine.beneficiaries.add(household)
        AuditEvent.objects.create(
            object_type="infrastructure.Project",
            object_id=mine.pk,
            action=AuditEvent.Action.CREATED,
            changes={"status": [None, Status.PLANNED]},
            effective_on=TODAY,
            actor=official,
        )

    grow()
    client.force_login(official)
    client.get(url("detail", mine))
    # 1 session, 2 user, 3 project with village, town, creator and counts, 4 events with who recorded them,
    # 5 documents, 6 visible beneficiaries, 7 their heads, 8 deadlines, 9 open flags
    with django_assert_num_queries(9):
        client.get(url("detail", mine))
    for _ in range(3):
        grow()
    with django_assert_num_queries(9):
        client.get(url("detail", mine))


# ---------------------------------------------------------------- creating and editing: town officials only


def form_data(**overrides):
    data = {
        "year": YEAR,
        "category": Category.DRINKING_WATER,
        "name": "东风村安全饮水巩固提升工程",
        "description": "管网延伸入户",
        "budget": "320000.00",
        "funding_source": "中央财政专项扶贫资金",
        "contractor": "蚌埠市水利建筑安装有限公司",
    }
    return {**data, **overrides}


def test_an_official_picks_a_village_then_creates_a_project_for_some_of_its_households(
    client, official, dongfeng, hongqi
):
    served = HouseholdFactory(village=dongfeng)
    MemberFactory(household=served, relation="spouse")
    HouseholdFactory(village=dongfeng)
    client.force_login(official)

    assert "village" in client.get(CREATE).context["form"].fields
    form = client.get(CREATE, {"village": dongfeng.pk}).context["form"]
    assert len(form.fields["beneficiaries"].queryset) == 2
    assert form["year"].value() == YEAR
    response = client.post(f"{CREATE}?village={dongfeng.pk}", form_data(beneficiaries=[served.pk]))

    project = Project.objects.get()
    assert response.url == project.get_absolute_url()
    assert (project.village, project.status, list(project.beneficiaries.all())) == (dongfeng, Status.PLANNED, [served])
    assert ProjectStep.of(project_steps([project.pk]).get()).to_status == Status.PLANNED


def test_a_household_of_another_village_is_not_a_valid_beneficiary(client, official, dongfeng, hongqi_household):
    client.force_login(official)
    response = client.post(f"{CREATE}?village={dongfeng.pk}", form_data(beneficiaries=[hongqi_household.pk]))
    assert "beneficiaries" in response.context["form"].errors
    assert not Project.objects.exists()


def test_a_duplicate_name_is_reported_on_the_form(client, official, mine):
    client.force_login(official)
    response = client.post(f"{CREATE}?village={mine.village.pk}", form_data(name=mine.name))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Project.objects.count() == 1


def test_an_official_cannot_create_a_project_in_another_towns_village(client, official):
    elsewhere = VillageFactory(town=TownFactory(code="340321099"))
    client.force_login(official)
    assert client.get(CREATE, {"village": elsewhere.pk}).status_code == 404
    assert client.post(f"{CREATE}?village={elsewhere.pk}", form_data()).status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_cadres_and_users_without_scope_cannot_create(client, alice, charlie, dongfeng, method):
    for user in (alice, charlie):
        client.force_login(user)
        assert getattr(client, method)(f"{CREATE}?village={dongfeng.pk}", form_data()).status_code == 404
    assert not Project.objects.exists()


@pytest.mark.parametrize("name", ["edit", "advance"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_cadre_cannot_edit_or_advance_even_their_own_villages_project(client, alice, mine, theirs, name, method):
    client.force_login(alice)
    data = {**form_data(), "to_status": Status.DECLARED, "on": TODAY.isoformat()}
    for project in (mine, theirs):
        assert getattr(client, method)(url(name, project), data).status_code == 404
    mine.refresh_from_db()
    assert (mine.status, mine.name) == (Status.PLANNED, "东风村道路新建工程")


def test_an_official_edits_a_project_and_its_beneficiaries(client, official, mine):
    household = HouseholdFactory(village=mine.village)
    client.force_login(official)
    response = client.post(url("edit", mine), form_data(name="东风村道路提档升级", beneficiaries=[household.pk]))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.name, list(mine.beneficiaries.all()), mine.village.name) == (
        "东风村道路提档升级",
        [household],
        "东风村",
    )


# ---------------------------------------------------------------- advancing


def test_an_official_records_the_next_step_and_it_is_kept(client, official, mine):
    client.force_login(official)
    form = client.get(url("advance", mine)).context["form"]
    assert [value for value, _label in form.fields["to_status"].choices] == [Status.DECLARED, Status.CANCELLED]

    response = client.post(url("advance", mine), {"to_status": Status.DECLARED, "on": TODAY.isoformat()})

    assert response.url == mine.get_absolute_url()
    mine.refresh_from_db()
    assert (mine.status, mine.declared_on) == (Status.DECLARED, TODAY)
    assert project_steps([mine.pk]).get().actor == official


def test_a_refused_step_is_explained_on_the_form(client, official, mine):
    client.force_login(official)
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    response = client.post(url("advance", mine), {"to_status": Status.DECLARED, "on": tomorrow})
    assert "on" in response.context["form"].errors
    response = client.post(url("advance", mine), {"to_status": Status.CANCELLED, "on": TODAY.isoformat()})
    assert "reason" in response.context["form"].errors
    response = client.post(url("advance", mine), {"to_status": Status.ACCEPTED, "on": TODAY.isoformat()})
    assert "to_status" in response.context["form"].errors  # not offered: a skipped step
    mine.refresh_from_db()
    assert mine.status == Status.PLANNED


def test_an_accepted_project_has_no_next_step(client, official, dongfeng):
    day = dt.date(2020, 5, 1)
    accepted = ProjectFactory(village=dongfeng, reached=dict.fromkeys(Milestone, day))
    client.force_login(official)
    response = client.get(url("advance", accepted))
    assert response.url == accepted.get_absolute_url()


# ---------------------------------------------------------------- the household page


def test_the_household_page_lists_the_projects_that_serve_it_in_one_query(
    client, alice, dongfeng_household, mine, theirs, django_assert_num_queries
):
    mine.beneficiaries.add(dongfeng_household)
    ProjectFactory(village=dongfeng_household.village, year=2020)  # does not serve it
    alice.scope  # noqa: B018 (computed once per request, before the panels run)
    with django_assert_num_queries(1):
        panel = project_panel(dongfeng_household, alice)
    assert panel["projects"] == [mine]
    client.force_login(alice)
    assert "东风村道路新建工程" in client.get(dongfeng_household.get_absolute_url()).content.decode()


def test_the_deadline_rows_are_data_the_pages_read(client, official, mine):
    MilestoneDeadline.objects.filter(year=YEAR, milestone=Milestone.DECLARED).update(
        due_on=TODAY + dt.timedelta(days=30)
    )
    client.force_login(official)
    assert client.get(url("detail", mine)).context["light"] == "due_soon"  # the start, due in 5 days
