"""Visit photos: accepted only as real JPEG or PNG images, then re-encoded small.

Re-encoding drops whatever else the file carried (EXIF with GPS positions,
appended data) and bounds the size kept on disk. Decoding is bounded too, as a
small file can claim a huge picture: three 38 KB greyscale PNGs of 6000 x 6600
pixels once took a web process from 103 to 362 MB. So each photo is

- judged by its header before any pixel is decoded: its format, that its name
  does not claim another, the size it claims (MAX_CLAIMED_PIXELS, MAX_CLAIMED_SIDE)
  and the pixels decoding it would hold (settings.VISIT_PHOTO_MAX_PIXELS);
- checked against what it holds: a PNG's image data must inflate to every row its
  header claims (Pillow would paint the missing rows black without a word) and
  each chunk must match its checksum; a JPEG cut short fails to decode;
- decoded reduced where the format allows (a JPEG at 1/2 to 1/8 of its size), then
  shrunk a strip at a time, so that no second full-size copy is ever held, and
  only then turned upright and converted to RGB;
- decoded one at a time in the whole process (a lock): a threaded server
  (runserver, gunicorn gthread) would otherwise decode every request's photos at once.

The budget, VISIT_PHOTO_MAX_PIXELS, counts the pixels actually decoded. Pillow
holds a pixel in at most 4 bytes (RGB takes 4, like RGBA), so the default of 16
million bounds a decode to 64 MB; shrinking adds at most a quarter of that, or an
RGB copy of a picture under twice the stored size. The worst photo takes some 80
MB (measured: 81 MB for a 16-MP RGBA PNG, 29 MB for a 48-MP phone JPEG), once
per process at a time.

- A JPEG is decoded by libjpeg at the smallest of 1/8, 1/4, 1/2 or full scale that
  still covers the stored size: under twice 1600 pixels a side, or at 1/8 when even
  that is larger, so under 10.3 million pixels whatever its size. A 48-MP phone
  photo (8000 x 6000) decodes to 2000 x 1500, 3 million pixels.
- A progressive JPEG cannot be decoded in less memory: libjpeg first gathers all
  of its DCT coefficients at full size, 2 bytes a sample, 3 bytes a pixel for the
  usual 4:2:0 colour and 6 for 4:4:4, and these count against the budget as well:
  a 12-MP progressive photo in 4:2:0 costs some 12 million pixels' worth, a 48-MP
  one is refused. The same cap is handed to libjpeg itself (JPEGMEM), for the rare
  multi-scan files whose header does not tell.
- A PNG cannot be decoded reduced: its full size counts. 16 million pixels take a
  12-MP camera frame (4032 x 3024, 4080 x 3072) or a 5K screenshot (5120 x 2880);
  phones save their photos as JPEG, and as PNG mostly screenshots, which are smaller.
"""

import ctypes
import io
import math
import os
import pathlib
import struct
import threading
import zlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

MAX_SIDE = 1600  # the long side of a stored photo
# The largest picture a file may claim, whatever it decodes to: the 48- and 50-MP modes of
# today's phones (8000 x 6000, 8192 x 6144) with room to spare. A larger JPEG would still
# decode small, but reading it would hold the lock longer; and the 108- and 200-MP modes
# write files far over VISIT_PHOTO_MAX_BYTES.
MAX_CLAIMED_PIXELS = 64_000_000
MAX_CLAIMED_SIDE = 32_768  # wider than any phone panorama; JPEG allows 65,500
BYTES_PER_PIXEL = 4  # what Pillow takes for an RGB, RGBA or CMYK pixel
STRIP_ROWS = 64  # rows of the reduced image made from one strip of the decoded one

# What Pillow reports -> what the photo is. An MPO is a JPEG followed by more pictures
# (some phones append a depth map or a preview): its first picture is the photo.
FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG"}
# Names that claim an image format. Any other name, or none, claims nothing: the content decides.
NAMED = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".jfif": "JPEG",
    ".png": "PNG",
    ".gif": "GIF",
    ".webp": "WebP",
    ".heic": "HEIC",
    ".heif": "HEIF",
    ".avif": "AVIF",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by colour type
# Adam7 interlacing: each pass's first column and row, and its steps.
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
READ_BLOCK = 1024 * 1024

# glibc's mallopt() parameters (malloc.h), and the size from which freed memory goes straight back.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
FREED_PROMPTLY = 1024 * 1024

_decoding = threading.Lock()


class Refused(Exception):
    """A photo that cannot be accepted; its message is for the user."""


