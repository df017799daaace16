"""The production stack as shipped in deploy/: nginx (TLS) -> Gunicorn -> Django, Celery workers, PostgreSQL, Redis.

These tests run the real programs with the shipped files (deploy/gunicorn.conf.py, deploy/nginx/townaid.conf,
the latter with its ports, certificate and paths swapped for the test's own) against the test database, with
DEBUG off and `townaid.settings` as production reads it. They need PostgreSQL, Redis, nginx and openssl: without
them they skip, saying why; under CI (which installs nginx, see .ci/run) they fail instead.
"""

import datetime as dt
import http.client
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from accounts.models import Role
from conftest import skip_here_fail_in_ci
from households.choices import AssignmentRole
from households.models import Household, ImportBatch, Member
from households.tests import roster_workbooks as rw
from households.tests.factories import AssignmentFactory, HouseholdFactory, UserFactory
from townaid import celery_app
from townaid.tests.test_celery import log_lines, task_result
from visits.models import VisitFlag

# The two tests listen on ports of their own (nginx 18080/18443 and Gunicorn 18010; Gunicorn 18011 and 18012),
# so pytest-xdist may run them at once.
pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

DEPLOY = Path(__file__).resolve().parent.parent
PASSWORD = "stack-test-password-1"
WAIT_SECONDS = 30
NGINX_HTTPS, NGINX_HTTP = 18443, 18080


# ---------------------------------------------------------------- processes


class Stack:
    """Subprocesses started by a test, each with its output in a file; all stopped together."""

    def __init__(self, tmp: Path, env: dict):
        self.tmp, self.env, self.processes = tmp, env, []

    def start(self, name: str, argv: list[str], **extra_env) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "w")  # noqa: SIM115 (closed in stop)
        process = subprocess.Popen(
            argv, cwd=settings.BASE_DIR, env={**self.env, **extra_env}, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes.append((name, process, log))
        return process

    def gunicorn(self, name: str, port: int, workers: int = 2):
        config = str(DEPLOY / "gunicorn.conf.py")
        argv = [sys.executable, "-m", "gunicorn", "-c", config]
        return self.start(name, argv, GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=str(workers))

    def worker(self, name: str):
        argv = [sys.executable, "-m", "celery", "-A", "townaid", "--quiet", "worker", "--pool=solo", "--loglevel=INFO"]
        argv += ["-n", f"{name}-{uuid.uuid4().hex[:8]}@%h", "--without-gossip", "--without-mingle"]
        return self.start(name, argv)

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text()

    def wait_until(self, condition, what: str):
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if condition():
                return
            for name, process, _log in self.processes:
                if process.poll() is not None:
                    pytest.fail(f"{name} stopped (exit {process.returncode}) before {what}")
            time.sleep(0.25)
        pytest.fail(f"no {what} within {WAIT_SECONDS} s")

    def wait_for_page(self, browser: "Browser", path="/accounts/login/"):
        def answers():
            try:
                return browser.get(path).status == 200
            except OSError:
                return False

        self.wait_until(answers, f"answer at {browser.host}:{browser.port}{path}")

    def stop(self):
        for _name, process, _log in self.processes:
            if process.poll() is None:
                process.terminate()
        for name, process, log in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
            print(f"---------------- {name} (exit {process.returncode})\n{self.log(name)}")  # shown when a test fails


def stack_env(database_url: str, **more) -> dict:
    """Production settings: DEBUG off, secrets set, behind a proxy, Redis as broker and cache, a queue of our own."""
    broker = settings.CELERY_BROKER_URL
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "townaid.settings",
        "PYTHONUNBUFFERED": "1",
        "DEBUG": "false",
        "SECRET_KEY": "stack-test-secret-key-not-for-production-0123456789",
        "BACKUP_SIGNING_KEY": "stack-test-backup-key-not-for-production-0123456789",
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        # nginx passes Host without its port ($host); a browser's Origin has the test's port.
        "CSRF_TRUSTED_ORIGINS": f"https://localhost:{NGINX_HTTPS}",
        "BEHIND_PROXY": "true",
        "SECURE_SSL_REDIRECT": "true",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker,
        "CELERY_QUEUE": f"test-stack-{uuid.uuid4().hex}",  # no stray worker listens here
        "CACHE_URL": os.environ.get("CACHE_URL") or broker,
        "DASHBOARD_MAX_AGE": "300",
        "ROSTER_BACKGROUND_ROWS": "2",  # a roster of three households goes through the worker
        **more,
    }


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """collectstatic as production runs it: hashed names, compressed copies (CompressedManifestStaticFilesStorage)."""
    root = tmp_path_factory.mktemp("static")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "townaid.settings", "DEBUG": "false", "STATIC_ROOT": str(root)}
    env["SECRET_KEY"] = "collectstatic-only"
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=settings.BASE_DIR, env=env, check=True
    )
    assert (root / "staticfiles.json").exists()
    return root


