"""Fuzzing the visit form through the visits:log view, with and without photos of random bytes.

Whatever is posted, the page never fails (no 500), and it stores all or
nothing: either a redirect, with the one visit and exactly its photos (or no
new row, for a form sent again with the same client key), or the form again
(200) with no visit, photo or assessment written and no photo file left on disk.
"""

import datetime as dt
import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import event, given, settings
from hypothesis import strategies as st
from PIL import Image

from audit.models import AuditEvent
from households.choices import AssessmentItem, AssignmentRole
from households.models import Assessment
from households.tests.factories import AssignmentFactory, HouseholdFactory
from townaid.tests.fuzzing import dates, either, examples, huge_texts, junk, junk_rates, post_data, texts
from visits.models import Method, Visit, VisitConflict, VisitorRole, VisitPhoto
from visits.services import visit_log, visitor_role
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db

WRITTEN = [Visit, VisitPhoto, VisitConflict, Assessment, AuditEvent]
TODAY = timezone.localdate()
REGISTERED = dt.date(2019, 1, 1)
GREY = st.just((128, 128, 128))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def household(dongfeng, helper):
    household = HouseholdFactory(village=dongfeng, registered_on=REGISTERED)
    AssignmentFactory(household=household, person=helper, role=AssignmentRole.RESPONSIBLE)
    return household


@pytest.fixture
def earlier_visit(household, helper):
    """A visit already logged, whose client key a resent form carries."""
    return VisitFactory(household=household, visitor=helper, visited_on=dt.date(2020, 3, 10))


def written() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WRITTEN}


def files_in(root) -> set[str]:
    return {str(path) for path in root.rglob("*") if path.is_file()}


# ---------------------------------------------------------------- what is posted


def image_bytes(fmt: str, width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format=fmt)
    return out.getvalue()


real_images = st.builds(
    image_bytes,
    st.sampled_from(["PNG", "JPEG"]),
    st.integers(1, 64),
    st.integers(1, 64),
    st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
)
odd_images = st.one_of(
    st.binary(max_size=2000),
    st.builds(image_bytes, st.sampled_from(["GIF", "BMP", "TIFF"]), st.integers(1, 32), st.integers(1, 32), GREY),
    real_images.map(lambda data: data[: len(data) // 2]),  # cut short
    st.binary(max_size=500).map(lambda tail: b"\x89PNG\r\n\x1a\n" + tail),  # a PNG signature, then anything
    st.binary(max_size=500).map(lambda tail: b"\xff\xd8\xff\xe0" + tail),  # a JPEG signature, then anything
)
# Names a browser sends: Django drops a file whose name is empty once cleaned (no file chosen), as it should.
file_names = st.one_of(
    st.sampled_from(["photo.jpg", "a.png", "x", "../../etc/passwd", "照片.JPG"]),
    st.text(st.characters(categories=["L", "N", "P", "S"], exclude_characters="/\\."), min_size=1, max_size=30),
)


@st.composite
def photos(draw, rate: int) -> list[SimpleUploadedFile]:
    """Up to three photos, real JPEGs or PNGs; at the junk rate random bytes, other formats, one too many."""
    count = draw(either(st.integers(0, 3), rate, st.just(4)))
    return [
        SimpleUploadedFile(draw(file_names), draw(either(real_images, rate, odd_images)), content_type="image/jpeg")
        for _ in range(count)
    ]


@st.composite
def visit_posts(draw, *, earlier_key: str) -> dict:
    rate = draw(junk_rates())
    texts_or_huge = either(texts, rate, st.one_of(huge_texts, junk))
    fields = {
        "client_key": draw(either(st.uuids().map(str), rate, st.one_of(st.just(earlier_key), st.none(), junk))),
        "role": draw(st.one_of(st.none(), st.sampled_from(VisitorRole.values))),  # ignored: the role is looked up
        "visited_on": draw(
            either(
                st.dates(REGISTERED, TODAY).map(dt.date.isoformat),
                rate,
                st.one_of(st.dates(REGISTERED - dt.timedelta(days=60), TODAY + dt.timedelta(days=3)).map(str), dates),
            )
        ),
        "method": draw(either(st.sampled_from(Method.values), rate)),
        "met_with": draw(texts_or_huge),
    }
    for name in ["findings", "problems_found", "problems_solved", "policies_explained", "income_changes", "follow_up"]:
        fields[name] = draw(st.one_of(st.none(), texts_or_huge))
    for item in AssessmentItem:
        verdict = draw(either(st.sampled_from([None, "", "met", "not_met"]), rate, st.sampled_from(["maybe", "MET"])))
        fields[f"check_{item.value}"] = verdict
        note = texts.map(lambda text: text.strip() or "漏雨") if verdict == "not_met" else st.one_of(st.none(), texts)
        fields[f"note_{item.value}"] = draw(either(note, rate, st.one_of(huge_texts, junk)))
    data = post_data(fields)
    sent = draw(photos(rate))
    if sent:
        data["photos"] = sent
    return data


# ---------------------------------------------------------------- the test


@settings(max_examples=examples(40))
@given(draw=st.data())
def test_logging_a_visit_never_fails_and_stores_all_or_nothing(client, helper, household, earlier_visit, media, draw):
    client.force_login(helper)
    data = draw.draw(visit_posts(earlier_key=str(earlier_visit.client_key)), label="posted")
    url = f"{reverse('visits:log')}?household={household.pk}"

    def run():
        before, files = written(), files_in(media)
        response = client.post(url, data)
        assert response.status_code in (200, 302)
        event(f"status {response.status_code} with {len(data.get('photos', []))} photos")
        after = written()
        if response.status_code == 200 or data.get("client_key") == str(earlier_visit.client_key):
            assert after == before
            assert files_in(media) == files
            return
        visit = Visit.objects.get(client_key=uuid.UUID(data["client_key"].strip()))
        assert response.url == visit.get_absolute_url()
        role = visitor_role(household=household, person=helper, day=visit.visited_on)
        assert (visit.household, visit.visitor, visit.role) == (household, helper, role)
        assert visit.visited_on == dt.date.fromisoformat(data["visited_on"].strip())
        sent = len(data.get("photos", []))
        assert (after["Visit"], after["VisitPhoto"]) == (before["Visit"] + 1, before["VisitPhoto"] + sent)
        assert len(files_in(media) - files) == sent

    with transaction.atomic():
        run()
        transaction.set_rollback(True)
    for upload in data.get("photos", []):
        upload.seek(0)  # the same example may be replayed while shrinking


# ---------------------------------------------------------------- the phone's outbox


@pytest.fixture
def phone_visit(household, helper):
    """A visit sent from a phone earlier, with its digest: the same key with other content is a conflict."""
    visit = Visit(household=household, client_key=uuid.uuid4(), visited_on=dt.date(2020, 3, 12), method="home")
    return visit_log(visit=visit, user=helper)[0]


offsets = st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=8)), dt.timezone(dt.timedelta(hours=-12))])
phone_times = st.one_of(
    st.datetimes(timezones=offsets).map(dt.datetime.isoformat),
    st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-12:00", "2020-03-10T09:15", "now"]),
)
odd_degrees = st.one_of(
    st.decimals(-200, 200, allow_nan=False, places=6).map(str),
    st.sampled_from(["NaN", "Infinity", "-0", "1e999999", "30,123", "90.0004", "-180.0005"]),
    junk,
)


