"""Every programme spec is complete: its URLs resolve, its pages render, it exports, it has its menu entries.

A new spec without a builder here fails test_every_spec_has_a_builder; one that names a missing
attribute, template or URL fails the page tests.
"""

import pytest
from django.urls import resolve, reverse
from django.utils import translation
from django.utils.functional import Promise

from assistance.specs import HOUSEHOLD, PROGRAMMES, VILLAGE
from assistance.tests.factories_programmes import (
    FiveMutualActivityFactory,
    IndustrySupportFactory,
    PVIncomeFactory,
    PVShareFactory,
    PVStationFactory,
    RewardFactory,
    TrainingSessionFactory,
    TypicalExampleFactory,
    WelfareJobFactory,
)
from assistance.views import programmes as views
from common.tests.workbooks import read_export
from households.tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db


def pv_station_with_a_share(village):
    station = PVStationFactory(village=village)
    PVShareFactory(income=PVIncomeFactory(station=station), household=HouseholdFactory(village=village))
    return station


# One record of each programme, in a given village, with what its pages list (attendees, households, shares).
BUILDERS = {
    "training": lambda v: TrainingSessionFactory(village=v, attendees=[HouseholdFactory(village=v).members.get()]),
    "welfare-job": lambda v: WelfareJobFactory(member=MemberFactory(household=HouseholdFactory(village=v))),
    "pv-station": pv_station_with_a_share,
    "industry": lambda v: IndustrySupportFactory(village=v, households=[HouseholdFactory(village=v)]),
    "reward": lambda v: RewardFactory(household=HouseholdFactory(village=v)),
    "example": lambda v: TypicalExampleFactory(household=HouseholdFactory(village=v)),
    "five-mutual": lambda v: FiveMutualActivityFactory(village=v, households=[HouseholdFactory(village=v)]),
}
SPECS = pytest.mark.parametrize("spec", PROGRAMMES, ids=[spec.slug for spec in PROGRAMMES])


def labels(spec) -> list:
    fields = [*spec.columns, *spec.fields]
    return [spec.title, spec.menu, spec.nav_label, spec.create_label, spec.edit_label, spec.empty_label] + [
        field.label for field in fields
    ]


def test_every_spec_has_a_builder():
    assert set(BUILDERS) == {spec.slug for spec in PROGRAMMES}


def test_slugs_and_paths_are_unique():
    assert len({spec.slug for spec in PROGRAMMES}) == len({spec.path for spec in PROGRAMMES}) == len(PROGRAMMES)


@SPECS
def test_every_spec_has_its_four_urls(spec):
    views_of = {
        "list": (views.programme_list, {}),
        "create": (views.programme_create, {}),
        "detail": (views.programme_detail, {"pk": 1}),
        "edit": (views.programme_edit, {"pk": 1}),
    }
    for action, (view, kwargs) in views_of.items():
        url = reverse(spec.url_names[action], kwargs=kwargs)
        assert url.startswith(f"/assistance/{spec.path}/")
        match = resolve(url)
        assert (match.func, match.kwargs) == (view, {**kwargs, "spec": spec})


@SPECS
def test_every_label_is_translatable_and_translated(spec):
    for label in labels(spec):
        assert isinstance(label, Promise), label
        with translation.override("en"):
            english = str(label)
        with translation.override("zh-hans"):
            assert str(label) != english, english


@SPECS
def test_the_list_shows_every_column_and_links_to_the_record(client, official, dongfeng, spec):
    record = BUILDERS[spec.slug](dongfeng)
    client.force_login(official)
    response = client.get(spec.list_url)
    assert response.status_code == 200
    assert [row.pk for row in response.context["page"].object_list] == [record.pk]
    with translation.override("zh-hans"):
        for column in spec.columns:
            assert f">{column.label}</th>" in response.text
        assert str(spec.title) in response.text
    assert f'href="{record.get_absolute_url()}"' in response.text
    assert f'href="{spec.create_url}"' in response.text


