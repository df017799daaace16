"""TownAid settings: one module, driven by environment variables.

Every value can be set from the environment; the defaults give a working local
app (SQLite file under var/, local static files, console e-mail). Secrets have
no default outside DEBUG.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: str = "false") -> bool:
    value = env(name, default).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    try:
        return int(env(name, str(default)))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number") from exc


def envfloat(name: str, default: float) -> float:
    try:
        return float(env(name, str(default)))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number") from exc


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# ---------------------------------------------------------------- core
DEBUG = envbool("DEBUG")

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "csp",
    "axes",
    # Shared pieces below every app; an app so that its template tags ({% load icons %}) are found.
    "common",
    "accounts",
    "audit",
    "households",
    "assistance",
    "visits",
    "monitoring",
    "infrastructure",
    "reports",
    "maintenance",
]

MIDDLEWARE = [
    # First, so that every response has its X-Request-ID and its access line, static files and the 503 page too.
    "common.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and JSON leave gzipped (common.middleware says why text only), under `make run` and Gunicorn as
    # behind nginx. Below WhiteNoise, which sends static files compressed already; above every middleware that
    # reads or rewrites the body, as Django's notes on ordering ask. BREACH, which reads a secret from the sizes
    # of compressed pages, finds none to read: Django masks the CSRF token afresh in every response (the
    # standard defence), and Django's GZipMiddleware pads every response with up to 100 random bytes.
    "common.middleware.CompressTextMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "common.middleware.ChosenLanguageMiddleware",
    "common.middleware.DatabaseAvailableMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "common.middleware.NoStoreMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "townaid.urls"
WSGI_APPLICATION = "townaid.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# ---------------------------------------------------------------- database
if not env("DATABASE_URL"):
    (BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'townaid.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# PostgreSQL's JIT compiles every large aggregate (the dashboards' scans of the county) for about
# 10 ms each, more than it saves on queries that take tens of milliseconds; it suits hour-long
# analytics, not web pages. DATABASE_JIT=true turns it back on.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not envbool("DATABASE_JIT"):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# A database host that has gone silent is given up after this many seconds (libpq waits forever
# by default), so that a request answers the 503 page instead of hanging.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", envint("DATABASE_CONNECT_TIMEOUT", 5))
# SQLite (make run, a small office) serves several people at once: write-ahead logging lets readers
# go on while one request writes, every transaction takes the write lock when it begins (a deferred
# one that reads first and then writes fails at once with "database is locked" when another writer
# got in between, whatever the timeout), and a writer waits up to SQLITE_BUSY_TIMEOUT seconds for it.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": envint("SQLITE_BUSY_TIMEOUT", 20),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------- cache
# The dashboards keep their figures for DASHBOARD_MAX_AGE seconds. Without CACHE_URL each process
# keeps its own; with it (e.g. redis://127.0.0.1:6379/1) every web process shares one.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("CACHE_URL")}
    if env("CACHE_URL")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
DASHBOARD_MAX_AGE = envint("DASHBOARD_MAX_AGE", 300)

# ---------------------------------------------------------------- accounts
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A session ends SESSION_COOKIE_AGE after its login, however busy (accounts.security.record_login).
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 12 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "false" if DEBUG else "true")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A refused form gets a page that says nothing was saved and how to send it again; a script gets JSON.
CSRF_FAILURE_VIEW = "common.errors.csrf_failure"
# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username from
# one address, that pair is refused for LOGIN_COOLOFF_MINUTES, each new attempt restarting the
# wait. Locking the pair, not the username alone, keeps a stranger from locking a cadre out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_COOLOFF_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
# Behind a reverse proxy every request comes from the proxy: the client's address is then read
# from X-Forwarded-For (accounts.security.forwarded_client_ip); otherwise the header is ignored.
AXES_CLIENT_IP_CALLABLE = "accounts.security.forwarded_client_ip" if envbool("BEHIND_PROXY") else None

# ---------------------------------------------------------------- language and time
# The language of pages before a user chooses one, of notifications and of the commands' output.
LANGUAGE_CODE = env("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# ---------------------------------------------------------------- static files
STATIC_URL = "static/"
# Where collectstatic gathers the hashed files; nginx serves them from there (deploy/nginx/townaid.conf).
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
# Workbox's modules in the order their builds need each other (each attaches to self.workbox).
WORKBOX_PARTS = ("core", "routing", "strategies", "precaching")
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end packages come from npm (package.json) and are served by the app:
    # village networks are too poor for a CDN.
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    # The icons' SVG drawings, which {% icon %} inlines (common/templatetags/icons.py): no icon font.
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "icons"),
    # The phone app (visits/views_offline.py): Workbox's service-worker modules, loaded one after the
    # other with importScripts, and idb, a small promise wrapper of IndexedDB (drafts and the outbox).
    *(("vendor/workbox", BASE_DIR / "node_modules" / f"workbox-{part}" / "build") for part in WORKBOX_PARTS),
    ("vendor/idb", BASE_DIR / "node_modules" / "idb" / "build"),
]
# Uploads (visit photos) live outside the web root and have no URL of their own:
# a view that checks the user's scope serves each one.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# ---------------------------------------------------------------- forms
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# ---------------------------------------------------------------- security
# HTTPS is switched on by the deployment, never assumed: a local run serves plain http. Behind a
# proxy that ends TLS, BEHIND_PROXY=true trusts its X-Forwarded-Proto (only then: a client could
# send that header itself). `manage.py check --deploy` is clean once these are set for production
# (townaid/tests/test_security_headers.py runs it).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_PROXY") else None
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
# Preloading promises HTTPS for the whole domain to every browser and is slow to undo: asked for, never assumed.
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD")
SECURE_CONTENT_TYPE_NOSNIFF = True
# Our URLs carry household ids and searches (names, ID numbers): another site is never told them,
# while our own pages get the full Referer that Django's CSRF check wants over HTTPS.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): everything from our own origin, no inline script or style,
# no eval, no frames. Bootstrap's stylesheet draws its small icons (menu button, select arrow,
# check mark, close button) as data: SVG images. Styles go in static/css, scripts in static/js.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # blob: shows the phone's own photos of a visit being written, made small in the page before they are sent.
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# ---------------------------------------------------------------- e-mail
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "townaid@localhost")

# ---------------------------------------------------------------- background jobs
# Redis in production and CI. Without CELERY_BROKER_URL, kombu's filesystem transport keeps
# the queue in files under var/celery/: no server to install, and the web, the worker and
# beat (separate processes) all see the same queue, so `make run` works on a fresh machine.
celery_dir = BASE_DIR / "var" / "celery"  # the beat schedule, and the local broker's files
celery_dir.mkdir(parents=True, exist_ok=True)
CELERY_BROKER_URL = env("CELERY_BROKER_URL") or "filesystem://localhost/"
# A web request must never wait on the broker: one connection attempt, and a dead or silent
# Redis is given up within about a second (redis-py and kombu would otherwise wait and retry).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1, "max_retries": 0}
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        # One folder in and out: every process reads and writes the same queue.
        "data_folder_in": str(celery_dir / "queue"),
        "data_folder_out": str(celery_dir / "queue"),
        "control_folder": str(celery_dir / "control"),
        "processed_folder": str(celery_dir / "processed"),
    }
    for folder in ("queue", "control", "processed"):
        (celery_dir / folder).mkdir(exist_ok=True)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True  # the worker and beat wait for the broker; the web never does
CELERY_TASK_PUBLISH_RETRY = False
# The queue jobs are sent to and workers read: two installations (staging, production) can share one Redis.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "celery")
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True  # jobs write to the database; nobody waits for a result
# A job is acknowledged once it has run, so a worker killed mid-job gets it back (every task
# is idempotent, so a rerun is safe). The filesystem broker returns it only on a clean stop.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a pool process that dies mid-job puts its job back at once
# When the whole worker dies (SIGKILL, power cut), nobody is left to put the job back: Redis keeps
# it as unacknowledged, and a worker returns it to the queue once it has been out this long.
# Longer than the longest job (a large roster), else a job still running is handed out again.
CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = envint("CELERY_VISIBILITY_TIMEOUT", 60 * 60)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BEAT_SCHEDULE_FILENAME = str(celery_dir / "beat-schedule")
# Times are in CELERY_TIMEZONE (Asia/Shanghai). One entry per job; each names its task module.
CELERY_BEAT_SCHEDULE = {
    "flag-loan-instalments": {
        "task": "assistance.tasks.flag_loan_instalments",
        "schedule": crontab(hour=0, minute=30),
    },
    # Runs at 01:00 town time so that a visit logged up to midnight on the last day still counts.
    "flag-overdue-visits": {
        "task": "visits.tasks.flag_overdue_visits",
        "schedule": crontab(hour=1, minute=0),
    },
    "flag-late-milestones": {
        "task": "infrastructure.tasks.flag_late_milestones",
        "schedule": crontab(hour=1, minute=30),
    },
    # The dashboards' kept income follows a new year's line from its first day (households.summaries).
    "refresh-dashboard-income": {
        "task": "households.tasks.refresh_dashboard_income",
        "schedule": crontab(hour=0, minute=5),
    },
    # The income ledger's candidates for monitoring, for the current year (the task's default).
    "flag-income-candidates": {
        "task": "monitoring.tasks.flag_income_candidates",
        "schedule": crontab(hour=2, minute=0),
    },
}

# ---------------------------------------------------------------- backups
# `manage.py backup` signs every backup with a key derived from BACKUP_SIGNING_KEY, and `restore`
# refuses one signed with any other (maintenance.backups). Unset, the key is derived from
# SECRET_KEY, which has no default outside DEBUG: rotating SECRET_KEY then makes every older
# backup unrestorable, so production sets a key of its own, as secret as SECRET_KEY.
BACKUP_SIGNING_KEY = env("BACKUP_SIGNING_KEY")
if BACKUP_SIGNING_KEY and len(BACKUP_SIGNING_KEY) < 32:
    # Anyone holding a backup can try keys against its signature offline, as fast as they like.
    raise ImproperlyConfigured("BACKUP_SIGNING_KEY must be at least 32 characters long")
# A restore refuses an uploads archive with more members or more unpacked bytes than this, and a
# backup refuses to write one: an archive that would fill the disk is refused before unpacking.
BACKUP_MEDIA_MAX_FILES = envint("BACKUP_MEDIA_MAX_FILES", 1_000_000)
BACKUP_MEDIA_MAX_BYTES = envint("BACKUP_MEDIA_MAX_BYTES", 256 * 1024**3)

# ---------------------------------------------------------------- logging
# One JSON object a line in production (for the log collector), plain text in development. Every
# line written during a request carries its request_id (common.logs, common.middleware), and every line
# of a Celery worker or beat comes through here too (townaid.celery), a task's with task_name and task_id.
LOG_FORMAT = env("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured("LOG_FORMAT must be json or plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "common.logs.RequestIdFilter"}, "task": {"()": "common.logs.TaskFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(request_id)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "common.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id", "task"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # Who saw a full ID number, and when (also kept in the database).
        "townaid.audit": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # One line per request: method, path without query, status, duration_ms, user_id.
        "townaid.requests": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# ---------------------------------------------------------------- health and error reports
# /healthz and `manage.py healthcheck` give each check (database, cache, broker) this long.
HEALTH_TIMEOUT_SECONDS = envfloat("HEALTH_TIMEOUT_SECONDS", 2)
# Errors go to Sentry only when SENTRY_DSN is set, scrubbed of personal data first (common/sentry.py).
SENTRY_DSN = env("SENTRY_DSN")
if SENTRY_DSN:
    from common.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT"),
        traces_sample_rate=envfloat("SENTRY_TRACES_SAMPLE_RATE", 0.0),
    )

# ---------------------------------------------------------------- domain
HOUSEHOLDS_PER_PAGE = envint("HOUSEHOLDS_PER_PAGE", 50)
# A list counts its rows up to this many and offers the pages that hold them ("10000+" beyond): counting or
# paging through a whole county on every page is what made its lists slow (common.pagination).
LIST_COUNT_BOUND = envint("LIST_COUNT_BOUND", 10_000)
# The most rows an Excel download holds; a longer list asks the user to narrow it first.
EXPORT_MAX_ROWS = envint("EXPORT_MAX_ROWS", 100_000)
LOAN_DUE_SOON_DAYS = envint("LOAN_DUE_SOON_DAYS", 30)
# From this day of a period's last month, visits not yet logged are flagged as due soon.
VISIT_DUE_SOON_DAY = envint("VISIT_DUE_SOON_DAY", 20)
# A visit entered up to this many days after its period closed still counts for it; later, it is kept as late.
VISIT_LATE_ENTRY_DAYS = envint("VISIT_LATE_ENTRY_DAYS", 5)
VISIT_PHOTO_MAX_BYTES = envint("VISIT_PHOTO_MAX_BYTES", 8 * 1024 * 1024)
# The most pixels decoding one visit photo may hold (visits/photos.py says how the default was chosen).
VISIT_PHOTO_MAX_PIXELS = envint("VISIT_PHOTO_MAX_PIXELS", 16_000_000)
VISIT_PHOTOS_PER_VISIT = 3
# Roster workbooks (households/roster): the largest upload accepted, and the size above which
# an upload is validated and applied by a background job with a progress bar.
# Exit procedure documents (minutes, signed forms, photos of a notice): the largest upload accepted.
EXIT_DOCUMENT_MAX_BYTES = envint("EXIT_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
# Monitoring (防返贫): the county's confirmation is due this many days after a case is first reported;
# a risk is removed only after this many months in a row at or above the monitoring line; the removal
# is publicised for this many days before it is signed off.
MONITORING_IDENTIFY_DAYS = envint("MONITORING_IDENTIFY_DAYS", 15)
MONITORING_STABLE_MONTHS = envint("MONITORING_STABLE_MONTHS", 6)
MONITORING_REMOVAL_PUBLICITY_DAYS = envint("MONITORING_REMOVAL_PUBLICITY_DAYS", 7)
# A department's warning list: the largest workbook accepted (they are a few hundred rows).
WARNING_LIST_MAX_BYTES = envint("WARNING_LIST_MAX_BYTES", 5 * 1024 * 1024)
# The department warning workbook that seed_demo writes for an administrator to try the upload with.
DEMO_WARNINGS_WORKBOOK = Path(
    env("DEMO_WARNINGS_WORKBOOK", str(BASE_DIR / "var" / "demo" / "department-warnings.xlsx"))
)
# Infrastructure milestones are flagged as due soon this many days before their deadline.
INFRASTRUCTURE_DUE_SOON_DAYS = envint("INFRASTRUCTURE_DUE_SOON_DAYS", 14)
INFRASTRUCTURE_DOCUMENT_MAX_BYTES = envint("INFRASTRUCTURE_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
ROSTER_MAX_BYTES = envint("ROSTER_MAX_BYTES", 20 * 1024 * 1024)
ROSTER_BACKGROUND_ROWS = envint("ROSTER_BACKGROUND_ROWS", 2000)
# The most rows a roster's worksheet may hold (counted in its XML before any row is parsed; above the
# largest real roster), and the most issues kept per import (the rest are counted, not listed).
ROSTER_MAX_ROWS = envint("ROSTER_MAX_ROWS", 300_000)
ROSTER_MAX_ISSUES = envint("ROSTER_MAX_ISSUES", 1000)