def reencode(upload) -> ContentFile:
    """The uploaded photo as a fresh JPEG at most MAX_SIDE pixels a side, or ValidationError naming what is wrong.

    One photo at a time is decoded in the process; the others wait.
    """
    if upload.size > settings.VISIT_PHOTO_MAX_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(limit)d MB.")
            % {"name": upload.name, "limit": settings.VISIT_PHOTO_MAX_BYTES // (1024 * 1024)}
        )
    with _decoding:
        try:
            data = _reencoded(upload)
        except Refused as refusal:
            problem = str(refusal)
        except UnidentifiedImageError:
            problem = _("%(name)s is not a JPEG or PNG photo.") % {"name": upload.name}
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            problem = _("%(name)s has too many pixels.") % {"name": upload.name}
        except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error):
            problem = _("%(name)s is damaged or incomplete; please take or send it again.") % {"name": upload.name}
        else:
            return ContentFile(data, name="photo.jpg")
    # Raised out here: raised inside `except`, it would keep the exception it replaces as its
    # context, whose traceback keeps the decoded image alive as long as the form keeps its errors.
    raise ValidationError(problem)


def jpegmem(pixels: int) -> str:
    """The value of JPEGMEM (thousands of bytes) that caps libjpeg's full-image buffers at `pixels` pixels' worth."""
    return str(pixels * BYTES_PER_PIXEL // 1000)


def _reencoded(upload) -> bytes:
    picture = _decoded(upload)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=82, optimize=True)
    return out.getvalue()


def _decoded(upload) -> Image.Image:
    """The photo shrunk to fit MAX_SIDE, upright, in RGB; the full-size decode is released on return."""
    upload.seek(0)
    image = Image.open(upload, formats=["JPEG", "PNG"])  # reads the header only
    kind = FORMATS.get(image.format)
    if kind is None:
        raise UnidentifiedImageError(image.format)
    _check_name(upload.name, kind)
    _check_claimed_size(upload.name, image.size)
    fit = _fit(image.size)
    held = _coefficient_pixels(image) if kind == "JPEG" and image.info.get("progressive") else 0
    if kind == "JPEG":
        image.draft("RGB", fit)  # libjpeg decodes at 1/2, 1/4 or 1/8 scale where that still covers `fit`
    if image.width * image.height + held > settings.VISIT_PHOTO_MAX_PIXELS:
        raise Refused(_("%(name)s has too many pixels.") % {"name": upload.name})
    if kind == "PNG":
        _check_png_data(upload)
    image.load()
    image = _reduced(image, fit)  # rebinding drops the decoded image when a reduced one was made
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    ImageOps.exif_transpose(image, in_place=True)
    return image.convert("RGB")


def _check_name(name: str, kind: str) -> None:
    suffix = pathlib.PurePath(name).suffix
    named = NAMED.get(suffix.lower())
    if named is not None and named != kind:
        raise Refused(
            _("%(name)s is a %(found)s image but its name ends in %(suffix)s.")
            % {"name": name, "found": kind, "suffix": suffix}
        )


def _check_claimed_size(name: str, size: tuple[int, int]) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise SyntaxError("no pixels")
    if width > MAX_CLAIMED_SIDE or height > MAX_CLAIMED_SIDE or width * height > MAX_CLAIMED_PIXELS:
        raise Refused(_("%(name)s has too many pixels.") % {"name": name})


