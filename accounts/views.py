from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Notification, Role
from accounts.services import notifications_mark_read
from townaid.pagination import paginate


def home(request):
    """Send each role to its landing page: responsible persons to the visits they owe, others to the households."""
    if request.user.role == Role.RESPONSIBLE:
        return redirect("visits:due")
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
