"""Logins: where they come from, what the audit log says of them, which session is whose.

The receivers here listen to Django's own authentication signals (connected in
AccountsConfig.ready), so the login page, the admin's login page and logging
out all pass through them, whichever view does the work.
"""

import ipaddress
import logging
from datetime import timedelta

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

from accounts.models import UserSession

# A child of the audit logger: its lines go wherever townaid.audit's go, and can be told apart
# (and routed apart) from the lines about personal data.
audit_log = logging.getLogger("townaid.audit.accounts")

USER_AGENT_MAX_LENGTH = 200
USERNAME_MAX_LENGTH = 150  # an attempted username is whatever was typed: bounded before it reaches the log


def forwarded_client_ip(request) -> str | None:
    """The client's address behind one reverse proxy: the last X-Forwarded-For entry.

    The proxy appends the address it saw to whatever the client sent, so only
    the last entry is the proxy's word; earlier ones are the client's and could
    be forged to dodge the lockout. Anything that is not an address falls back
    to the connecting address. Used only when BEHIND_PROXY is on (settings).
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(forwarded))
    except ValueError:
        return request.META.get("REMOTE_ADDR")


def _client(request) -> tuple[str | None, str]:
    """The client's address (as axes sees it, so both logs agree) and its user agent, shortened."""
    if request is None:
        return None, ""
    return get_client_ip_address(request), request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX_LENGTH]


def record_login(sender, request, user, **kwargs) -> None:
    """Log the login, bind the session to its user, and end it SESSION_COOKIE_AGE from now.

    The expiry is a fixed moment: a session that is saved again later (a
    message too long for its cookie) is not given a new lease of life.
    """
    ip, agent = _client(request)
    audit_log.info("logged_in user=%s username=%r ip=%s agent=%r", user.pk, user.get_username(), ip, agent)
    session = getattr(request, "session", None)
    if not isinstance(session, DatabaseSessionStore):
        return
    session.set_expiry(timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE))
    session.save()  # gives a session that login() flushed its key and row now, for the link below
    UserSession.objects.update_or_create(session_id=session.session_key, defaults={"user": user})


def record_login_failure(sender, credentials, request=None, **kwargs) -> None:
    """Log a refused login with the username that was tried; Django never passes the password here."""
    ip, agent = _client(request)
    username = str(credentials.get(get_user_model().USERNAME_FIELD, ""))[:USERNAME_MAX_LENGTH]
    audit_log.info("login_failed username=%r ip=%s agent=%r", username, ip, agent)


def record_logout(sender, request, user, **kwargs) -> None:
    """Log a logout; `user` is None when someone not logged in posts the logout form."""
    ip, agent = _client(request)
    username = user.get_username() if user is not None else ""
    audit_log.info("logged_out user=%s username=%r ip=%s agent=%r", getattr(user, "pk", None), username, ip, agent)


def record_lockout(sender, request, username, ip_address, **kwargs) -> None:
    """Log that axes has locked a username at an address (sent on every refused attempt while locked)."""
    audit_log.warning("login_locked_out username=%r ip=%s", str(username or "")[:USERNAME_MAX_LENGTH], ip_address)
