"""Photos for the tests, honest and hostile, built in memory in a few milliseconds each."""

import io
import struct
import zlib

from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {"L": (0, 1), "RGB": (2, 3), "RGBA": (6, 4)}  # mode -> PNG colour type, bytes a pixel
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, mode: str = "L", *, rows: int | None = None, before_data: bytes = b"") -> bytes:
    """A PNG of one colour, its rows compressed one by one with zlib (Pillow would first build the whole image).

    A 6000 x 6600 greyscale one takes some 38 KB, like the bombs of the security
    review. `rows` below `height` makes the header claim more rows than the data
    holds; `before_data` is put between the header and the image data.
    """
    colour_type, depth = CHANNELS[mode]
    row = bytes(1 + width * depth)  # filter byte 0, then black
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height if rows is None else rows)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return PNG_SIGNATURE + chunk(b"IHDR", header) + before_data + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def interlaced_png(image: Image.Image) -> bytes:
    """`image` (RGB) as an Adam7-interlaced PNG, which Pillow cannot write."""
    width, height = image.size
    pixels = image.tobytes()
    raw = bytearray()
    for column, row, column_step, row_step in ADAM7:
        for y in range(row, height, row_step):
            line = pixels[y * width * 3 : (y + 1) * width * 3]
            picked = b"".join(line[x * 3 : x * 3 + 3] for x in range(column, width, column_step))
            if picked:
                raw += b"\x00" + picked
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1)
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b"")


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def upright_exif(orientation: int) -> Image.Exif:
    """EXIF saying how to turn the picture to show it upright, and where it was taken."""
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}  # GPSInfo
    return exif


def two_halves(size: tuple[int, int]) -> Image.Image:
    """Red on its left half, blue on its right: which way up it is stored can be read from it."""
    image = Image.new("RGB", size, (220, 20, 20))
    image.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))
    return image
