from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from households import panels, selectors, services
from households.filters import HouseholdFilter
from households.forms import AssessmentForm, HouseholdForm, MemberFormSet, StatusChangeForm
from households.models import Household

MORE_FILTERS = ("village", "group", "status", "main_cause", "failing")


def household_list(request):
    households = HouseholdFilter(request.GET, queryset=selectors.household_list(user=request.user), user=request.user)
    page = Paginator(households.qs, settings.HOUSEHOLDS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "households/household_list.html",
        {
            "filter": households,
            "page": page,
            "query": query.urlencode(),
            "filters_active": any(request.GET.get(name) for name in MORE_FILTERS),
            "can_create": request.user.scope.can_edit,
        },
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
    return render(
        request,
        "households/household_detail.html",
        {
            "household": household,
            "revealed_member": revealed_member,
            "can_edit": request.user.scope.can_edit,
            "can_change_status": request.user.scope.can_change_status,
            "exit_blockers": services.exit_blockers(household),
            "panels": panels.rendered_for(household, request.user),
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
    members = MemberFormSet(request.POST or None, instance=household, prefix="members")
    if request.method == "POST" and form.is_valid() and members.is_valid():
        household = services.household_save(household_form=form, member_formset=members, user=request.user)
        messages.success(request, _("Household %(number)s saved.") % {"number": household.number})
        return redirect(household)
    if request.method == "GET" and household.pk:
        # The edit form shows whole ID numbers, so opening it is a logged reveal.
        services.id_numbers_reveal(members=list(household.members.all()), user=request.user, purpose="edit")
    cancel_url = household.get_absolute_url() if household.pk else reverse("households:list")
    return render(
        request,
        "households/household_form.html",
        {"form": form, "members": members, "household": household, "cancel_url": cancel_url},
    )


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
