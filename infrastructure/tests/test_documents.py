"""Project documents: PDF, JPEG or PNG only, size-limited, kept under MEDIA_ROOT/infrastructure, served in scope."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from infrastructure.models import ProjectDocument
from infrastructure.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def project(dongfeng):
    return ProjectFactory(village=dongfeng, name="东风村农网改造工程")


def png(name="site.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (10, 120, 10)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf(name="验收报告.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def edit(client, project, *files):
    data = {
        "year": project.year,
        "category": project.category,
        "name": project.name,
        "budget": str(project.budget),
        "documents": list(files),
    }
    return client.post(reverse("infrastructure:edit", args=[project.pk]), data)


def test_an_official_attaches_documents_kept_outside_the_web_root_under_random_names(client, official, project, media):
    client.force_login(official)
    assert edit(client, project, pdf(), png()).status_code == 302

    documents = list(project.documents.order_by("pk"))
    assert [(d.name, d.kind, d.size) for d in documents] == [
        ("验收报告.pdf", "pdf", len(PDF)),
        ("site.png", "png", documents[1].size),
    ]
    for document in documents:
        assert document.file.name.startswith("infrastructure/2020/")
        assert "验收" not in document.file.name
        assert "site" not in document.file.name
        assert (media / document.file.name).is_file()
        assert document.uploaded_by == official


def test_a_document_is_served_to_users_in_scope_only(client, official, alice, bob, charlie, project):
    client.force_login(official)
    edit(client, project, pdf(), png())
    report, photo = project.documents.order_by("pk")

    client.force_login(alice)
    response = client.get(report.get_absolute_url())
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PDF
    assert client.get(photo.get_absolute_url())["Content-Type"] == "image/png"
    for outsider in (bob, charlie):
        client.force_login(outsider)
        assert client.get(report.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("notes.pdf", b"just some text", content_type="application/pdf"),  # not a PDF inside
        SimpleUploadedFile("tool.exe", b"MZ\x90\x00", content_type="application/octet-stream"),
        SimpleUploadedFile("page.html", b"<script>alert(1)</script>", content_type="text/html"),
        SimpleUploadedFile("report.png", PDF, content_type="image/png"),  # a PDF dressed as a PNG
    ],
    ids=["fake-pdf", "exe", "html", "wrong-extension"],
)
def test_anything_but_a_real_pdf_jpeg_or_png_is_refused_by_name(client, official, project, upload):
    client.force_login(official)
    response = edit(client, project, upload)
    assert upload.name in str(response.context["form"].errors["documents"])
    assert not ProjectDocument.objects.exists()


def test_an_oversized_document_is_refused(client, official, project, settings):
    settings.INFRASTRUCTURE_DOCUMENT_MAX_BYTES = len(PDF) - 1
    client.force_login(official)
    response = edit(client, project, pdf())
    assert "documents" in response.context["form"].errors
    assert not ProjectDocument.objects.exists()


def test_an_official_deletes_a_document_and_its_file(
    client, official, project, media, django_capture_on_commit_callbacks
):
    client.force_login(official)
    edit(client, project, pdf())
    document = project.documents.get()
    stored = media / document.file.name
    delete = reverse("infrastructure:document-delete", args=[document.pk])

    assert client.get(delete).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(delete)

    assert response.url == project.get_absolute_url()
    assert not ProjectDocument.objects.exists()
    assert not stored.exists()


def test_a_cadre_cannot_delete_a_document_even_of_their_village(client, official, alice, project):
    client.force_login(official)
    edit(client, project, pdf())
    document = project.documents.get()
    client.force_login(alice)
    assert client.post(reverse("infrastructure:document-delete", args=[document.pk])).status_code == 404
    assert ProjectDocument.objects.exists()
