from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistance import selectors
from assistance.forms import MeasureForm, PlanForm
from assistance.models import Measure, Plan
from assistance.resources import MissingPlanResource
from assistance.services.plans import measure_save, plan_default_analysis, plan_save
from audit import trail as audit
from common.concurrency import Conflict, ConflictKind, RowConflict, StaleVersion, differences, with_version
from common.pagination import paginate
from common.spreadsheets import export_response, wants_export
from households.choices import HouseholdStatus, MonitoringRisk
from households.filters import HouseholdFilter
from households.models import FIRST_REGISTRY_YEAR, LAST_PLAUSIBLE_YEAR, Household

# A missing-plan list covers these by default; exited households are listed when asked for.
PLAN_EXPECTED = [HouseholdStatus.UNEXITED, HouseholdStatus.MONITORED]


def missing_plan_list(request):
    year = _year(request)
    households = selectors.households_without_plan(user=request.user, year=year)
    if not request.GET.get("status"):
        households = households.filter(status__in=PLAN_EXPECTED)
    households = HouseholdFilter(request.GET, queryset=households, user=request.user)
    if wants_export(request):
        # format_lazy, not %: the sheet's title follows the workbook's language.
        title = format_lazy("{} {}", gettext_lazy("Households without a plan"), year)
        return export_response(
            request,
            resource=MissingPlanResource(),
            queryset=households.qs,
            title=title,
            filename=f"households-without-plan-{year}",
        )
    page, query = paginate(request, households.qs)
    return render(
        request,
        "assistance/missing_plan_list.html",
        {"filter": households, "page": page, "year": year, "query": query},
    )


def plan_create(request, household_pk):
    household = get_object_or_404(Household.objects.editable_by(request.user), pk=household_pk)
    initial = {"cause_analysis": plan_default_analysis(household)}
    form = PlanForm(request.POST or None, household=household, initial=initial)
    if request.method == "POST" and form.is_valid():
        plan = plan_save(household=household, user=request.user, **form.values())
        messages.success(request, _("Plan saved."))
        return redirect(plan)
    return _render_plan_form(request, form, household)


def plan_edit(request, pk):
    plan = get_object_or_404(Plan.objects.editable_by(request.user).select_related("household"), pk=pk)
    household = plan.household
    form = PlanForm(request.POST or None, instance=plan, household=household)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            plan_save(household=household, plan=plan, version=form.sent_version(), user=request.user, **form.values())
        except StaleVersion as stale:
            if stale.current is None:
                raise Http404 from None  # deleted meanwhile: as if it had never been
            conflict = form_conflict(form, stale.current, name=_("Assistance plan"), household_id=household.pk)
            plan = stale.current  # shown again with the user's input over the plan as stored now
            form = PlanForm(conflict.data, instance=plan, household=household)
        else:
            messages.success(request, _("Plan saved."))
            return redirect(plan)
    return _render_plan_form(request, form, household, cancel_url=plan.get_absolute_url(), conflict=conflict)


def _render_plan_form(request, form, household, cancel_url=None, conflict=None):
    return render(
        request,
        "assistance/plan_form.html",
        {
            "form": form,
            "household": household,
            "cancel_url": cancel_url or household.get_absolute_url(),
            "conflict": conflict,
        },
    )


def plan_detail(request, pk):
    try:
        plan = selectors.plan_detail(user=request.user, pk=pk)
    except Plan.DoesNotExist:
        raise Http404 from None
    return render(request, "assistance/plan_detail.html", {"plan": plan, "can_edit": request.user.scope.can_edit})


def measure_create(request, pk):
    plan = get_object_or_404(Plan.objects.editable_by(request.user).select_related("household__village"), pk=pk)
    # From a monitoring case's page: the measure answers one of its risks (?risk=).
    risk = request.GET.get("risk", "")
    return _measure_form(request, plan, Measure(plan=plan, risk=risk if risk in MonitoringRisk.values else ""))


def measure_edit(request, pk):
    measure = get_object_or_404(
        Measure.objects.editable_by(request.user).select_related("plan__household__village"), pk=pk
    )
    return _measure_form(request, measure.plan, measure)


def _measure_form(request, plan, measure):
    form = MeasureForm(request.POST or None, instance=measure, plan=plan)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            measure_save(
                plan=plan,
                measure=measure if measure.pk else None,
                version=form.sent_version(),
                user=request.user,
                **form.values(),
            )
        except StaleVersion as stale:
            if stale.current is None:
                raise Http404 from None  # deleted meanwhile: as if it had never been
            conflict = form_conflict(form, stale.current, name=_("Measure"), household_id=plan.household_id)
            measure = stale.current  # shown again with the user's input over the measure as stored now
            form = MeasureForm(conflict.data, instance=measure, plan=plan)
        else:
            messages.success(request, _("Measure saved."))
            return redirect(plan)
    return render(
        request,
        "assistance/measure_form.html",
        {"form": form, "plan": plan, "measure": measure, "cancel_url": plan.get_absolute_url(), "conflict": conflict},
    )


def _year(request) -> int:
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", this_year))
    except ValueError:
        return this_year
    return year if FIRST_REGISTRY_YEAR <= year <= LAST_PLAUSIBLE_YEAR else this_year


def form_conflict(form, current: Plan | Measure | None, *, name: str, household_id: int) -> Conflict:
    """The conflict of a one-record form, for the page to show: how the record changed (or that it is gone),
    and who changed it last."""
    if current is None:
        row = RowConflict(name=name, kind=ConflictKind.DELETED)
    else:
        row = RowConflict(name=name, kind=ConflictKind.CHANGED, differences=differences(form, current))
    changed_at, changed_by = audit.last_recorded_change(
        household_id=household_id, object_types=[form.instance._meta.label], object_id=form.instance.pk
    )
    return Conflict(
        rows=[row],
        current=current,
        data=with_version(form.data, form, current),
        changed_at=changed_at or (current.updated_at if current else None),
        changed_by=changed_by,
    )