def _fit(size: tuple[int, int]) -> tuple[int, int]:
    """`size` scaled down to fit MAX_SIDE x MAX_SIDE, keeping its shape."""
    width, height = size
    scale = min(1, MAX_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _coefficient_pixels(image) -> int:
    """What libjpeg's buffer of a progressive JPEG's DCT coefficients weighs, in decoded pixels.

    Every sample of every component, at full size and padded to whole MCUs, is
    kept as a 2-byte coefficient until the last scan has been read.
    """
    factors = [(horizontal, vertical) for _, horizontal, vertical, _ in image.layer]
    most_h = max(h for h, _ in factors)
    most_v = max(v for _, v in factors)
    padded = math.ceil(image.width / (8 * most_h)) * 8 * most_h * math.ceil(image.height / (8 * most_v)) * 8 * most_v
    samples = sum(padded * h * v // (most_h * most_v) for h, v in factors)
    return samples * 2 // BYTES_PER_PIXEL


def _check_png_data(upload) -> None:
    """Refuse a PNG whose chunks fail their checksums, that stops before IEND, or whose image data is short.

    Pillow paints the rows the data lacks black and says nothing, so the image
    data is inflated here, a megabyte at a time and thrown away, and measured
    against the rows the header claims.
    """
    upload.seek(0)
    if upload.read(8) != PNG_SIGNATURE:
        raise SyntaxError("not a PNG")
    needed = inflated = 0
    inflater = zlib.decompressobj()
    while True:
        length, kind = struct.unpack(">I4s", _read(upload, 8))
        if kind == b"IEND":
            break
        crc = zlib.crc32(kind)
        for data in _blocks(upload, length):
            crc = zlib.crc32(data, crc)
            if kind == b"IHDR":
                width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[:13])
                needed = _png_data_size(width, height, depth, colour, interlace)
            elif kind == b"IDAT":
                while data and inflated < needed:
                    inflated += len(inflater.decompress(data, READ_BLOCK))
                    data = inflater.unconsumed_tail
        if struct.unpack(">I", _read(upload, 4))[0] != crc:
            raise SyntaxError(f"bad checksum in {kind!r}")
    if inflated < needed:
        inflated += len(inflater.flush())  # what zlib still held when the data ran out
    if not needed or inflated < needed:
        raise SyntaxError("image data shorter than the header claims")


def _png_data_size(width: int, height: int, depth: int, colour: int, interlace: int) -> int:
    """How many bytes a PNG's image data inflates to: every row of every pass, each with its filter byte."""
    bits = PNG_CHANNELS[colour] * depth
    passes = ADAM7 if interlace else ((0, 0, 1, 1),)
    total = 0
    for column, row, column_step, row_step in passes:
        columns = math.ceil((width - column) / column_step)
        rows = math.ceil((height - row) / row_step)
        if columns > 0 and rows > 0:
            total += rows * (1 + math.ceil(columns * bits / 8))
    return total


def _read(upload, count: int) -> bytes:
    data = upload.read(count)
    if len(data) < count:
        raise EOFError("file cut short")
    return data


def _blocks(upload, length: int):
    while length > 0:
        data = _read(upload, min(length, READ_BLOCK))
        length -= len(data)
        yield data


def _reduced(image: Image.Image, fit: tuple[int, int]) -> Image.Image:
    """The decoded image reduced by a whole factor that still covers `fit`, in RGB or L, made a strip at a time.

    reduce() averages squares of factor x factor pixels. Done strip by strip, it
    and the conversion to RGB (for a palette, CMYK, or an alpha that Pillow would
    premultiply at full size) never hold more than a strip beside the decoded
    image. An image that needs neither is returned as it is, for thumbnail() to
    resample in place.
    """
    factor = max(1, min(image.width // fit[0], image.height // fit[1]))
    mode = "L" if Image.getmodebase(image.mode) == "L" else "RGB"
    if factor == 1 and image.mode == mode:
        return image
    reduced = Image.new(mode, (math.ceil(image.width / factor), math.ceil(image.height / factor)))
    rows = STRIP_ROWS * factor
    for top in range(0, image.height, rows):
        strip = image.crop((0, top, image.width, min(top + rows, image.height)))
        if strip.mode != mode:
            strip = strip.convert(mode)
        reduced.paste(strip.reduce(factor), (0, top // factor))
    reduced.info = image.info  # its EXIF orientation, applied once the image is small
    return reduced


def _return_freed_memory_promptly() -> None:
    """Have glibc give memory of a megabyte or more back to the system as soon as it is freed.

    By default glibc raises both thresholds once a big block has been freed (up to
    32 and 64 MB) and from then on keeps freed image memory for reuse, above all in
    the arenas of threads other than the main one, so that a threaded server stays
    as large as its busiest moment. Measured with bench/photo_memory.py, four
    requests at once of three 16-MP PNGs each (one decode at a time):

      glibc's defaults                    peak +106 to +184 MB, +41 MB held after (+15 MB after one JPEG)
      malloc_trim(0) after each photo     peak +104 to +187 MB, +23 MB held after: it leaves the top of a
                                          thread's arena alone
      these two thresholds                peak +84 MB, +2 MB held after; a PNG takes about a quarter longer
                                          to decode (fresh pages), a JPEG no longer
      both                                no better than the thresholds alone, so malloc_trim is not called

    Pillow's block allocator is left as it is: a cache of freed blocks
    (PILLOW_BLOCKS_MAX=4) held +25 MB after, and 1 MB blocks (PILLOW_BLOCK_SIZE),
    quicker as they are reused from the arenas, let the peak reach +161 MB.
    Skipped where the C library is not glibc.
    """
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, FREED_PROMPTLY)
    mallopt(M_TRIM_THRESHOLD, FREED_PROMPTLY)


# ---------------------------------------------------------------- for the whole process

# Pillow's own guard, for any code that opens an image: it warns above this many pixels and
# refuses twice as many (89 million by default).
Image.MAX_IMAGE_PIXELS = MAX_CLAIMED_PIXELS
# A PNG's compressed text chunks are inflated as it is opened, by default up to 64 MB of
# them; a photo's (a comment, XMP) take a few KB, and they are dropped anyway.
PngImagePlugin.MAX_TEXT_MEMORY = PngImagePlugin.MAX_TEXT_CHUNK
# libjpeg-turbo reads JPEGMEM at every decode; a deployment may set its own.
os.environ.setdefault("JPEGMEM", jpegmem(settings.VISIT_PHOTO_MAX_PIXELS))
_return_freed_memory_promptly()
