"""Visit photos: accepted only as real JPEG or PNG images, then re-encoded.

Re-encoding drops whatever else the file carried (EXIF with GPS positions,
appended data) and bounds the size kept on disk.
"""

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG"}
MAX_SIDE = 1600
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding them


def reencode(upload) -> ContentFile:
    """The uploaded photo as a fresh JPEG, or ValidationError naming what is wrong."""
    if upload.size > settings.VISIT_PHOTO_MAX_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(limit)d MB.")
            % {"name": upload.name, "limit": settings.VISIT_PHOTO_MAX_BYTES // (1024 * 1024)}
        )
    try:
        with Image.open(upload) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise ValidationError(_("%(name)s is not a JPEG or PNG photo.") % {"name": upload.name})
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("%(name)s has too many pixels.") % {"name": upload.name})
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=82, optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise ValidationError(_("%(name)s is not a readable photo.") % {"name": upload.name}) from None
    return ContentFile(out.getvalue(), name="photo.jpg")
