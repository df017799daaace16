from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from common.concurrency import StaleVersion
from common.pagination import paginate, query_without_page
from common.spreadsheets import export_response, wants_export
from households import exits, panels, selectors, services
from households.classification import POST_EXIT_STATUSES, hundredths
from households.filters import HouseholdFilter
from households.forms import (
    AssessmentForm,
    ClassificationForm,
    ClassListFilterForm,
    HouseholdForm,
    IncomeFlagFilterForm,
    IncomeRecordForm,
    MemberFormSet,
    StatusChangeForm,
)
from households.models import Household, IncomeRecord
from households.resources import ClassResource, HouseholdResource, IncomeFlagResource


def household_list(request):
    households = HouseholdFilter(request.GET, queryset=selectors.household_list(user=request.user), user=request.user)
    if wants_export(request):
        return export_response(
            request,
            resource=HouseholdResource(),
            queryset=households.qs,
            title=gettext_lazy("Households"),
            filename="households",
        )
    page, query = paginate(request, households.qs)
    return render(
        request,
        "households/household_list.html",
        {"filter": households, "page": page, "query": query, "can_create": request.user.scope.can_edit},
    )


def household_detail(request, pk):
    return _render_detail(request, _visible_household(request, pk))


@require_POST
def member_reveal_id(request, pk, member_pk):
    household = _visible_household(request, pk)
    member = next((m for m in household.members.all() if m.pk == member_pk), None)
    if member is None:
        raise Http404
    services.id_numbers_reveal(members=[member], user=request.user, purpose="view")
    return _render_detail(request, household, revealed_member=member)


def _visible_household(request, pk):
    try:
        return selectors.household_detail(user=request.user, pk=pk)
    except Household.DoesNotExist:
        raise Http404 from None


def _render_detail(request, household, revealed_member=None):
    lines = household.income_lines
    post_exit = household.status in POST_EXIT_STATUSES
    classifications = list(household.classifications.all())
    return render(
        request,
        "households/household_detail.html",
        {
            "household": household,
            "revealed_member": revealed_member,
            "can_edit": request.user.scope.can_edit,
            "can_change_status": request.user.scope.can_change_status,
            "exit_blockers": services.exit_blockers(household, lines=lines),
            "income_years": selectors.income_history(household, lines),
            "post_exit": post_exit,
            "suggestion": services.classification_suggest(household, lines=lines) if post_exit else None,
            "current_classification": classifications[0] if classifications else None,
            "classifications": classifications,
            "panels": panels.rendered_for(household, request.user),
            "exit": exits.exit_panel(household, request.user, lines=lines),
        },
    )


def household_create(request):
    if not request.user.scope.can_edit:
        raise Http404
    return _household_form(request, Household())


def household_edit(request, pk):
    household = get_object_or_404(Household.objects.editable_by(request.user), pk=pk)
    return _household_form(request, household)


def _household_form(request, household):
    form = HouseholdForm(request.POST or None, instance=household, user=request.user)
    members = _member_formset(request, request.POST or None, household)
    conflict = revealed = None
    if request.method == "POST" and "reveal" in request.POST:
        # Showing a member's whole ID number from the form: logged, nothing saved, the input kept.
        revealed = _member_of(household, request.POST["reveal"])
        services.id_numbers_reveal(members=[revealed], user=request.user, purpose="edit")
    elif request.method == "POST":
        if all([form.is_valid(), members.is_valid()]):
            try:
                saved = services.household_save(
                    household=household if household.pk else None,
                    values=form.values(),
                    members=members.writes(),
                    version=form.sent_version(),
                    user=request.user,
                    **({} if household.pk else {"registered_as": form.cleaned_data["registered_as"]}),
                )
            except StaleVersion:  # changed since the form was opened: nothing saved, both versions shown
                conflict = services.household_conflict(household_form=form, member_formset=members)
            else:
                messages.success(request, _("Household %(number)s saved.") % {"number": saved.number})
                return redirect(saved)
        else:
            services.out_of_scope_values_record(
                user=request.user,
                household=household,
                clashes=[*form.out_of_scope, *(clash for f in members.forms for clash in f.out_of_scope)],
            )
            # A form can be invalid because of what changed meanwhile (a member deleted): that is said first.
            conflict = services.household_conflict(household_form=form, member_formset=members)
    if conflict is not None:
        household, form, members = _reopened(request, conflict)
    cancel_url = household.get_absolute_url() if household.pk else reverse("households:list")
    return render(
        request,
        "households/household_form.html",
        {
            "form": form,
            "members": members,
            "household": household,
            "cancel_url": cancel_url,
            "conflict": conflict,
            "revealed_member": revealed,
        },
    )


def _member_formset(request, data, household):
    return MemberFormSet(data, instance=household, prefix="members", form_kwargs={"user": request.user})


