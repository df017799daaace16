"""Dashboards, the landing pages: the town's (officials, admins), a village's (cadres) and "my households"."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Reach
from households.choices import HouseholdStatus
from households.models import Town, Village
from reports import charts, selectors
from reports.my_households import my_households as households_of

WIDE_REACH = (Reach.TOWN, Reach.EVERYTHING)


def town_dashboard(request):
    """The whole scope of an official (their town) or an admin (every town); others go to their own landing page."""
    if request.user.scope.reach not in WIDE_REACH:
        return redirect("home")
    figures = selectors.cached_dashboard(user=request.user, year=_year(request), refresh=_refresh(request))
    towns = list(Town.objects.visible_to(request.user).order_by("code"))
    title = towns[0].name if len(towns) == 1 else _("All towns")
    return render(request, "reports/town_dashboard.html", _context(request, figures, title=title))


def village_dashboard(request, pk):
    village = get_object_or_404(Village.objects.visible_to(request.user).select_related("town"), pk=pk)
    if request.user.scope.reach is Reach.ASSIGNED:
        raise Http404  # a responsible person sees households, not whole villages
    figures = selectors.cached_dashboard(user=request.user, village=village, refresh=_refresh(request))
    return render(
        request, "reports/village_dashboard.html", _context(request, figures, title=village.name, village=village)
    )


def my_households(request):
    rows = households_of(user=request.user)
    return render(
        request,
        "reports/my_households.html",
        {
            "rows": rows,
            "computed_at": timezone.now(),
            "refresh_url": request.path,
            "owed": sum(1 for row in rows if not row.due.done),
        },
    )


def _refresh(request) -> bool:
    return "refresh" in request.GET


def _refresh_url(request) -> str:
    query = request.GET.copy()
    query["refresh"] = "1"
    return f"{request.path}?{query.urlencode()}"


def _year(request) -> int | None:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() else None


def _context(request, figures: selectors.Dashboard, *, title: str, village: Village | None = None) -> dict:
    """The figures and their charts; `narrow` keeps the links behind the figures to the village shown."""
    narrow = f"village={village.pk}&" if village else ""
    target = figures.target
    return {
        "title": title,
        "d": figures,
        "refresh_url": _refresh_url(request),
        "village": village,
        "narrow": narrow,
        "statuses": HouseholdStatus,
        "burndown": charts.burndown_chart(target.burndown, target.households, target.year) if target else None,
        "progress": charts.Meter(target.percent) if target else None,
        "exits_chart": charts.bar_chart([(str(row.year), row.households, "", "") for row in figures.exits_by_year]),
        "income_chart": charts.bar_chart(
            [(str(b.label), b.count, "", INCOME_TONES[b.key]) for b in figures.income.bins]
        )
        if figures.income
        else None,
    }


INCOME_TONES = {"half": "danger", "line": "warning", "one_and_half": "", "double": "", "above_double": "success"}
