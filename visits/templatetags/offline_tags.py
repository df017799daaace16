"""The settings and words the phone's scripts need (static/js/offline.js), written into every page."""

import functools

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import json_script
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from visits.views_offline import shell_pages

register = template.Library()


@register.simple_tag(takes_context=True)
def offline_config(context):
    user = context.get("user")
    signed_in = user is not None and user.is_authenticated
    config = {
        "user": user.pk if signed_in else None,
        "service_worker": reverse("service-worker"),
        "sync_url": reverse("visits:sync"),
        "working_set": reverse("visits:working-set"),
        "outbox_url": reverse("visits:outbox"),
        "login_url": reverse("login"),
        "log_url": reverse("visits:log"),
        "pages": list(shell_pages().values()) if signed_in else [],
        "max_photos": settings.VISIT_PHOTOS_PER_VISIT,
        "words": words(),
    }
    return json_script(config, "townaid-offline")


def words() -> dict[str, str]:
    """What the scripts say, in the page's language. %(count)s and the like are filled in by the script."""
    return _words(get_language())


@functools.lru_cache(maxsize=8)
def _words(language: str) -> dict[str, str]:
    # Some fifty translations on every page: once per language and process instead.
    return {
        "waiting_count": _("Visits waiting to be sent: %(count)s"),
        "sent_count": _("Visits sent from this phone: %(count)s"),
        "state_draft": _("Being written"),
        "state_waiting": _("Waiting to be sent"),
        "state_sending": _("Sending"),
        "state_sent": _("Sent"),
        "state_attention": _("Needs your attention"),
        "reason_network": _("No connection: it will be sent when the signal returns."),
        "reason_login": _("Your session has ended: log in again and the visits waiting on this phone will be sent."),
        "reason_server": _("The server could not take it just now: it will be tried again."),
        "reason_csrf": _("The page had been open too long: it will be tried again."),
        "reason_refused": _("The server refused this visit."),
        "reason_too_large": _("The photos are too large to send: remove one and save again."),
        "saved_offline": _("Saved on this phone. It will be sent when there is a signal."),
        "saved_login": _("Saved on this phone. Your session has ended: log in again and it will be sent."),
        "sending": _("Sending the visit: %(percent)s%%"),
        "invalid": _("Nothing was saved. Please correct the errors below."),
        "conflict": _("The server holds a different version of this visit: choose which one to keep in the outbox."),
        "keep_stored": _("Keep the stored visit"),
        "use_mine": _("Use this phone's version"),
        "discard": _("Delete from this phone"),
        "discard_confirm": _("Delete this visit from this phone? The server does not have it."),
        "open": _("Open"),
        "correct": _("Open to correct"),
        "view_visit": _("View the stored visit"),
        "sent_before": _("This visit has been sent. To log another visit, open a new form."),
        "waiting_before": _("This visit is saved on this phone and waits to be sent; you may still correct it."),
        "new_visit": _("Log another visit to this household"),
        "not_on_phone": _(
            "This household's details are not on this phone; you can still write the visit, and it is checked "
            "when it is sent."
        ),
        "too_many_photos": _("At most %(count)s photos per visit."),
        "photo_unreadable": _("This photo could not be read: %(name)s"),
        "remove_photo": _("Remove this photo"),
        "photo_alt": _("Photo %(number)s of the visit"),
        "date_required": _("Give the date of the visit."),
        "date_future": _("The date cannot be in the future."),
        "note_required": _("Say what is wrong when an item is not met."),
        "location_failed": _("The phone gave no location: the visit is saved without it."),
        "written_at": _("Written %(when)s"),
        "visited_on": _("Visit of %(date)s"),
        "stored_version": _("Stored on the server"),
        "phone_version": _("On this phone"),
        "photos": _("Photos"),
        "empty": _("No visits are waiting on this phone."),
        "household": _("Household %(number)s"),
        "log_in": _("Log in"),
        "logout_waiting": _(
            "%(count)s visits on this phone have not been sent yet. They stay on this phone, for you only, and are "
            "sent when you log in again. Log out now?"
        ),
    }
