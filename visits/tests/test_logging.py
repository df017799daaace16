"""Logging a visit: once per client key, dated sensibly, recording 2W3G changes, clearing its flags."""

import datetime as dt
import io
import uuid
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from PIL import Image

from households.choices import AssignmentRole
from households.models import Assessment
from households.tests.factories import AssessmentFactory, AssignmentFactory, HouseholdFactory
from visits.models import FlagKind, Visit, VisitFlag, VisitPhoto
from visits.services import visits_flag
from visits.tests import images

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


def test_the_form_says_the_visitors_role_and_is_prefilled_with_today(client, helper, household):
    client.force_login(helper)
    response = client.get(log_url(household))
    assert "role" not in response.context["form"].fields  # looked up, never chosen
    assert response.context["role"] == AssignmentRole.RESPONSIBLE
    assert response.context["form"]["visited_on"].initial == TODAY
    assert response.context["form"]["client_key"].initial


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


def test_logging_the_visit_clears_its_overdue_flag(client, helper, household, settings):
    settings.VISIT_LATE_ENTRY_DAYS = 40  # last month's visit counts whatever today's day of the month
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


# ---------------------------------------------------------------- what a photo claims against what it holds


def photo_errors(response) -> list[str]:
    assert response.status_code == 200
    assert not Visit.objects.exists()
    return response.context["form"].errors["photos"]


def damaged(name):
    return gettext("%(name)s is damaged or incomplete; please take or send it again.") % {"name": name}


def test_a_png_named_jpg_is_refused_by_name(client, helper, household):
    client.force_login(helper)
    fake = SimpleUploadedFile("IMG_0001.JPG", images.encoded(Image.new("RGB", (40, 30)), "PNG"))
    response = client.post(log_url(household), {**post_data(), "photos": [fake]})
    expected = gettext("%(name)s is a %(found)s image but its name ends in %(suffix)s.")
    assert photo_errors(response) == [expected % {"name": "IMG_0001.JPG", "found": "PNG", "suffix": ".JPG"}]


def test_a_gif_named_jpg_is_refused_as_no_photo(client, helper, household):
    client.force_login(helper)
    fake = SimpleUploadedFile("a.jpg", images.encoded(Image.new("RGB", (40, 30)), "GIF"))
    response = client.post(log_url(household), {**post_data(), "photos": [fake]})
    assert photo_errors(response) == [gettext("%(name)s is not a JPEG or PNG photo.") % {"name": "a.jpg"}]


def _cut_in_half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _with_bad_checksum(data: bytes) -> bytes:
    return data[:-16] + bytes([data[-16] ^ 1]) + data[-15:]  # a byte of the image data, its CRC unchanged


A_JPEG = images.encoded(images.two_halves((400, 300)), "JPEG")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        pytest.param("cut.jpg", _cut_in_half(A_JPEG), id="JPEG cut short"),
        pytest.param("cut.png", _cut_in_half(images.png(400, 300, "RGB")), id="PNG cut short"),
        pytest.param("rows.png", images.png(3000, 2000, rows=10), id="PNG header claims rows its data lacks"),
        pytest.param("crc.png", _with_bad_checksum(images.png(400, 300)), id="PNG chunk failing its checksum"),
        pytest.param("end.png", images.png(400, 300)[:-12], id="PNG without its end"),
        pytest.param(
            "text.png",
            images.png(40, 30, before_data=images.chunk(b"zTXt", b"Comment\0\0" + zlib.compress(bytes(5_000_000)))),
            id="PNG whose text inflates to 5 MB",
        ),
    ],
)
def test_a_photo_whose_data_does_not_hold_what_its_header_claims_is_refused_by_name(
    client, helper, household, name, data
):
    client.force_login(helper)
    response = client.post(log_url(household), {**post_data(), "photos": [SimpleUploadedFile(name, data)]})
    assert photo_errors(response) == [damaged(name)]


