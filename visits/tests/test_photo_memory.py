"""Uploaded photos cannot exhaust a web process's memory: bombs refused unread, the rest decoded small, one at a time.

The process's resident memory (VmRSS) is read every millisecond by a thread
while the photos are posted; the peak and what is left afterwards are measured
from just before. Linux only.
"""

import datetime as dt
import gc
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from PIL import Image, ImageFile

from households.choices import AssignmentRole
from households.tests.factories import AssignmentFactory, HouseholdFactory
from visits.forms import PhotosField
from visits.models import Visit, VisitPhoto
from visits.tests import images

STATUS = Path("/proc/self/status")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not STATUS.exists(), reason="reads the process's memory from /proc"),
]
MB = 1024 * 1024


def resident() -> int:
    """The process's resident memory, in bytes."""
    for line in STATUS.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class Memory:
    """Resident memory while the block runs: its peak and what remains, above what there was before."""

    def __enter__(self):
        gc.collect()
        self.before = self.peak = resident()
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample)
        self._sampler.start()
        return self

    def _sample(self):
        while not self._done.is_set():
            self.peak = max(self.peak, resident())
            time.sleep(0.001)

    def __exit__(self, *exc):
        self._done.set()
        self._sampler.join()
        gc.collect()
        self.peak_growth = max(self.peak, resident()) - self.before
        self.left = resident() - self.before
        return False


# ---------------------------------------------------------------- photos, built once per session


@pytest.fixture(scope="session")
def bomb() -> bytes:
    """A 38 KB greyscale PNG of 6000 x 6600 pixels (39.6 million, under the old 40-million cap)."""
    return images.png(6000, 6600)


@pytest.fixture(scope="session")
def large_png() -> bytes:
    """A PNG within the budget, which must be decoded at full size: 2400 x 2400 RGB, 23 MB decoded."""
    return images.png(2400, 2400, "RGB")


@pytest.fixture(scope="session")
def phone_photo(tmp_path_factory) -> Path:
    """A 48-MP phone photo, 8000 x 6000, taken with the phone held upright (EXIF orientation 6)."""
    path = tmp_path_factory.mktemp("photos") / "48mp.jpg"
    images.two_halves((8000, 6000)).save(path, format="JPEG", quality=85, exif=images.upright_exif(6))
    gc.collect()
    return path


# ---------------------------------------------------------------- posting them


@pytest.fixture
def household(dongfeng, helper):
    household = HouseholdFactory(village=dongfeng, registered_on=dt.date(2019, 1, 1))
    AssignmentFactory(household=household, person=helper, role=AssignmentRole.RESPONSIBLE)
    return household


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def post_photos(client, household, photos):
    data = {
        "client_key": str(uuid.uuid4()),
        "role": "responsible",
        "visited_on": timezone.localdate().isoformat(),
        "method": "home",
        "met_with": "户主本人",
        "photos": photos,
    }
    return client.post(f"{reverse('visits:log')}?household={household.pk}", data)


def too_many(name: str) -> str:
    return gettext("%(name)s has too many pixels.") % {"name": name}


def test_three_png_bombs_posted_at_once_keep_the_process_under_100_mb(client, helper, household, bomb):
    client.force_login(helper)
    uploads = [SimpleUploadedFile(f"bomb{n}.png", bomb) for n in range(3)]
    with Memory() as memory:
        response = post_photos(client, household, uploads)
    assert memory.peak_growth < 100 * MB, f"peak +{memory.peak_growth / MB:.0f} MB"
    assert response.context["form"].errors["photos"] == [too_many(f"bomb{n}.png") for n in range(3)]


def test_a_40_megapixel_png_is_refused_before_it_is_decoded(client, helper, household, bomb):
    # Decoding it would take at least 40 MB (one byte a pixel), and its conversion to RGB four times that.
    client.force_login(helper)
    with Memory() as memory:
        response = post_photos(client, household, [SimpleUploadedFile("bomb.png", bomb)])
    assert memory.peak_growth < 15 * MB, f"peak +{memory.peak_growth / MB:.0f} MB"
    assert response.context["form"].errors["photos"] == [too_many("bomb.png")]
    assert not Visit.objects.exists()