@pytest.fixture
def production(worker_database_url, static_root, tmp_path, default_visit_rules):
    """Redis and PostgreSQL checked (worker_database_url), the cache emptied of dashboards, the environment made."""
    import redis

    env = stack_env(worker_database_url, STATIC_ROOT=str(static_root), MEDIA_ROOT=str(tmp_path / "media"))
    cache = redis.Redis.from_url(env["CACHE_URL"])
    for key in cache.scan_iter("*dashboard:*"):
        cache.delete(key)
    stack = Stack(tmp_path, env)
    yield stack, cache
    stack.stop()
    with celery_app.connection_for_write() as broker_connection:  # leave the broker as it was
        bound = celery_app.amqp.queues[env["CELERY_QUEUE"]](broker_connection.default_channel)
        bound.declare()
        bound.delete()


# ---------------------------------------------------------------- a small HTTP client


class Response:
    def __init__(self, raw: http.client.HTTPResponse):
        self.status, self.headers, self.body = raw.status, raw.headers, raw.read()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def csrf(self) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.text).group(1)


class Browser:
    """Cookies kept by hand, redirects not followed: each hop is checked. `origin` is what a browser would send."""

    def __init__(self, host: str, port: int, *, tls: bool, origin: str, headers=None):
        self.host, self.port, self.tls, self.origin = host, port, tls, origin
        self.cookies: dict[str, str] = {}
        self.extra = headers or {}

    def request(self, method: str, path: str, body: bytes | None = None, headers=None) -> Response:
        if self.tls:
            context = ssl._create_unverified_context()  # the test's self-signed certificate
            connection = http.client.HTTPSConnection(self.host, self.port, context=context, timeout=WAIT_SECONDS)
        else:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=WAIT_SECONDS)
        sent = {**self.extra, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            sent |= {"Origin": self.origin, "Referer": self.origin + path}
        try:
            connection.request(method, path, body=body, headers=sent)
            response = Response(connection.getresponse())
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response

    def get(self, path: str, **headers) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, fields: dict, files: dict | None = None) -> Response:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, data) in (files or {}).items():
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            parts.append(head.encode() + b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def log_in(self, username: str) -> Response:
        token = self.get("/accounts/login/").csrf()
        response = self.post(
            "/accounts/login/", {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
        )
        assert response.status == 302, f"login refused ({response.status}): {response.text[:2000]}"
        return response


def administrator(town):
    user = UserFactory(username=f"admin-{uuid.uuid4().hex[:6]}", role=Role.ADMIN, town=town)
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())  # production's hasher
    user.save(update_fields=["password"])
    return user


def status_of(batch) -> str:
    return ImportBatch.objects.values_list("status", flat=True).get(pk=batch.pk)


def computed_at(page: Response) -> str:
    return re.search(r"bi-clock.*?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", page.text, re.S).group(1)


# ---------------------------------------------------------------- nginx


def nginx_config(tmp: Path, static_root: Path, upstream_port: int) -> Path:
    """The shipped site file with the test's ports, certificate and paths, inside a main file of the test's own."""
    for program in ("nginx", "openssl"):
        if not shutil.which(program):
            skip_here_fail_in_ci(f"needs {program} (apt-get install nginx-light openssl; .ci/run installs them)")
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"),
            *("-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")),
        ],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx" / "townaid.conf").read_text()
    swaps = {
        "listen 80;": f"listen 127.0.0.1:{NGINX_HTTP};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{NGINX_HTTPS} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "/etc/ssl/townaid/fullchain.pem": str(tmp / "cert.pem"),
        "/etc/ssl/townaid/privkey.pem": str(tmp / "key.pem"),
        "/srv/townaid/var/static/": f"{static_root}/",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream_port};",
    }
    for shipped, ours in swaps.items():
        assert shipped in site, f"deploy/nginx/townaid.conf no longer has {shipped!r}: update the test's swaps"
        site = site.replace(shipped, ours)
    (tmp / "site.conf").write_text(site)
    main = tmp / "nginx.conf"
    main.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")  # as root, workers would drop to nobody, who cannot read tmp
        + f"daemon off;\npid {tmp}/nginx.pid;\nerror_log {tmp}/nginx-error.log;\nevents {{ worker_connections 64; }}\n"
        + "http {\n  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n"
        + f"  access_log {tmp}/nginx-access.log;\n"
        + "".join(
            f"  {kind}_temp_path {tmp}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "scgi", "uwsgi")
        )
        + f"  include {tmp}/site.conf;\n}}\n"
    )
    checked = subprocess.run(["nginx", "-t", "-c", str(main), "-p", str(tmp)], capture_output=True, text=True)
    assert checked.returncode == 0, f"nginx -t refused the shipped config:\n{checked.stderr}"
    return main