@SPECS
def test_the_list_says_when_nothing_matches(client, official, spec):
    client.force_login(official)
    response = client.get(spec.list_url)
    with translation.override("zh-hans"):
        assert str(spec.empty_label) in response.text


@SPECS
def test_the_detail_shows_every_field_and_section(client, official, dongfeng, spec):
    record = BUILDERS[spec.slug](dongfeng)
    client.force_login(official)
    response = client.get(record.get_absolute_url())
    assert response.status_code == 200
    assert response.context["object"] == record
    with translation.override("zh-hans"):
        for field in spec.fields:
            assert f'<dt class="col-5 col-md-3">{field.label}</dt>' in response.text
        for section in spec.sections:
            assert section.template in [t.name for t in response.templates]
    assert f'href="{reverse(spec.url_names["edit"], args=[record.pk])}"' in response.text
    assert f'href="{spec.list_url}"' in response.text


@SPECS
def test_the_create_and_edit_forms_render(client, official, dongfeng, spec):
    record = BUILDERS[spec.slug](dongfeng)
    owner = {VILLAGE: {"village": dongfeng.pk}, HOUSEHOLD: {"household": HouseholdFactory(village=dongfeng).pk}}
    client.force_login(official)
    created = client.get(spec.create_url, owner.get(spec.belongs_to, {}))
    edited = client.get(reverse(spec.url_names["edit"], args=[record.pk]))
    for response in (created, edited):
        assert response.status_code == 200
        assert isinstance(response.context["form"], spec.form)
    with translation.override("zh-hans"):
        assert created.context["title"] == spec.create_label
        assert edited.context["title"] == spec.edit_label


@SPECS
def test_every_spec_exports_its_headers_and_rows(client, official, dongfeng, spec):
    BUILDERS[spec.slug](dongfeng)
    client.force_login(official)
    sheet = read_export(client.get(spec.list_url, {"format": "xlsx", "lang": "en"}))
    headers = [str(field.column_name) for field in spec.export().get_export_fields()]
    assert headers
    assert all(headers)
    with translation.override("en"):
        assert sheet.headers == [str(field.column_name) for field in spec.export().get_export_fields()]
    assert len(sheet.rows) == 1
    assert all(len(row) == len(headers) for row in sheet.rows)


@SPECS
def test_every_spec_has_a_menu_entry_and_a_tab(client, alice, spec):
    client.force_login(alice)
    page = client.get(reverse("assistance:gaps")).text
    with translation.override("zh-hans"):
        assert f'<a class="dropdown-item" href="{spec.list_url}">{spec.menu}</a>' in page
    tabs = client.get(reverse("assistance:loan-list")).text
    with translation.override("zh-hans"):
        assert f'href="{spec.list_url}">{spec.nav_label}</a>' in tabs


@pytest.mark.parametrize("spec", [s for s in PROGRAMMES if s.belongs_to == HOUSEHOLD], ids=lambda s: s.slug)
def test_the_household_page_offers_every_household_programme(client, alice, dongfeng_household, spec):
    client.force_login(alice)
    page = client.get(dongfeng_household.get_absolute_url()).text
    assert f'href="{spec.create_url}?household={dongfeng_household.pk}"' in page


@SPECS
def test_every_spec_is_scoped_out_of_scope_and_missing_alike(client, alice, charlie, hongqi, spec):
    theirs = BUILDERS[spec.slug](hongqi)
    client.force_login(alice)
    for action in ("detail", "edit"):
        assert client.get(reverse(spec.url_names[action], args=[theirs.pk])).status_code == 404
        assert client.post(reverse(spec.url_names[action], args=[theirs.pk])).status_code == 404
        assert client.get(reverse(spec.url_names[action], args=[987654])).status_code == 404
    assert [row.pk for row in client.get(spec.list_url).context["page"].object_list] == []
    client.force_login(charlie)
    assert client.get(spec.create_url).status_code == 404
