"""The phone app: the pieces that let a visitor write visits with no signal and send them later.

A service worker (served from the site's root so that it may answer for every page) keeps the app
shell: our static files, an offline page, and, filled by the page itself once the user is signed
in (static/js/offline.js), the user's own pages: the due list, the visit form's shell and the
outbox. Visits wait in the phone's IndexedDB until the sync endpoint (visits:sync) has them.
"""

import hashlib
import json
from functools import cache

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from visits.forms import VisitForm

# Every static file a page of the app needs, precached by the service worker so that a page
# opened offline is whole (visits/tests/test_offline.py checks base.html against this list).
SHELL_ASSETS = (
    "vendor/bootstrap/css/bootstrap.min.css",
    "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "vendor/idb/umd.js",
    "css/townaid.css",
    "js/townaid.js",
    "js/outbox.js",
    "js/offline.js",
    "js/visit-form.js",
    "js/outbox-page.js",
    "favicon.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
)
WORKBOX = tuple(f"vendor/workbox/workbox-{part}.prod.js" for part in settings.WORKBOX_PARTS)


def shell_pages() -> dict[str, str]:
    """The signed-in user's pages the phone keeps for offline use, by what they are."""
    return {
        "due": reverse("visits:due"),
        "form": reverse("visits:log-offline"),
        "outbox": reverse("visits:outbox"),
    }


@login_not_required
@require_GET
def service_worker(request):
    precache = [{"url": static(path), "revision": _revision(path)} for path in SHELL_ASSETS]
    offline_page = render_to_string("visits/offline.html", request=None, context={"LANGUAGE_CODE": get_language()})
    precache.append({"url": reverse("offline"), "revision": _digest(offline_page.encode())})
    context = {
        "scripts": json.dumps([static(path) for path in (*WORKBOX, "vendor/idb/umd.js", "js/outbox.js")]),
        "precache": json.dumps(precache),
        "pages": json.dumps(shell_pages()),
        "offline": json.dumps(reverse("offline")),
        "log_url": json.dumps(reverse("visits:log")),
        "sync_url": json.dumps(reverse("visits:sync")),
    }
    response = render(request, "visits/service_worker.js", context, content_type="text/javascript; charset=utf-8")
    # The browser asks again on each visit and takes a new worker whenever a byte of this changed.
    response["Cache-Control"] = "no-cache"
    response["Vary"] = "Cookie, Accept-Language"
    return response


@login_not_required
@require_GET
def manifest(request):
    """What a phone needs to install the app on its home screen, in the user's language."""
    icons = [
        {"src": static(f"icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
        for size in (192, 512)
    ]
    response = JsonResponse(
        {
            "name": _("TownAid"),
            "short_name": _("TownAid"),
            "description": _("Household visits that wait on the phone until there is a signal."),
            "lang": get_language(),
            "start_url": reverse("home"),
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#0d6efd",
            "icons": icons,
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "no-cache"
    return response


@login_not_required
@require_GET
def offline(request):
    """What the phone shows for a page it does not keep, when there is no connection."""
    return render(request, "visits/offline.html")


@require_GET
def visit_form_shell(request):
    """The visit form without a household: the phone fills the household in from its working set."""
    form = VisitForm(household=None)
    return render(request, "visits/visit_form.html", {"form": form, "household": None, "shell": True})


@require_GET
def outbox(request):
    return render(request, "visits/outbox.html")


def _revision(path: str) -> str | None:
    # A hashed name is its own revision, and Workbox then fetches it through the HTTP cache, where the page
    # that registered the worker has just put it; a plain name gets its content's digest (and is refetched).
    if static(path) != f"{settings.STATIC_URL}{path}":
        return None
    return _file_revision(path) if settings.DEBUG else _collected_revision(path)


@cache
def _collected_revision(path: str) -> str:
    # Collected files do not change under a running server: read each once.
    return _file_revision(path)


def _file_revision(path: str) -> str:
    found = finders.find(path)  # the source (DEBUG, tests); else the collected copy
    if found:
        with open(found, "rb") as file:
            return _digest(file.read())
    with staticfiles_storage.open(path) as file:
        return _digest(file.read())


def _digest(content: bytes) -> str:
    return hashlib.md5(content, usedforsecurity=False).hexdigest()[:16]
