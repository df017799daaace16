"""Weigh the first pages a village cadre opens, as production serves them, in headless chromium at phone size.

    .venv/bin/python bench/page_weight.py [--database var/weight-demo.sqlite3] [--root CHECKOUT] [--detail]

The app runs as in production, in processes of its own: DEBUG off, `collectstatic` into a temporary STATIC_ROOT
(hashed names, compressed copies), Gunicorn with deploy/gunicorn.conf.py on a free local port. Without nginx in
front, WhiteNoise serves the static files, sending the same gzip copies that nginx's gzip_static sends (Chromium
asks for brotli over HTTPS only). The data is the demo town (`seed_demo` on a SQLite file: about a minute; with
--database the file is kept and reused by the next run).

Then Debian's chromium (never a downloaded one), headless at 360 x 740, opens as the demo cadre of 东风村:
  - the login page, in a fresh browser;
  - the first page after logging in (the cadre's landing page, through the redirect from /);
  - the visit form of one of the cadre's households.
For each page it prints, read from the Chrome DevTools Protocol:
  cold   the browser's cache emptied first: bytes received over the network (compressed, headers included) and
         the number of requests, the page's static files and its redirects included;
  warm   the page again, its static files now in the cache;
  time   cold again under a weak signal (400 ms latency, 50 kB/s down, 20 kB/s up, as emulated by
         Network.emulateNetworkConditions): seconds from the start of the navigation to the load event.
--detail lists every request of each cold load. --root serves another checkout (one that has node_modules),
e.g. an older commit unpacked elsewhere, to compare before and after a change with the same script.
"""

import argparse
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CADRE, PASSWORD = "cadre", "townaid-demo"  # seed_demo's
PHONE = {"width": 360, "height": 740}
# 50 kB/s down, 20 kB/s up, 400 ms added to every request: one bar of signal in a village.
WEAK_SIGNAL = {"offline": False, "latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 20_000}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
FIND_HOUSEHOLD = (
    "from accounts.models import User; from households.models import Household; "
    f"user = User.objects.get(username={CADRE!r}); "
    "print(Household.objects.visible_to(user).order_by('number').values_list('pk', flat=True)[0])"
)


@dataclass
class Load:
    """What one page load took from the network."""

    requests: list[tuple[str, int]] = field(default_factory=list)  # (url, bytes) of those not served from the cache
    seconds: float = 0.0

    @property
    def bytes(self) -> int:
        return sum(size for _url, size in self.requests)


@dataclass
class Page:
    label: str
    path: str
    cold: Load | None = None
    warm: Load | None = None
    weak: Load | None = None


# ---------------------------------------------------------------- the app, as production runs it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(database: Path, static_root: Path, port: int) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "townaid.settings",
        "PYTHONUNBUFFERED": "1",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain http on this machine: Secure cookies would not be sent back. Cookies weigh the same either way.
        "SECURE_COOKIES": "false",
        "DATABASE_URL": f"sqlite:///{database}",
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(static_root.parent / "media"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "WARNING",
    }


def manage(root: Path, env: dict, *args: str, quiet: bool = True) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=root, env=env, check=True, text=True, capture_output=quiet
    )
    return done.stdout or ""


def prepare(root: Path, env: dict, database: Path) -> int:
    """Catalogues compiled, database migrated and seeded (once), static files collected; the household to visit."""
    manage(root, env, "compilemessages", "--ignore=.venv", "--ignore=node_modules", "-v0")
    seeded = database.exists()
    manage(root, env, "migrate", "--noinput", "-v0")
    if not seeded:
        print(f"seeding the demo town into {database} (about a minute)…", flush=True)
        manage(root, env, "seed_demo")
    started = time.monotonic()
    manage(root, env, "collectstatic", "--noinput", "-v0")
    print(f"collectstatic: {time.monotonic() - started:.1f} s", flush=True)
    return int(manage(root, env, "shell", "--no-imports", "-c", FIND_HOUSEHOLD).split()[-1])


