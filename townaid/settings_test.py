"""Thin test override: a throwaway secret and plain static storage (no collectstatic)."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")

from townaid.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DASHBOARD_MAX_AGE = 0  # every test computes the dashboards afresh; reports/tests test the cache itself
STATIC_ROOT = None  # tests serve static files through the finders, never from a collected tree