@st.composite
def sync_posts(draw, *, households: list[int], village: int, visit: Visit) -> dict:
    data = draw(visit_posts(earlier_key=str(visit.client_key)))
    rate = draw(junk_rates())
    maybe = lambda strategy: st.one_of(st.none(), either(strategy, rate))  # noqa: E731
    if draw(st.booleans()):  # the key of the visit sent before: the same visit, another version, or a choice
        data["client_key"] = str(visit.client_key)
    if draw(st.booleans()):  # a location: both or, at the junk rate, anything
        latitude = st.decimals(-90, 90, allow_nan=False, places=7).map(str)
        longitude = st.decimals(-180, 180, allow_nan=False, places=7).map(str)
        data.update(
            post_data(
                {
                    "latitude": draw(either(latitude, rate, st.one_of(st.none(), odd_degrees))),
                    "longitude": draw(either(longitude, rate, st.one_of(st.none(), odd_degrees))),
                }
            )
        )
    data.update(
        post_data(
            {
                # Mostly the household the visit is for: refusals are cheap to reach, stored visits are not.
                "household": draw(either(st.sampled_from(households[:1] * 8 + households[1:]).map(str), rate)),
                "village": draw(maybe(st.sampled_from([village] * 4 + [village + 1]).map(str))),
                "made_at": draw(maybe(phone_times)),
                "offline": draw(maybe(st.sampled_from(["0", "1"]))),
                "resolve": draw(maybe(st.sampled_from(["", "replace", "keep"]))),
                "replaces": draw(maybe(st.just(visit.content_digest))),
            }
        )
    )
    return data


@settings(max_examples=examples(40))
@given(draw=st.data())
def test_the_sync_endpoint_never_fails_and_a_refusal_stores_nothing(
    client, helper, household, phone_visit, hongqi_household, media, draw
):
    client.force_login(helper)
    households = [household.pk, hongqi_household.pk, 0]
    data = draw.draw(sync_posts(households=households, village=household.village_id, visit=phone_visit), "posted")

    def run():
        before, files = written(), files_in(media)
        response = client.post(reverse("visits:sync"), data, HTTP_ACCEPT="application/json")
        answer = response.json()
        event(f"{response.status_code} {answer['status']}")
        assert (response.status_code, answer["status"]) in {
            (201, "created"),
            (200, "exists"),
            (200, "replaced"),
            (200, "kept"),
            (409, "conflict"),
            (404, "refused"),
            (422, "refused"),
            (422, "invalid"),
        }
        if response.status_code in (404, 422):
            assert (written(), files_in(media)) == (before, files)

    with transaction.atomic():
        run()
        transaction.set_rollback(True)
    for upload in data.get("photos", []):
        upload.seek(0)