def _member_of(household, pk):
    """A member of a household the user may edit, by the pk a form sent; 404 for anything else."""
    member = household.members.filter(pk=pk).first() if household.pk and str(pk).isdigit() else None
    if member is None:
        raise Http404
    return member


def _reopened(request, conflict):
    """The form again after a conflict: the household as stored now, the user's input, the versions up to date."""
    if conflict.current is None:
        raise Http404  # deleted meanwhile: as if it had never been
    household = conflict.current
    form = HouseholdForm(conflict.data, instance=household, user=request.user)
    return household, form, _member_formset(request, conflict.data, household)


def assessment_create(request, pk):
    household = get_object_or_404(Household.objects.editable_by(request.user), pk=pk)
    form = AssessmentForm(request.POST or None, household=household)
    if request.method == "POST" and form.is_valid():
        services.assessment_record(assessment=form.instance, user=request.user)
        messages.success(request, _("2W3G assessment recorded."))
        return redirect(household)
    return render(request, "households/assessment_form.html", {"form": form, "household": household})


def status_change(request, pk):
    household = get_object_or_404(Household.objects.status_changeable_by(request.user), pk=pk)
    form = StatusChangeForm(request.POST or None, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_set_status(household=household, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Status changed."))
            return redirect(household)
    return render(
        request,
        "households/status_form.html",
        {"form": form, "household": household, "exit_blockers": services.exit_blockers(household)},
    )


# ---------------------------------------------------------------- income


def income_create(request, pk):
    household = get_object_or_404(Household.objects.editable_by(request.user), pk=pk)
    latest_line_year = max(selectors.income_lines(), default=None)
    return _income_form(request, household, IncomeRecord(), default_year=latest_line_year)


def income_edit(request, pk, year):
    record = get_object_or_404(
        IncomeRecord.objects.editable_by(request.user).select_related("household"), household_id=pk, year=year
    )
    return _income_form(request, record.household, record)


def _income_form(request, household, record, default_year=None):
    form = IncomeRecordForm(request.POST or None, instance=record, household=household, default_year=default_year)
    if request.method == "POST" and form.is_valid():
        record = services.income_record_save(household=household, user=request.user, **form.cleaned_data)
        messages.success(request, _("Income of %(year)s saved.") % {"year": record.year})
        return redirect(household)
    return render(request, "households/income_form.html", {"form": form, "household": household})


def income_flagged(request):
    form = IncomeFlagFilterForm(request.GET, user=request.user, lines=selectors.income_lines())
    line, page = form.chosen_line(), None
    if line is not None:
        data = form.cleaned_data
        households = selectors.income_flagged(
            user=request.user,
            line=line,
            village=data.get("village"),
            flag=data.get("flag", ""),
            status=data.get("status", ""),
        )
        if wants_export(request):
            return export_response(
                request,
                resource=IncomeFlagResource(line=line),
                queryset=households,
                title=gettext_lazy("Income flags"),
                filename=f"income-flags-{line.year}",
            )
        page, _query = paginate(request, households)
        page.object_list = [selectors.FlaggedHousehold(household) for household in page.object_list]
    return render(
        request,
        "households/income_flagged.html",
        {
            "form": form,
            "line": line,
            "share": hundredths(line.drop_share) if line else None,
            "page": page,
            "query": query_without_page(request),
        },
    )


# ---------------------------------------------------------------- classification after exit


def classification_list(request):
    form = ClassListFilterForm(request.GET, user=request.user)
    form.is_valid()  # an invalid filter is shown with its error and left out
    data = form.cleaned_data
    households = selectors.exited_by_class(user=request.user, village=data.get("village"))
    listed = selectors.with_list_joins(selectors.filter_by_class(households, data.get("exit_class", "")))
    if wants_export(request):
        return export_response(
            request,
            resource=ClassResource(),
            queryset=listed,
            title=gettext_lazy("Classes after exit"),
            filename="classes-after-exit",
        )
    counts = selectors.class_counts(households)
    page, query = paginate(request, listed)
    page.object_list = [selectors.ClassifiedHousehold(household) for household in page.object_list]
    return render(
        request,
        "households/classification_list.html",
        {"form": form, "counts": counts, "page": page, "query": query},
    )


def classification_confirm(request, pk):
    household = get_object_or_404(
        Household.objects.status_changeable_by(request.user).select_related("latest_assessment"), pk=pk
    )
    if household.status not in POST_EXIT_STATUSES:
        messages.error(request, _("Only households out of poverty are classified."))
        return redirect(household)
    suggestion = services.classification_suggest(household)
    form = ClassificationForm(request.POST or None, suggestion=suggestion)
    if request.method == "POST" and form.is_valid():
        try:
            services.classification_confirm(household=household, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Class confirmed."))
            return redirect(household)
    return render(
        request,
        "households/classification_form.html",
        {"form": form, "household": household, "suggestion": suggestion},
    )
