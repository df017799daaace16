"""Pages leave gzipped for a browser that accepts it; files compressed already leave as they are."""

import gzip

import pytest
from django.http import FileResponse, HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from common.middleware import CompressTextMiddleware

pytestmark = pytest.mark.django_db

GZIP = {"accept-encoding": "gzip, deflate"}


def test_a_page_asked_for_with_gzip_comes_back_gzipped(client, alice):
    client.force_login(alice)
    plain = client.get(reverse("visits:due"))
    packed = client.get(reverse("visits:due"), headers=GZIP)
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert len(packed.content) < len(plain.content) / 2
    page = gzip.decompress(packed.content).decode()
    assert page.startswith("<!doctype html>")
    assert "</html>" in page


def test_the_login_page_is_gzipped_too(client):
    assert client.get(reverse("login"), headers=GZIP)["Content-Encoding"] == "gzip"


def test_a_page_asked_for_without_gzip_comes_back_plain(client, alice):
    client.force_login(alice)
    response = client.get(reverse("visits:due"))
    assert not response.has_header("Content-Encoding")
    assert response.content.decode().startswith("<!doctype html>")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize("content_type", ["image/jpeg", "application/pdf", XLSX])
def test_photos_pdfs_and_workbooks_are_sent_as_they_are(content_type):
    body = b"compressed already " * 100
    middleware = CompressTextMiddleware(lambda request: FileResponse(iter([body]), content_type=content_type))
    response = middleware(RequestFactory().get("/", headers=GZIP))
    assert not response.has_header("Content-Encoding")
    assert b"".join(response.streaming_content) == body


def test_json_is_gzipped():
    body = b'{"status": "ok", "checks": {"database": "ok"}}' * 20
    middleware = CompressTextMiddleware(lambda request: HttpResponse(body, content_type="application/json"))
    response = middleware(RequestFactory().get("/", headers=GZIP))
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content) == body
