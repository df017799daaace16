from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistance import selectors
from assistance.forms import AssignmentForm
from assistance.resources import GuaranteeGapResource
from assistance.services.guarantee import assignment_set
from common.pagination import paginate
from common.spreadsheets import export_response, wants_export
from households.choices import AssignmentRole
from households.filters import HouseholdFilter
from households.models import Household


def gap_list(request):
    households = HouseholdFilter(request.GET, queryset=selectors.guarantee_gaps(user=request.user), user=request.user)
    if wants_export(request):
        title = gettext_lazy("Two-person guarantee gaps")
        return export_response(
            request, resource=GuaranteeGapResource(), queryset=households.qs, title=title, filename="guarantee-gaps"
        )
    page, query = paginate(request, households.qs)
    return render(request, "assistance/gap_list.html", {"filter": households, "page": page, "query": query})


def assign(request, household_pk, role):
    if role not in AssignmentRole.values:
        raise Http404
    household = get_object_or_404(
        Household.objects.editable_by(request.user).select_related("village"), pk=household_pk
    )
    form = AssignmentForm(request.POST or None, household=household, role=role)
    if request.method == "POST" and form.is_valid():
        try:
            assignment_set(household=household, role=role, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(role)s assigned.") % {"role": AssignmentRole(role).label})
            return redirect(household)
    return render(
        request,
        "assistance/assignment_form.html",
        {
            "form": form,
            "household": household,
            "role": AssignmentRole(role),
            "cancel_url": household.get_absolute_url(),
        },
    )
