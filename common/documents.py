"""Uploaded documents (a signed form, minutes, a photo of a notice): PDF, JPEG or PNG, decided by what they hold.

A file is taken for what its first bytes say, never for its name or the type the browser claims: a PNG
named .pdf is a PNG, a text file claiming image/png is refused. An image is decoded with Pillow, within a
pixel budget checked from its header before anything is decoded (a small file that inflates to a
huge picture is refused unread), and verified. Documents are served only through scoped views, as an
attachment, with the type found here and nosniff (document_response).
"""

import io
import struct
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

# What a file must start with to be taken for each kind, and the type it is served with.
SIGNATURES = {
    "pdf": (b"%PDF-", "application/pdf"),
    "jpeg": (b"\xff\xd8\xff", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png"),
}
PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG"}
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


@dataclass(frozen=True)
class CheckedDocument:
    """A document whose kind was read from its content: what a service may store."""

    content: ContentFile
    name: str  # the uploaded name, for display only
    kind: str
    content_type: str


def document_check(upload, *, max_bytes: int) -> CheckedDocument:
    """The upload as a checked document, or ValidationError naming the file and what is wrong with it."""
    name = upload.name or "?"
    if upload.size > max_bytes:
        raise ValidationError(
            _("%(name)s is larger than %(limit)s MB.") % {"name": name, "limit": f"{max_bytes / (1024 * 1024):g}"}
        )
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:  # a size that lied
        raise ValidationError(
            _("%(name)s is larger than %(limit)s MB.") % {"name": name, "limit": f"{max_bytes / (1024 * 1024):g}"}
        )
    kind = next((kind for kind, (magic, _type) in SIGNATURES.items() if data.startswith(magic)), None)
    if kind is None:
        raise ValidationError(_("%(name)s is not a PDF, JPEG or PNG file.") % {"name": name})
    if kind in PILLOW_FORMATS:
        problem = _image_problem(data, kind, name)
        if problem:
            raise ValidationError(problem)
    return CheckedDocument(ContentFile(data, name=f"document.{kind}"), name[:255], kind, SIGNATURES[kind][1])


def _image_problem(data: bytes, kind: str, name: str) -> str | None:
    """Why an image cannot be kept, or None: too many pixels, or not decodable to its end."""
    try:
        with Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[kind]]) as image:  # reads the header only
            width, height = image.size
            if width < 1 or height < 1:
                raise SyntaxError("no pixels")
            if width * height > settings.VISIT_PHOTO_MAX_PIXELS:
                return _("%(name)s has too many pixels.") % {"name": name}
            image.verify()  # the chunks' checksums, the structure
        with Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[kind]]) as image:
            if kind == "jpeg":
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))  # decoded whole, at an eighth
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _("%(name)s has too many pixels.") % {"name": name}
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error):
        return _("%(name)s is damaged or incomplete.") % {"name": name}
    return None


def document_response(file, *, content_type: str, filename: str) -> FileResponse:
    """A stored document as a download: never shown inline, never sniffed into another type."""
    response = FileResponse(file.open("rb"), content_type=content_type, as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