# ---------------------------------------------------------------- through nginx, as a user


def test_a_user_walks_the_app_through_nginx_and_gunicorn_with_a_worker(production, dongfeng, tmp_path, static_root):
    stack, _cache = production
    admin = administrator(dongfeng.town)
    household = HouseholdFactory(village=dongfeng)
    config = nginx_config(tmp_path, static_root, upstream_port=18010)

    stack.gunicorn("gunicorn", 18010)
    stack.worker("worker")
    stack.start("nginx", ["nginx", "-c", str(config), "-p", str(tmp_path)])
    user = Browser("localhost", NGINX_HTTPS, tls=True, origin=f"https://localhost:{NGINX_HTTPS}")
    stack.wait_for_page(user)

    # Plain HTTP only redirects to HTTPS.
    plain = Browser("localhost", NGINX_HTTP, tls=False, origin="").get("/households/?q=1")
    assert plain.status == 301
    assert plain.headers["Location"] == "https://localhost/households/?q=1"

    # Log in; the cookies are Secure (DEBUG off, HTTPS as the app sees it through X-Forwarded-Proto).
    login = user.log_in(admin.username)
    assert "Secure" in login.headers["Set-Cookie"]
    assert user.get("/").headers["Location"] == "/dashboard/"
    dashboard = user.get("/dashboard/")
    assert dashboard.status == 200
    assert user.get("/households/", **{"Accept-Encoding": "gzip"}).headers["Content-Encoding"] == "gzip"
    assert user.get(f"/households/{household.pk}/").status == 200
    assert user.get("/households/?q=110101199001011234").status == 200

    # A visit through the real form, its CSRF token and all.
    form = user.get(f"/visits/log/?household={household.pk}")
    assert form.status == 200
    fields = {
        "csrfmiddlewaretoken": form.csrf(),
        "client_key": re.search(r'name="client_key" value="([^"]+)"', form.text).group(1),
        "role": "other",
        "visited_on": dt.date.today().isoformat(),
        "method": "home",
        "met_with": "户主本人",
    }
    saved = user.post(f"/visits/log/?household={household.pk}", fields)
    assert saved.status == 302, saved.text[:3000]
    assert household.visits.count() == 1

    # An Excel download.
    workbook = user.get("/households/?format=xlsx")
    assert workbook.status == 200
    assert workbook.body[:2] == b"PK"
    assert "spreadsheetml" in workbook.headers["Content-Type"]

    # A roster checked and applied by the worker (more rows than ROSTER_BACKGROUND_ROWS).
    page = user.get("/households/import/")
    roster = rw.workbook(rw.household() + rw.household() + rw.household())
    sent = user.post("/households/import/", {"csrfmiddlewaretoken": page.csrf()}, {"file": ("花名册.xlsx", roster)})
    assert sent.status == 302, sent.text[:3000]
    batch = ImportBatch.objects.get()
    assert batch.background
    stack.wait_until(lambda: status_of(batch) == ImportBatch.Status.READY, "roster checked by the worker")
    detail = user.get(f"/households/import/{batch.pk}/")
    applied = user.post(f"/households/import/{batch.pk}/apply/", {"csrfmiddlewaretoken": detail.csrf()})
    assert applied.status == 302, applied.text[:3000]
    stack.wait_until(lambda: status_of(batch) == ImportBatch.Status.APPLIED, "roster applied by the worker")
    assert Household.objects.count() == 1 + 3

    # Static files: nginx serves the hashed names from STATIC_ROOT, cached for ever, compressed.
    css = re.search(r'href="(/static/[^"]+\.css)"', dashboard.text).group(1)
    assert re.search(r"\.[0-9a-f]{12}\.css$", css), f"{css} is not a hashed name"
    static = user.get(css, **{"Accept-Encoding": "gzip"})
    assert static.status == 200
    cache_control = ", ".join(static.headers.get_all("Cache-Control"))
    assert "immutable" in cache_control
    assert "max-age=315360000" in cache_control
    assert static.headers["Content-Encoding"] == "gzip"
    assert user.get("/media/").status == 404  # uploads have no public URL

    # The access log has paths, never query strings (a search can hold an ID number).
    access = stack.log("gunicorn")
    assert "/households/" in access
    assert "110101199001011234" not in access
    assert "rid=" in access  # nginx's X-Request-ID, one id per request across the proxy and the app
    assert "rid=-" not in access