def test_every_photo_refused_is_named(client, helper, household):
    client.force_login(helper)
    photos = [
        SimpleUploadedFile("a.png", images.png(300, 200, rows=3)),
        image_file("good.jpg", "JPEG"),
        SimpleUploadedFile("b.jpg", _cut_in_half(A_JPEG)),
    ]
    response = client.post(log_url(household), {**post_data(), "photos": photos})
    assert photo_errors(response) == [damaged("a.png"), damaged("b.jpg")]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        pytest.param("adam7.png", images.interlaced_png(images.two_halves((37, 23))), id="interlaced PNG"),
        pytest.param("grey16.png", images.encoded(Image.new("I;16", (50, 40), 40000), "PNG"), id="16-bit grey PNG"),
        pytest.param("bits.png", images.encoded(Image.new("1", (37, 23), 1), "PNG"), id="1-bit PNG"),
        pytest.param(
            "palette.png",
            images.encoded(images.two_halves((37, 23)).convert("P", colors=4), "PNG", bits=2),
            id="2-bit palette PNG",
        ),
        pytest.param("cmyk.jpg", images.encoded(Image.new("CMYK", (50, 40), (0, 90, 90, 0)), "JPEG"), id="CMYK JPEG"),
        pytest.param(
            "depth.jpg",
            images.encoded(Image.new("RGB", (50, 40)), "MPO", save_all=True, append_images=[Image.new("RGB", (8, 6))]),
            id="JPEG with a second picture appended (MPO)",
        ),
        pytest.param("scan", images.encoded(Image.new("RGB", (50, 40)), "PNG"), id="no extension"),
    ],
)
def test_photos_of_every_kind_phones_and_scanners_make_are_accepted(client, helper, household, name, data):
    client.force_login(helper)
    client.post(log_url(household), {**post_data(), "photos": [SimpleUploadedFile(name, data)]})
    photo = VisitPhoto.objects.get()
    with photo.image.open("rb") as stored:
        assert Image.open(stored).format == "JPEG"


def test_an_interlaced_png_is_stored_as_it_looks(client, helper, household):
    client.force_login(helper)
    data = images.interlaced_png(images.two_halves((37, 23)))
    client.post(log_url(household), {**post_data(), "photos": [SimpleUploadedFile("adam7.png", data)]})
    with VisitPhoto.objects.get().image.open("rb") as stored:
        picture = Image.open(stored).convert("RGB")
        assert picture.size == (37, 23)
        assert _is_red(picture.getpixel((2, 11)))
        assert _is_blue(picture.getpixel((34, 11)))


def _is_red(pixel) -> bool:
    return pixel[0] > 150 and pixel[2] < 100


def _is_blue(pixel) -> bool:
    return pixel[2] > 150 and pixel[0] < 100


def test_a_photo_is_stored_upright_and_without_its_exif(client, helper, household):
    # Orientation 6: the camera was held upright, the picture must be turned a quarter clockwise.
    data = images.encoded(images.two_halves((400, 300)), "JPEG", exif=images.upright_exif(6))
    client.force_login(helper)
    client.post(log_url(household), {**post_data(), "photos": [SimpleUploadedFile("upright.jpg", data)]})
    photo = VisitPhoto.objects.get()
    assert (photo.width, photo.height) == (300, 400)
    with photo.image.open("rb") as stored:
        picture = Image.open(stored)
        assert not picture.getexif(), "no orientation left to apply twice, no GPS position"
        assert _is_red(picture.getpixel((150, 20))), "the left of the picture is now its top"
        assert _is_blue(picture.getpixel((150, 380)))


def test_a_progressive_jpeg_counts_the_coefficients_it_holds_at_full_size(client, helper, household, settings):
    """A baseline JPEG of 1600 x 1200 decodes into 1.92 million pixels; a progressive one holds 1.44 million more."""
    settings.VISIT_PHOTO_MAX_PIXELS = 2_500_000
    picture = images.two_halves((1600, 1200))
    client.force_login(helper)
    baseline = SimpleUploadedFile("baseline.jpg", images.encoded(picture, "JPEG"))
    progressive = SimpleUploadedFile("progressive.jpg", images.encoded(picture, "JPEG", progressive=True))
    response = client.post(log_url(household), {**post_data(), "photos": [baseline, progressive]})
    too_many = gettext("%(name)s has too many pixels.") % {"name": "progressive.jpg"}
    assert photo_errors(response) == [too_many]
