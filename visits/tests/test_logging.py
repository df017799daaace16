"""Logging a visit: once per client key, dated sensibly, recording 2W3G changes, clearing its flags."""

import datetime as dt
import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from households.choices import AssignmentRole
from households.models import Assessment
from households.tests.factories import AssessmentFactory, AssignmentFactory, HouseholdFactory
from visits.models import FlagKind, Visit, VisitFlag, VisitPhoto
from visits.services import visits_flag

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def household(dongfeng, helper):
    household = HouseholdFactory(village=dongfeng, registered_on=dt.date(2019, 1, 1))
    AssignmentFactory(household=household, person=helper, role=AssignmentRole.RESPONSIBLE)
    return household


def log_url(household):
    return f"{reverse('visits:log')}?household={household.pk}"


def post_data(**overrides):
    data = {
        "client_key": str(uuid.uuid4()),
        "role": "responsible",
        "visited_on": TODAY.isoformat(),
        "method": "home",
        "met_with": "户主本人",
        "findings": "生活稳定",
    }
    data.update(overrides)
    return data


def image_file(name="photo.png", fmt="PNG", size=(40, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def test_the_form_is_prefilled_with_the_visitors_role_and_today(client, helper, household):
    client.force_login(helper)
    form = client.get(log_url(household)).context["form"]
    assert form["role"].initial == AssignmentRole.RESPONSIBLE
    assert form["visited_on"].initial == TODAY
    assert form["client_key"].initial


def test_a_responsible_person_logs_a_visit_for_their_household(client, helper, household):
    client.force_login(helper)
    response = client.post(log_url(household), post_data())
    visit = Visit.objects.get()
    assert response.url == visit.get_absolute_url()
    assert (visit.household, visit.visitor, visit.role, visit.visited_on) == (household, helper, "responsible", TODAY)


def test_a_double_tap_or_a_resent_form_stores_one_visit(client, helper, household):
    client.force_login(helper)
    data = post_data()
    client.post(log_url(household), data)
    second = client.post(log_url(household), data, follow=True)
    assert Visit.objects.count() == 1
    assert [str(m) for m in second.context["messages"]]  # told it was already logged


def test_a_visit_in_the_future_is_refused(client, helper, household):
    client.force_login(helper)
    response = client.post(log_url(household), post_data(visited_on=(TODAY + dt.timedelta(days=1)).isoformat()))
    assert "visited_on" in response.context["form"].errors
    assert not Visit.objects.exists()


def test_a_visit_before_the_household_was_registered_is_refused(client, helper, household):
    client.force_login(helper)
    response = client.post(log_url(household), post_data(visited_on="2018-12-31"))
    assert "visited_on" in response.context["form"].errors
    assert not Visit.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_cadre_cannot_log_a_visit_in_another_village(client, alice, hongqi_household, method):
    client.force_login(alice)
    data = post_data() if method == "post" else None
    assert getattr(client, method)(log_url(hongqi_household), data).status_code == 404
    assert not Visit.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_responsible_person_cannot_log_for_a_household_not_assigned_to_them(client, helper, dongfeng, method):
    other = HouseholdFactory(village=dongfeng)
    client.force_login(helper)
    data = post_data() if method == "post" else None
    assert getattr(client, method)(log_url(other), data).status_code == 404


def test_a_user_without_scope_cannot_log(client, charlie, household):
    client.force_login(charlie)
    assert client.post(log_url(household), post_data()).status_code == 404


def test_logging_the_visit_clears_its_overdue_flag(client, helper, household):
    visits_flag(on=TODAY.replace(day=1) + dt.timedelta(days=2))  # last month's visit is overdue
    flag = VisitFlag.objects.get(kind=FlagKind.OVERDUE, rule__visitor_role=AssignmentRole.RESPONSIBLE)
    client.force_login(helper)
    client.post(log_url(household), post_data(visited_on=flag.period_end.isoformat()))
    flag.refresh_from_db()
    assert flag.cleared_at is not None
    assert flag.cleared_by == Visit.objects.get()


def test_a_2w3g_change_found_on_a_visit_records_a_new_assessment(client, helper, household):
    household.latest_assessment = AssessmentFactory(household=household, assessed_on=dt.date(2020, 1, 1))
    household.save()
    client.force_login(helper)
    client.post(log_url(household), post_data(check_housing="not_met", note_housing="屋顶漏雨"))
    visit = Visit.objects.get()
    household.refresh_from_db()
    assert visit.assessment == household.latest_assessment
    assert household.latest_assessment.housing_ok is False
    assert household.latest_assessment.food_ok is True, "items not checked carry over"
    assert visit.items_checked == ["housing"]


def test_confirming_the_same_verdicts_records_no_new_assessment(client, helper, household):
    household.latest_assessment = AssessmentFactory(household=household, assessed_on=dt.date(2020, 1, 1))
    household.save()
    client.force_login(helper)
    client.post(log_url(household), post_data(check_food="met", check_water="met"))
    assert Assessment.objects.count() == 1
    assert Visit.objects.get().assessment is None


def test_an_item_found_failing_needs_a_note(client, helper, household):
    client.force_login(helper)
    response = client.post(log_url(household), post_data(check_water="not_met"))
    assert "note_water" in response.context["form"].errors


def test_photos_are_re_encoded_and_shown_only_to_users_in_scope(client, helper, household, bob):
    client.force_login(helper)
    client.post(log_url(household), {**post_data(), "photos": [image_file(), image_file("b.jpg", "JPEG")]})
    photos = list(VisitPhoto.objects.all())
    assert len(photos) == 2
    with photos[0].image.open("rb") as stored:
        assert Image.open(stored).format == "JPEG"
    url = reverse("visits:photo", args=[photos[0].pk])
    assert client.get(url).status_code == 200
    client.force_login(bob)
    assert client.get(url).status_code == 404


def test_more_than_three_photos_are_refused(client, helper, household):
    client.force_login(helper)
    response = client.post(log_url(household), {**post_data(), "photos": [image_file() for _ in range(4)]})
    assert "photos" in response.context["form"].errors
    assert not Visit.objects.exists()


def test_a_file_that_is_not_a_photo_is_refused_by_name(client, helper, household):
    client.force_login(helper)
    fake = SimpleUploadedFile("notes.png", b"not an image at all", content_type="image/png")
    response = client.post(log_url(household), {**post_data(), "photos": [fake]})
    assert "notes.png" in str(response.context["form"].errors["photos"])


def test_an_oversized_photo_is_refused(client, helper, household, settings):
    settings.VISIT_PHOTO_MAX_BYTES = 100
    client.force_login(helper)
    response = client.post(log_url(household), {**post_data(), "photos": [image_file(size=(300, 300))]})
    assert "photos" in response.context["form"].errors


def test_a_gif_is_refused(client, helper, household):
    client.force_login(helper)
    response = client.post(log_url(household), {**post_data(), "photos": [image_file("a.gif", "GIF")]})
    assert "photos" in response.context["form"].errors
