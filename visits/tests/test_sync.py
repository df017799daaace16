"""The phone's outbox sends visits to visits:sync: every answer it can get, and what each one stored.

The phone keeps a visit until the server's answer says it is stored (201 created, 200 exists,
replaced or kept); a refusal (404, 422) stays on the phone with its message; 401 waits for a
login; 409 asks the visitor to choose between two versions.
"""

import datetime as dt
import hashlib
import io
import json
import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from audit.models import AuditEvent
from households.choices import AssignmentRole
from households.tests.factories import AssignmentFactory, HouseholdFactory
from visits import sync
from visits.models import Resolution, Visit, VisitConflict, VisitPhoto
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SYNC = reverse("visits:sync")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def household(dongfeng, helper):
    household = HouseholdFactory(village=dongfeng, registered_on=dt.date(2019, 1, 1))
    AssignmentFactory(household=household, person=helper, role=AssignmentRole.RESPONSIBLE)
    return household


@pytest.fixture
def phone(client, helper):
    """The responsible person's phone, its messages in English to compare them."""
    client.force_login(helper)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def visit_data(household, **overrides) -> dict:
    data = {
        "client_key": str(uuid.uuid4()),
        "household": str(household.pk),
        "village": str(household.village_id),
        "visited_on": TODAY.isoformat(),
        "method": "home",
        "met_with": "户主本人",
        "findings": "生活稳定",
        "made_at": "2020-03-10T09:15:00+08:00",
        "offline": "1",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def jpeg(colour=(200, 10, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, format="JPEG")
    return out.getvalue()


def photo(data: bytes, name="photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def send(phone, data):
    response = phone.post(SYNC, data, HTTP_ACCEPT="application/json")
    assert response["Content-Type"] == "application/json"
    return response, response.json()


# ---------------------------------------------------------------- who is there


def test_the_phone_asks_who_is_logged_in_and_gets_a_fresh_csrf_token(phone, helper):
    response = phone.get(SYNC)
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert (response.status_code, body["user"]) == (200, helper.pk)
    assert len(body["csrf_token"]) == 64
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_ended_session_is_told_to_log_in_again_in_json_and_nothing_is_stored(client, household, method):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = getattr(client, method)(SYNC, visit_data(household) if method == "post" else None)
    body = response.json()
    assert (response.status_code, body["status"], body["login_url"]) == (401, "login", reverse("login"))
    assert "Log in again" in body["message"]
    assert not Visit.objects.exists()


def test_a_post_without_the_csrf_token_is_refused_and_stores_nothing(helper, household):
    phone = Client(enforce_csrf_checks=True)
    phone.force_login(helper)
    assert phone.post(SYNC, visit_data(household), HTTP_ACCEPT="application/json").status_code == 403
    assert not Visit.objects.exists()

    token = phone.get(SYNC).json()["csrf_token"]
    response = phone.post(SYNC, visit_data(household), HTTP_ACCEPT="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201


# ---------------------------------------------------------------- storing a visit once


def test_a_visit_sent_is_stored_with_when_and_where_it_was_made(phone, helper, household):
    data = visit_data(household, latitude="30.12345", longitude="114.4565")
    response, body = send(phone, data)

    visit = Visit.objects.get()
    assert (response.status_code, body["status"]) == (201, "created")
    assert body["message"] == f"Visit to household {household.number} logged."
    assert body["visit"] == {
        "id": visit.pk,
        "url": visit.get_absolute_url(),
        "late": False,
        "digest": visit.content_digest,
    }
    assert (visit.household, visit.visitor, visit.role) == (household, helper, AssignmentRole.RESPONSIBLE)
    assert visit.made_at == dt.datetime(2020, 3, 10, 1, 15, tzinfo=dt.UTC)
    assert visit.offline is True
    assert (visit.latitude, visit.longitude) == (Decimal("30.123"), Decimal("114.457"))  # about 100 m
    assert visit.received_at <= timezone.now()
    event = AuditEvent.objects.get(object_type="visits.Visit")
    assert event.via == AuditEvent.Via.SYNC


def test_the_same_visit_sent_again_is_told_it_exists_and_stores_nothing_more(phone, household):
    data = visit_data(household, photos=[photo(jpeg())])
    first = send(phone, data)[1]
    data["photos"] = [photo(jpeg())]  # the same bytes, as a phone resends them
    response, body = send(phone, data)

    assert (response.status_code, body["status"]) == (200, "exists")
    assert body["message"] == "This visit was already logged."
    assert body["visit"] == first["visit"]
    assert (Visit.objects.count(), VisitPhoto.objects.count(), VisitConflict.objects.count()) == (1, 1, 0)
    assert AuditEvent.objects.filter(object_type="visits.Visit").count() == 1


def test_the_digest_is_of_the_content_as_sent_whitespace_and_when_and_where_aside(phone, household):
    data = visit_data(household, check_housing="not_met", note_housing="屋顶漏雨")
    send(phone, data)
    again = {
        **data,
        "findings": f"  {data['findings']}\n",
        "note_housing": " 屋顶漏雨 ",
        "made_at": "2020-03-11T08:00:00+08:00",
        "offline": "0",
        "latitude": "30.1",
        "longitude": "114.2",
    }
    assert send(phone, again)[1]["status"] == "exists"
    visit = Visit.objects.get()
    expected = {
        "visited_on": TODAY.isoformat(),
        "method": "home",
        "met_with": "户主本人",
        "findings": "生活稳定",
        "problems_found": "",
        "problems_solved": "",
        "policies_explained": "",
        "income_changes": "",
        "follow_up": "",
        "verdicts": {"housing": [False, "屋顶漏雨"]},
        "photos": [],
    }
    canonical = json.dumps(expected, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert visit.content_digest == hashlib.sha256(canonical.encode()).hexdigest()


def test_a_photo_is_known_by_the_digest_of_the_bytes_uploaded_not_of_the_stored_jpeg(phone, household):
    raw = jpeg()
    send(phone, visit_data(household, photos=[photo(raw)]))
    stored = VisitPhoto.objects.get()
    with stored.image.open("rb") as kept:
        assert hashlib.sha256(kept.read()).hexdigest() != hashlib.sha256(raw).hexdigest()  # re-encoded
    assert stored.upload_digest == hashlib.sha256(raw).hexdigest()


def test_a_visit_entered_after_its_period_closed_says_so(phone, household):
    long_ago = (TODAY - dt.timedelta(days=120)).isoformat()
    response, body = send(phone, visit_data(household, visited_on=long_ago))
    assert (response.status_code, body["visit"]["late"]) == (201, True)
    assert "entered too late to count" in body["message"]


# ---------------------------------------------------------------- refusals that stay on the phone


@pytest.mark.parametrize("whose", ["another village", "not assigned", "missing", "too large", "not a number"])
def test_a_household_out_of_scope_or_missing_is_refused_alike_and_nothing_stored(phone, household, hongqi, whose):
    other = {
        "another village": lambda: HouseholdFactory(village=hongqi).pk,
        "not assigned": lambda: HouseholdFactory(village=household.village).pk,
        "missing": lambda: 999_999_999,
        "too large": lambda: "9" * 30,  # beyond any database's integers
        "not a number": lambda: "１２",
    }[whose]()
    response, body = send(phone, {**visit_data(household), "household": str(other)})

    assert (response.status_code, body["status"], body["reason"]) == (404, "refused", "not_found")
    assert "stays on this phone" in body["message"]
    assert not Visit.objects.exists()


def test_a_household_that_moved_village_since_the_visit_was_written_is_refused_naming_the_village(
    client, official, household, hongqi
):
    client.force_login(official)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    written_in = household.village_id
    household.village = hongqi
    household.save()

    response, body = send(client, visit_data(household, village=str(written_in)))

    assert (response.status_code, body["status"], body["reason"]) == (422, "refused", "moved")
    assert body["message"].startswith(f"Household {household.number} has moved to 红旗村 since")
    assert not Visit.objects.exists()


def test_a_visit_stored_before_its_household_moved_is_told_it_exists_when_sent_again(
    client, official, household, hongqi
):
    client.force_login(official)
    data = visit_data(household)
    send(client, data)  # the reply was lost on the way
    household.village = hongqi
    household.save()

    response, body = send(client, data)

    assert (response.status_code, body["status"]) == (200, "exists")
    assert Visit.objects.count() == 1


def test_the_move_of_a_household_to_a_village_the_user_cannot_see_is_told_without_naming_it(household, settings):
    settings.LANGUAGE_CODE = "en"
    body = json.loads(sync.moved(household, None).content)
    assert "another village" in body["message"]
    assert household.village.name not in body["message"]


def test_a_visit_the_form_refuses_answers_the_forms_own_messages_and_stores_nothing(phone, household):
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    data = visit_data(household, method="fax", check_water="not_met", latitude="91", longitude="114")
    response, body = send(phone, data)

    assert (response.status_code, body["status"]) == (422, "invalid")
    assert body["message"].startswith("Nothing was saved.")
    assert body["errors"] == {
        "method": ["Select a valid choice. fax is not one of the available choices."],
        "latitude": ["Ensure this value is less than or equal to 90."],
        "note_water": ["Say what is wrong when an item is not met."],
    }
    response, body = send(phone, visit_data(household, visited_on=tomorrow, latitude="30.1"))
    assert body["errors"] == {"__all__": ["A location needs both its latitude and its longitude."]}
    assert not Visit.objects.exists()


def test_a_date_the_service_refuses_is_a_field_error_too(phone, household):
    response, body = send(phone, visit_data(household, visited_on=(TODAY + dt.timedelta(days=1)).isoformat()))
    assert (response.status_code, body["errors"]) == (422, {"visited_on": ["The date cannot be in the future."]})


def test_the_key_of_another_visitors_visit_is_refused_saying_nothing_of_it(phone, household, official):
    theirs = VisitFactory(household=household, visitor=official)
    response, body = send(phone, visit_data(household, client_key=str(theirs.client_key)))

    assert (response.status_code, body["status"], body["reason"]) == (422, "refused", "key_used")
    assert body["message"] == "This form can no longer be saved: open a new one."
    assert "visit" not in body
    assert theirs.get_absolute_url() not in json.dumps(body)
    assert Visit.objects.count() == 1


# ---------------------------------------------------------------- two versions under one key


@pytest.fixture
def conflict(phone, household):
    """A visit stored, then the phone's edited draft sent under the same key: the 409 it got."""
    stored = visit_data(household, photos=[photo(jpeg())], check_food="met")
    send(phone, stored)
    edited = visit_data(
        household,
        client_key=stored["client_key"],
        findings="屋顶漏雨，已联系危房改造",
        check_housing="not_met",
        note_housing="屋顶漏雨",
        photos=[photo(jpeg()), photo(jpeg((10, 200, 10)))],
    )
    response, body = send(phone, edited)
    assert response.status_code == 409
    for upload in edited["photos"]:
        upload.seek(0)
    return edited, body


def test_a_different_version_under_a_stored_key_is_kept_aside_and_both_shown(conflict, household):
    _edited, body = conflict

    visit = Visit.objects.get()
    assert body["status"] == "conflict"
    assert body["message"].startswith(f"A different version of this visit to household {household.number}")
    assert timezone.localtime(visit.received_at).strftime("%Y-%m-%d %H:%M") in body["message"]
    assert body["visit"]["id"] == visit.pk
    assert body["stored_digest"] == visit.content_digest
    assert (body["stored"]["findings"], body["sent"]["findings"]) == ("生活稳定", "屋顶漏雨，已联系危房改造")
    assert body["stored"]["method"] == "Home visit"
    assert body["stored"]["verdicts"] == [{"item": "food", "label": "No worry about food", "passes": True, "note": ""}]
    assert body["sent"]["verdicts"] == [
        {"item": "housing", "label": "Safe housing guaranteed", "passes": False, "note": "屋顶漏雨"}
    ]
    assert (body["stored"]["photos"], body["sent"]["photos"]) == (1, 2)
    assert body["labels"]["findings"] == "findings"
    assert visit.findings == "生活稳定"  # never overwritten
    kept = VisitConflict.objects.get()
    assert (kept.visit, kept.client_key, kept.resolved_at) == (visit, visit.client_key, None)
    assert kept.content["findings"] == "屋顶漏雨，已联系危房改造"
    assert kept.content["photo_count"] == 2


def test_the_same_different_version_sent_again_records_one_conflict(conflict, phone):
    edited, _body = conflict
    response, body = send(phone, edited)
    assert (response.status_code, body["status"]) == (409, "conflict")
    assert VisitConflict.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="visits.VisitConflict").count() == 1


def test_choosing_the_phones_version_replaces_the_stored_one(conflict, phone, household, helper):
    edited, body = conflict
    response, answer = send(phone, {**edited, "resolve": "replace", "replaces": body["stored_digest"]})

    visit = Visit.objects.get()
    assert (response.status_code, answer["status"]) == (200, "replaced")
    assert answer["visit"] == {
        "id": visit.pk,
        "url": visit.get_absolute_url(),
        "late": False,
        "digest": visit.content_digest,
    }
    assert visit.content_digest != body["stored_digest"]
    assert visit.findings == "屋顶漏雨，已联系危房改造"
    assert visit.verdicts == {"housing": [False, "屋顶漏雨"]}
    assert visit.photos.count() == 2, "the photo sent both times is not added twice"
    household.refresh_from_db()
    assert household.latest_assessment.housing_ok is False  # the changed verdict recorded, as visit_log does
    resolved = VisitConflict.objects.get()
    assert (resolved.resolution, resolved.resolved_by) == (Resolution.REPLACED, helper)
    event = AuditEvent.objects.get(object_type="visits.Visit", action=AuditEvent.Action.CHANGED)
    assert event.changes["findings"] == ["生活稳定", "屋顶漏雨，已联系危房改造"]
    assert event.changes["photo_count"] == [1, 2]
    assert event.via == AuditEvent.Via.SYNC


def test_a_replace_sent_twice_replaces_once(conflict, phone):
    edited, body = conflict
    choice = {**edited, "resolve": "replace", "replaces": body["stored_digest"]}
    send(phone, choice)
    for upload in edited["photos"]:
        upload.seek(0)
    response, answer = send(phone, choice)
    assert (response.status_code, answer["status"]) == (200, "replaced")
    assert AuditEvent.objects.filter(object_type="visits.Visit", action=AuditEvent.Action.CHANGED).count() == 1
    assert VisitPhoto.objects.count() == 2


def test_a_choice_made_on_a_version_no_longer_stored_is_a_conflict_again(conflict, phone):
    edited, _body = conflict
    response, answer = send(phone, {**edited, "resolve": "replace", "replaces": "0" * 64})
    assert (response.status_code, answer["status"]) == (409, "conflict")
    assert Visit.objects.get().findings == "生活稳定"
    assert VisitConflict.objects.get().resolved_at is None


def test_a_replace_without_a_conflict_to_settle_edits_nothing(phone, household):
    data = visit_data(household)
    digest = send(phone, data)[1]["visit"]["digest"]
    response, answer = send(phone, {**data, "findings": "改过的", "resolve": "replace", "replaces": digest})
    assert (response.status_code, answer["status"]) == (409, "conflict")
    assert Visit.objects.get().findings == "生活稳定"


def test_a_replace_needs_the_digest_it_replaces(conflict, phone):
    edited, _body = conflict
    response, answer = send(phone, {**edited, "resolve": "replace"})
    assert (response.status_code, answer["errors"]) == (
        422,
        {"replaces": ["Say which stored version the phone's replaces."]},
    )


def test_keeping_the_stored_version_settles_the_conflict_and_changes_nothing(conflict, phone, household, helper):
    edited, _body = conflict
    keep = {"client_key": edited["client_key"], "household": str(household.pk), "resolve": "keep"}
    response, answer = send(phone, keep)

    visit = Visit.objects.get()
    assert (response.status_code, answer["status"], answer["visit"]["id"]) == (200, "kept", visit.pk)
    assert visit.findings == "生活稳定"
    resolved = VisitConflict.objects.get()
    assert (resolved.resolution, resolved.resolved_by) == (Resolution.KEPT, helper)
    assert send(phone, keep)[0].status_code == 200  # sent again: still kept, nothing more to settle
    assert AuditEvent.objects.filter(object_type="visits.VisitConflict", action="changed").count() == 1


def test_keeping_a_visit_not_stored_or_not_ones_own_is_refused(phone, household, official):
    theirs = VisitFactory(household=household, visitor=official)
    for key in (uuid.uuid4(), theirs.client_key):
        keep = {"client_key": str(key), "household": str(household.pk), "resolve": "keep"}
        response, answer = send(phone, keep)
        assert (response.status_code, answer["reason"]) == (404, "not_found")


# ---------------------------------------------------------------- language


def test_the_answers_are_in_the_users_language(client, helper, household):
    client.force_login(helper)
    response = client.post(SYNC, visit_data(household))  # no language cookie: Chinese
    assert response.json()["message"] == f"已记录对户 {household.number} 的走访。"


# ---------------------------------------------------------------- the page without JavaScript


def test_the_visit_form_shows_a_different_version_as_an_error_linking_to_the_stored_visit(phone, household):
    data = visit_data(household)
    send(phone, data)
    url = f"{reverse('visits:log')}?household={household.pk}"
    response = phone.post(url, {**data, "findings": "另一个版本"})

    visit = Visit.objects.get()
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1
    assert errors[0].startswith("A different version of this visit")
    assert f'<a href="{visit.get_absolute_url()}">' in response.text
    assert VisitConflict.objects.count() == 1
