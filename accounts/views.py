from math import ceil

from axes.helpers import get_cool_off
from django.conf import settings
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Notification, Reach
from accounts.services import notifications_mark_read
from common.pagination import paginate


def home(request):
    """Send each user to their landing page, by how far they reach.

    Officials and admins: the town dashboard. Cadres and team members: their
    (first) village's dashboard. Responsible persons: the households they answer
    for. A user with no scope: the (empty) household list, which says so.
    """
    scope = request.user.scope
    if scope.reach in (Reach.TOWN, Reach.EVERYTHING):
        return redirect("reports:town")
    if scope.reach is Reach.VILLAGES:
        return redirect("reports:village", pk=min(scope.village_ids))
    if scope.reach is Reach.ASSIGNED:
        return redirect("reports:mine")
    return redirect("households:list")


def inbox(request):
    """The user's notifications, newest first; unread ones stand out."""
    notifications = Notification.objects.filter(recipient=request.user)
    page, query = paginate(request, notifications)
    return render(request, "accounts/inbox.html", {"page": page, "query": query})


@require_POST
def inbox_mark_read(request):
    notifications_mark_read(user=request.user)
    return redirect("inbox")


def locked_out(request, response=None, credentials=None):
    """The page shown instead of the login form while a username is locked at this address.

    Not a URL: AxesMiddleware calls it (AXES_LOCKOUT_CALLABLE) after a refused
    login. Each refused attempt restarts the cool-off, so the lock ends one
    cool-off after this one; the page says when, in the town's time.
    """
    cool_off = get_cool_off(request)
    retry_at = (getattr(request, "axes_attempt_time", None) or timezone.now()) + cool_off
    context = {"retry_at": retry_at, "minutes": ceil(cool_off.total_seconds() / 60)}
    page = render(request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
    page["Retry-After"] = str(ceil(cool_off.total_seconds()))
    return page
