"""The monitoring register's pages: the list of cases, a case, and one small form per step."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.pagination import paginate
from common.spreadsheets import export_response, wants_export
from households.models import Household
from households.selectors import head_name
from monitoring import selectors, services
from monitoring.filters import CaseFilter
from monitoring.forms import FollowUpForm, ReportForm, StepForm
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
    return render(
        request, "monitoring/case_detail.html", {"case": case, **selectors.case_page(case=case, user=request.user)}
    )


# ---------------------------------------------------------------- reporting and the steps


def case_report(request):
    household = None
    if request.GET.get("household"):
        if not request.GET["household"].isdigit():
            raise Http404
        households = (
            Household.objects.editable_by(request.user).select_related("village").annotate(head_name=head_name())
        )
        household = get_object_or_404(households, pk=request.GET["household"])
    elif not request.user.scope.can_edit:
        raise Http404
    initial = {"kind": services.default_kind(household)} if household is not None else {}
    form = ReportForm(request.POST or None, user=request.user, household=household, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_report(
                household=form.household,
                origin=form.cleaned_data["origin"],
                risks=form.cleaned_data["risks"],
                description=form.cleaned_data["description"],
                reported_on=form.cleaned_data["reported_on"],
                kind=form.cleaned_data["kind"],
                user=request.user,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Reported for monitoring: the village verifies it next."))
            return redirect(case)
    cancel = household.get_absolute_url() if household else reverse("monitoring:cases")
    return render(request, "monitoring/case_report.html", {"form": form, "household": household, "cancel_url": cancel})


@dataclass(frozen=True)
class Step:
    title: str
    service: Callable
    town: bool = False  # officials and administrators only
    needs_reason: bool = False
    date_label: str | None = None


STEPS = {
    "verify": Step(gettext_lazy("Village verification"), services.case_verify),
    "review": Step(gettext_lazy("Town review"), services.case_review, town=True),
    "confirm": Step(
        gettext_lazy("County confirmation"),
        services.case_confirm,
        town=True,
        date_label=gettext_lazy("Date of the county's confirmation"),
    ),
    "dismiss": Step(gettext_lazy("Not at risk"), services.case_dismiss, needs_reason=True),
    "appraise": Step(gettext_lazy("Risk removal: village appraisal"), services.removal_appraise),
    "publicise": Step(
        gettext_lazy("Risk removal: publicity"),
        services.removal_publicise,
        date_label=gettext_lazy("Publicity starts on"),
    ),
    "sign-off": Step(gettext_lazy("Risk removal: sign-off"), services.removal_sign_off, town=True),
}


def _case_for(request, pk, *, town=False):
    cases = MonitoringCase.objects.editable_by(request.user).select_related("household__village")
    if town and not request.user.scope.can_change_status:
        cases = cases.none()
    return get_object_or_404(cases.annotate(head_name=head_name("household")), pk=pk)


def case_step(request, pk, step):
    spec = STEPS[step]
    case = _case_for(request, pk, town=spec.town)
    form = StepForm(request.POST or None, needs_reason=spec.needs_reason, date_label=spec.date_label)
    if request.method == "POST" and form.is_valid():
        values = {"on": form.cleaned_data["on"]}
        if spec.needs_reason:
            values["reason"] = form.cleaned_data["reason"]
        try:
            spec.service(case=case, user=request.user, **values)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Saved."))
            return redirect(case)
    return render(request, "monitoring/case_step.html", {"form": form, "case": case, "title": spec.title})


def follow_up(request, pk):
    case = _case_for(request, pk)
    form = FollowUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.follow_up_record(case=case, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Follow-up saved."))
            return redirect(case)
    return render(request, "monitoring/case_step.html", {"form": form, "case": case, "title": _("Monthly follow-up")})