def serve(root: Path, env: dict, log: Path, port: int) -> subprocess.Popen:
    argv = [sys.executable, "-m", "gunicorn", "-c", str(root / "deploy" / "gunicorn.conf.py")]
    server = subprocess.Popen(argv, cwd=root, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped (exit {server.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit(f"gunicorn did not answer within 30 s:\n{log.read_text()}")


# ---------------------------------------------------------------- the browser


def load(context, url: str, *, cold: bool, throttled: bool = False) -> Load:
    """Open `url` in a new tab and add up what crossed the network until it was idle."""
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    devtools.send("Network.enable")
    if cold:
        devtools.send("Network.clearBrowserCache")
    if throttled:
        devtools.send("Network.emulateNetworkConditions", WEAK_SIGNAL)
    urls, sizes, cached = {}, {}, set()
    hops: list[tuple[str, int]] = []

    def sent(event):
        redirect = event.get("redirectResponse")
        if redirect is not None:  # the hop before, which gets no loadingFinished of its own
            hops.append((redirect["url"], int(redirect.get("encodedDataLength", 0))))
        urls[event["requestId"]] = event["request"]["url"]

    devtools.on("Network.requestWillBeSent", sent)
    devtools.on("Network.requestServedFromCache", lambda event: cached.add(event["requestId"]))
    devtools.on(
        "Network.responseReceived",
        lambda event: cached.add(event["requestId"]) if _from_a_cache(event["response"]) else None,
    )
    devtools.on("Network.loadingFinished", lambda event: sizes.update({event["requestId"]: event["encodedDataLength"]}))
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    navigation = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    page.close()
    result = Load(seconds=navigation / 1000)
    result.requests = [
        (address, int(sizes.get(request, 0)))
        for request, address in urls.items()
        if address.startswith("http") and request not in cached and sizes.get(request, 0) > 0
    ] + hops
    return result


def _from_a_cache(response: dict) -> bool:
    return any(response.get(key) for key in ("fromDiskCache", "fromPrefetchCache", "fromServiceWorker"))


def log_in(context, base: str) -> None:
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", CADRE)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.close()


def measure(base: str, chromium: str, household: int) -> list[Page]:
    from playwright.sync_api import sync_playwright

    pages = [
        Page("login page", "/accounts/login/"),
        Page("landing page after login", "/"),
        Page("visit form", f"/visits/log/?household={household}"),
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        # A page's own weight: what it costs before a service worker answers for it (the first visit, or a
        # browser without one). The worker's own set-up is weighed on its own (offline_setup).
        options = {"viewport": PHONE, "locale": "zh-CN", "base_url": base, "service_workers": "block"}
        for page in pages:
            context = browser.new_context(**options)
            if page.path != "/accounts/login/":
                log_in(context, base)
            url = base + page.path
            page.cold = load(context, url, cold=True)
            page.warm = load(context, url, cold=False)
            page.weak = load(context, url, cold=True, throttled=True)
            context.close()
        context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=base)
        log_in(context, base)
        setup = offline_setup(context, base)
        context.close()
        browser.close()
    return pages, setup


def offline_setup(context, base: str) -> list[tuple[str, int]]:
    """What the phone app fetches once after login, in the background, to work offline, as (what, bytes gzipped):
    the service worker and what it precaches beyond the files the page already has, the manifest, the user's
    working set and the pages it keeps. Read by asking the server for each with the user's cookies."""
    import gzip
    import json
    import re

    page = context.new_page()
    page.goto(base + "/")
    page.wait_for_function("() => navigator.serviceWorker.controller || navigator.serviceWorker.ready")
    page.wait_for_function(
        "() => caches.open('townaid-pages').then(c => c.keys()).then(k => k.length >= 3)", polling=500, timeout=60_000
    )
    own = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page.content()))
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
    page.close()

    def weigh(path: str) -> int:
        request = urllib.request.Request(base + path, headers={"Cookie": cookie, "Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request) as response:
            body = response.read()
            if response.headers.get("Content-Encoding") != "gzip":
                body = gzip.compress(body)
            return len(body)

    worker = urllib.request.urlopen(urllib.request.Request(base + "/sw.js", headers={"Cookie": cookie})).read().decode()
    precached = [entry["url"] for entry in json.loads(re.search(r"precacheAndRoute\((\[.*?\])\);", worker).group(1))]
    scripts = json.loads("[" + re.search(r"importScripts\(\.\.\.(\[.*?\])\);", worker).group(1)[1:-1] + "]")
    fetched = [("/sw.js", weigh("/sw.js")), ("/manifest.webmanifest", weigh("/manifest.webmanifest"))]
    fetched += [(url, weigh(url)) for url in dict.fromkeys(scripts + precached) if url not in own]
    fetched += [
        (path, weigh(path))
        for path in ("/visits/working-set/", "/visits/due/", "/visits/log/offline/", "/visits/outbox/")
    ]
    return fetched


def report(measured, detail: bool, base: str) -> None:
    pages, setup = measured
    print(f"\n{'page':<28}{'cold kB':>9}{'requests':>10}{'warm kB':>9}{'requests':>10}{'weak signal, cold':>19}")
    for page in pages:
        print(
            f"{page.label:<28}{page.cold.bytes / 1000:>9.1f}{len(page.cold.requests):>10}"
            f"{page.warm.bytes / 1000:>9.1f}{len(page.warm.requests):>10}{page.weak.seconds:>17.1f} s"
        )
    cold_total = sum(page.cold.bytes for page in pages if page.label != "landing page after login")
    print(f"\nlogin page + visit form, cold: {cold_total / 1000:.1f} kB")
    setup_kb = sum(size for _, size in setup) / 1000
    print(
        f"the phone app's offline set-up after login, once, in the background: {setup_kb:.1f} kB in {len(setup)}"
        " requests (service worker, its precache beyond the page's own files, working set, kept pages)"
    )
    if detail:
        for what, size in sorted(setup, key=lambda item: -item[1]):
            print(f"  {size / 1000:>8.1f} kB  {what}")
        for page in pages:
            print(f"\n{page.label}, cold:")
            for url, size in sorted(page.cold.requests, key=lambda item: -item[1]):
                print(f"  {size / 1000:>8.1f} kB  {url.removeprefix(base)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=HERE, help="the checkout to serve (default: this one)")
    parser.add_argument("--database", type=Path, help="SQLite file of the demo town, seeded when missing, kept")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium")
    parser.add_argument("--detail", action="store_true", help="list every request of each cold load")
    options = parser.parse_args()
    root = options.root.resolve()
    if not (root / "node_modules").is_dir():
        sys.exit(f"{root} has no node_modules: run `npm ci` there first")
    if not Path(options.chromium).exists():
        sys.exit(f"chromium not found at {options.chromium} (apt-get install chromium)")
    work = Path(tempfile.mkdtemp(prefix="townaid-weight-"))
    database = options.database.resolve() if options.database else work / "demo.sqlite3"
    port = free_port()
    env = production_env(database, work / "static", port)
    server = None
    try:
        household = prepare(root, env, database)
        server = serve(root, env, work / "gunicorn.log", port)
        base = f"http://127.0.0.1:{port}"
        print(f"serving {root} at {base} (DEBUG off, collected static files, Gunicorn)", flush=True)
        report(measure(base, options.chromium, household), options.detail, base)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
