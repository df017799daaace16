"""Time and weigh the re-encoding of visit photos: PNG bombs, large PNGs, phone JPEGs, alone and four requests at once.

    .venv/bin/python bench/photo_memory.py [--only NAME]

Builds, in a temporary folder:
  bomb         a greyscale PNG of 6000 x 6600 pixels in 38 KB (the security review's), refused unread;
  16-MP PNG    an RGB PNG of 4000 x 4000, the largest accepted, which must be decoded at full size;
  48-MP JPEG   a phone photo of 8000 x 6000 with a photo's texture, some 7 MB;
  12-MP JPEG   a phone photo of 4032 x 3024, some 2 MB.

Each case runs in a new Python what the visit form runs, the photos field's
clean() (visits.forms.PhotosField: no database, no request), as one request with
its photos or as four requests at once in four threads of the process, as a
threaded server (runserver, gunicorn gthread) would. It prints the seconds taken,
the peak resident memory above what the process held before (VmHWM, reset just
before the case) and what is still held after it, once the photos are dropped.
"""

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# name -> (file, photos in a request, requests at once)
CASES = {
    "3 PNG bombs, one request": ("bomb.png", 3, 1),
    "3 PNG bombs x 4 requests at once": ("bomb.png", 3, 4),
    "3 PNGs of 16 MP, one request": ("16mp.png", 3, 1),
    "3 PNGs of 16 MP x 4 requests at once": ("16mp.png", 3, 4),
    "48-MP phone JPEG": ("48mp.jpg", 1, 1),
    "12-MP phone JPEG": ("12mp.jpg", 1, 1),
}


def phone_photo(width: int, height: int) -> bytes:
    """A JPEG that compresses like a photo: broad gradients and colour patches under fine grain."""
    from PIL import Image

    coarse = (width // 16, height // 16)
    gradient = Image.linear_gradient("L").resize(coarse)
    patches = Image.effect_noise(coarse, 60)
    picture = Image.merge("RGB", (patches, gradient, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    picture = picture.resize((width, height), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((width, height), 12)
    picture = Image.merge("RGB", [Image.blend(band, grain, 0.15) for band in picture.split()])
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=88)
    return out.getvalue()


def build(folder: Path) -> None:
    from visits.tests import images

    (folder / "bomb.png").write_bytes(images.png(6000, 6600))
    (folder / "16mp.png").write_bytes(images.png(4000, 4000, "RGB"))
    (folder / "48mp.jpg").write_bytes(phone_photo(8000, 6000))
    (folder / "12mp.jpg").write_bytes(phone_photo(4032, 3024))


def status(key: str) -> float:
    with open("/proc/self/status") as file:
        return int(re.search(rf"{key}:\s+(\d+) kB", file.read()).group(1)) / 1024


def child(path: str, count: int, requests: int) -> None:
    """Clean `requests` x `count` uploads of the file, then print seconds, peak and after (MB above before) as JSON."""
    import gc

    import django

    django.setup()
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import translation

    from visits.forms import PhotosField

    data = Path(path).read_bytes()
    field = PhotosField(required=False)
    outcomes = []

    def request():
        translation.activate("en")  # for this thread
        uploads = [SimpleUploadedFile(f"{n}-{Path(path).name}", data) for n in range(count)]
        try:
            outcomes.append(f"accepted {len(field.clean(uploads))}")
        except ValidationError as error:
            outcomes.append("refused: " + " ".join(error.messages))

    gc.collect()
    before = status("VmRSS")
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # VmHWM starts again from the present size
    started = time.monotonic()
    threads = [threading.Thread(target=request) for _ in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    peak = status("VmHWM")
    gc.collect()
    after = status("VmRSS")
    print(json.dumps({"seconds": seconds, "peak": peak - before, "after": after - before, "outcomes": outcomes}))


def measure(name: str, path: Path, count: int, requests: int) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "townaid.settings")}
    env.setdefault("DEBUG", "true")  # no SECRET_KEY needed: nothing here is signed or served
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, __file__, "--child", str(path), str(count), str(requests)]
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if completed.returncode:
        print(f"{name:<40} failed:\n{completed.stderr}", flush=True)
        return
    found = json.loads(completed.stdout.strip().splitlines()[-1])
    outcome = "; ".join(sorted(set(found["outcomes"])))
    print(
        f"{name:<40} {found['seconds']:6.2f} s {found['peak']:+7.0f} MB peak {found['after']:+6.0f} MB after  "
        f"{outcome[:100]}",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=CASES, help="run this case alone")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        path, count, requests = options.child
        child(path, int(count), int(requests))
        return

    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as folder:
        build(Path(folder))
        print(f"{'case':<40} {'time':>8} {'above the process before':>27}  outcome")
        for name, (file, count, requests) in CASES.items():
            if options.only in (None, name):
                measure(name, Path(folder) / file, count, requests)


if __name__ == "__main__":
    main()
