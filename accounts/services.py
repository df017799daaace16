"""Writes that concern users themselves: their inbox."""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from accounts.models import Notification, User


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
        transaction.on_commit(lambda: send_mass_mail(mails, fail_silently=True))


def notifications_mark_read(*, user, pks=None) -> int:
    """Mark some (or all) of a user's unread notifications read; returns how many changed."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if pks is not None:
        unread = unread.filter(pk__in=pks)
    return unread.update(read_at=timezone.now())
