"""Writes that concern users themselves: their inbox."""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import override

from accounts.models import Notification, User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    recipient: User
    subject: str
    body: str
    url: str = ""


def notify(messages: list[Message]) -> None:
    """Put messages in the recipients' inboxes now, and e-mail those with an address once the transaction commits."""
    Notification.objects.bulk_create(
        Notification(recipient=m.recipient, subject=m.subject, body=m.body, url=m.url) for m in messages
    )
    mails = [
        (m.subject, f"{m.body}\n\n{m.url}".strip(), settings.DEFAULT_FROM_EMAIL, [m.recipient.email])
        for m in messages
        if m.recipient.email
    ]
    if mails:
        transaction.on_commit(lambda: _send(mails))


def _send(mails) -> None:
    # The inbox already holds every message; a mail server that is down must not undo the job that raised them.
    try:
        send_mass_mail(mails)
    except Exception:
        log.exception("could not send %d notification e-mails", len(mails))


def notify_flags_once(
    flags: list,
    *,
    recipients: Callable[[object], Iterable[User | None]],
    message: Callable[[User, list], Message],
) -> int:
    """Notify the recipients of flags not yet notified in their current kind, one message each, then mark them.

    The jobs that raise flags (visits, milestones) call this with their open,
    not-yet-notified flags, locked; a flag is notified once per kind however
    often the job runs, and a job killed before this point notifies on its next run.
    """
    by_recipient: dict[User, list] = defaultdict(list)
    for flag in flags:
        for person in set(recipients(flag)) - {None}:
            by_recipient[person].append(flag)
    with override(settings.LANGUAGE_CODE):
        notify([message(person, person_flags) for person, person_flags in by_recipient.items()])
    for kind in {flag.kind for flag in flags}:
        type(flags[0]).objects.filter(pk__in=[f.pk for f in flags if f.kind == kind]).update(notified_kind=kind)
    return len(flags)


def notifications_mark_read(*, user, pks=None) -> int:
    """Mark some (or all) of a user's unread notifications read; returns how many changed."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if pks is not None:
        unread = unread.filter(pk__in=pks)
    return unread.update(read_at=timezone.now())
