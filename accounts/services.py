"""Writes that concern users themselves: their inbox, whether they may log in."""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import override

from accounts.models import Notification, User, UserSession

log = logging.getLogger(__name__)
audit_log = logging.getLogger("townaid.audit.accounts")  # see accounts.security


@dataclass(frozen=True)
class Message:
    recipient: User
    subject: str
    body: str
    url: str = ""


def notify(messages: list[Message]) -> None:
    """Put messages in the recipients' inboxes now, and e-mail those with an address once the transaction commits.

    What waits for the commit is the notifications' keys, not their text: a nightly job that writes a
    county's messages a batch at a time does not hold every body in memory until it commits.
    """
    created = Notification.objects.bulk_create(
        Notification(recipient=m.recipient, subject=m.subject, body=m.body, url=m.url) for m in messages
    )
    mailed = [note.pk for note, m in zip(created, messages, strict=True) if m.recipient.email]
    if mailed:
        transaction.on_commit(lambda: _send(mailed))


def _send(pks: list[int], *, batch_size: int = 500) -> None:
    # The inbox already holds every message; a mail server that is down must not undo the job that raised them.
    try:
        for start in range(0, len(pks), batch_size):
            notes = Notification.objects.filter(pk__in=pks[start : start + batch_size]).select_related("recipient")
            send_mass_mail(
                [
                    (n.subject, f"{n.body}\n\n{n.url}".strip(), settings.DEFAULT_FROM_EMAIL, [n.recipient.email])
                    for n in notes.order_by("pk")
                ]
            )
    except Exception:
        log.exception("could not send %d notification e-mails", len(pks))


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


def user_set_active(*, user: User, active: bool, by: User) -> None:
    """Let a user log in or not; disabling also ends every session they have, at once.

    Django already refuses an inactive user's session on the next request, but
    the row would stay, and re-enabling the account would bring a forgotten
    phone's session back to life. The sessions are found through UserSession
    (written at each login): one indexed lookup by user, where decoding every
    session row of the county to find a user id would grow with the county.
    """
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        ended = 0
        if not active:
            sessions = Session.objects.filter(pk__in=UserSession.objects.filter(user=user).values("session_id"))
            ended = sessions.delete()[1].get(Session._meta.label, 0)
    audit_log.info(
        "user_%s user=%s by=%s sessions_ended=%d", "enabled" if active else "disabled", user.pk, by.pk, ended
    )
