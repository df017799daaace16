"""The monitoring register's pages: the list of cases, a case, and one small form per step."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy

from common.pagination import paginate
from common.spreadsheets import export_response, wants_export
from monitoring import selectors
from monitoring.filters import CaseFilter
from monitoring.models import MonitoringCase
from monitoring.resources import CaseResource


def case_list(request):
    cases = CaseFilter(request.GET, queryset=selectors.case_list(user=request.user), user=request.user)
    if wants_export(request):
        return export_response(
            request,
            resource=CaseResource(),
            queryset=cases.qs,
            title=gettext_lazy("Monitoring cases"),
            filename="monitoring-cases",
        )
    page, query = paginate(request, cases.qs)
    return render(
        request,
        "monitoring/case_list.html",
        {"filter": cases, "page": page, "query": query, "today": timezone.localdate()},
    )


def case_detail(request, pk):
    try:
        case = selectors.case_detail(user=request.user, pk=pk)
    except MonitoringCase.DoesNotExist:
        raise Http404 from None
    return render(request, "monitoring/case_detail.html", {"case": case, "today": timezone.localdate()})