def test_a_48_megapixel_phone_photo_is_decoded_small_and_stored_upright_1600_px_long(
    client, helper, household, phone_photo
):
    # Decoded at a quarter of its size: 2000 x 1500, 12 MB. At full size it would take 192 MB.
    client.force_login(helper)
    upload = SimpleUploadedFile("IMG_20250301_101500.jpg", phone_photo.read_bytes(), content_type="image/jpeg")
    with Memory() as memory:
        response = post_photos(client, household, [upload])
    assert response.status_code == 302
    photo = VisitPhoto.objects.get()
    assert (photo.width, photo.height) == (1200, 1600)
    with photo.image.open("rb") as stored:
        assert Image.open(stored).size == (1200, 1600)
    assert memory.peak_growth < 60 * MB, f"peak +{memory.peak_growth / MB:.0f} MB"
    assert memory.left < 16 * MB, f"+{memory.left / MB:.0f} MB left"


def test_large_photos_posted_by_four_visitors_at_once_are_decoded_in_turn_and_their_memory_given_back(large_png):
    """Four requests in one threaded process, three 23-MB decodes each: one decode at a time, and nothing kept."""
    field = PhotosField(required=False)
    stored = []

    def visitor():
        stored.extend(field.clean([SimpleUploadedFile(f"p{n}.png", large_png) for n in range(3)]))

    with Memory() as memory:
        visitors = [threading.Thread(target=visitor) for _ in range(4)]
        for thread in visitors:
            thread.start()
        for thread in visitors:
            thread.join()
    assert len(stored) == 12
    assert memory.peak_growth < 100 * MB, f"peak +{memory.peak_growth / MB:.0f} MB"
    assert memory.left < 16 * MB, f"+{memory.left / MB:.0f} MB left"


def test_photos_sent_by_several_threads_are_decoded_one_at_a_time(monkeypatch):
    decoding = most = loads = 0
    counting = threading.Lock()
    load = ImageFile.ImageFile.load

    def slow_load(image):  # Pillow's decoding, taking its time
        nonlocal decoding, most, loads
        with counting:
            decoding, loads = decoding + 1, loads + 1
            most = max(most, decoding)
        try:
            time.sleep(0.02)
            return load(image)
        finally:
            with counting:
                decoding -= 1

    monkeypatch.setattr(ImageFile.ImageFile, "load", slow_load)
    field = PhotosField(required=False)
    photo = images.encoded(images.two_halves((400, 300)), "JPEG")
    visitors = [
        threading.Thread(target=field.clean, args=([SimpleUploadedFile(f"{n}.jpg", photo) for n in range(3)],))
        for _ in range(4)
    ]
    for thread in visitors:
        thread.start()
    for thread in visitors:
        thread.join()
    assert loads >= 12
    assert most == 1


def test_libjpeg_keeps_to_the_memory_cap_it_is_given(monkeypatch):
    """The cap that bounds the multi-scan JPEGs whose header does not tell what they will hold."""
    from visits.photos import jpegmem, reencode

    # A progressive JPEG of 1000 x 1000 gathers 3 MB of coefficients; the cap is 0.8 MB (200,000 pixels' worth).
    photo = images.encoded(images.two_halves((1000, 1000)), "JPEG", progressive=True)
    monkeypatch.setenv("JPEGMEM", jpegmem(200_000))
    with pytest.raises(ValidationError) as refusal:
        reencode(SimpleUploadedFile("progressive.jpg", photo))
    assert refusal.value.messages == [
        gettext("%(name)s is damaged or incomplete; please take or send it again.") % {"name": "progressive.jpg"}
    ]
    monkeypatch.setenv("JPEGMEM", jpegmem(1_000_000))
    assert reencode(SimpleUploadedFile("progressive.jpg", photo))