# ---------------------------------------------------------------- two of everything


def test_two_web_instances_and_two_workers_share_sessions_cache_and_jobs(production, dongfeng, helper, alice):
    stack, cache = production
    admin = administrator(dongfeng.town)
    household = HouseholdFactory(village=dongfeng, registered_on=dt.date(2019, 1, 1))
    AssignmentFactory(household=household, person=helper, role=AssignmentRole.RESPONSIBLE)
    AssignmentFactory(household=household, person=alice, role=AssignmentRole.CONTACT)

    for name, port in (("web-a", 18011), ("web-b", 18012)):
        stack.gunicorn(name, port, workers=1)
    for name in ("worker-1", "worker-2"):
        stack.worker(name)
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}  # as nginx would send
    a = Browser("localhost", 18011, tls=False, origin="https://localhost:18011", headers=proxied)
    b = Browser("localhost", 18012, tls=False, origin="https://localhost:18012", headers=proxied)
    stack.wait_for_page(a)
    stack.wait_for_page(b)

    # A session made on A works on B (sessions in PostgreSQL, one SECRET_KEY).
    a.log_in(admin.username)
    b.cookies = a.cookies
    assert b.get("/dashboard/").status == 200
    # Gunicorn without nginx in front sends pages gzipped too: the app compresses them itself.
    assert b.get("/households/", **{"Accept-Encoding": "gzip"}).headers["Content-Encoding"] == "gzip"

    # The dashboard A computed is the one B serves: one cache in Redis.
    first = computed_at(a.get("/dashboard/"))
    assert list(cache.scan_iter("*dashboard:*"))
    time.sleep(1.1)
    assert computed_at(b.get("/dashboard/")) == first

    # A roster uploaded on A, applied on B, each job done once by one of the two workers.
    households, members = Household.objects.count(), Member.objects.count()
    page = a.get("/households/import/")
    roster = rw.workbook(rw.household() + rw.household() + rw.household())
    uploaded = a.post("/households/import/", {"csrfmiddlewaretoken": page.csrf()}, {"file": ("r.xlsx", roster)})
    assert uploaded.status == 302
    batch = ImportBatch.objects.get()
    stack.wait_until(lambda: status_of(batch) == ImportBatch.Status.READY, "roster checked by a worker")
    detail = b.get(f"/households/import/{batch.pk}/")
    assert b.post(f"/households/import/{batch.pk}/apply/", {"csrfmiddlewaretoken": detail.csrf()}).status == 302
    stack.wait_until(lambda: status_of(batch) == ImportBatch.Status.APPLIED, "roster applied by a worker")
    queue = stack.env["CELERY_QUEUE"]
    again = [celery_app.send_task("households.tasks.apply_roster", args=[batch.pk], queue=queue).id for _ in "12"]
    workers = ("worker-1", "worker-2")

    def result(task: str) -> dict | None:
        """What the task returned, from the log of whichever worker ran it (each line a JSON object)."""
        return next(filter(None, (task_result(stack.log(name), task) for name in workers)), None)

    stack.wait_until(lambda: all(result(task) for task in again), "both reruns done")
    counts = (ImportBatch.objects.count(), Household.objects.count(), Member.objects.count())
    assert counts == (1, households + 3, members + 3 * 3)
    applied = [
        line
        for name in workers
        for line in log_lines(stack.log(name))
        if line.get("task_name") == "households.tasks.apply_roster"
    ]
    assert len({line["task_id"] for line in applied}) >= 3
    assert [result(task) for task in again] == [{"batch": batch.pk, "skipped": "applied"}] * 2

    # The nightly visit job sent twice at once: both run, one set of flags.
    runs = [
        celery_app.send_task("visits.tasks.flag_overdue_visits", kwargs={"on": "2020-03-05"}, queue=queue).id
        for _ in "12"
    ]
    stack.wait_until(lambda: all(result(task) for task in runs), "both nightly runs done")
    flags = list(VisitFlag.objects.values_list("household", "rule", "period_start"))
    assert flags
    assert len(set(flags)) == len(flags)
    # Each run counts only the flags it inserted itself, so between them they count each flag once.
    assert sum(result(task)["raised"] for task in runs) == len(flags)
    assert sum(result(task)["notified"] for task in runs) == len(flags)
