"""Pages of small poverty-alleviation loans: the list, the due and overdue instalments, a loan, its forms."""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistance import selectors as selectors
from assistance.forms import InstalmentFilter, LoanFilter, LoanForm, RepaymentForm
from assistance.models import Loan
from assistance.resources import InstalmentResource, LoanResource
from assistance.services import loans as services
from assistance.services.loans import due_soon_days
from assistance.views.programmes import (
    chosen_household,
    detail_or_404,
    form_page,
    list_page,
    pick_household_page,
    require_editor,
)


def loan_list(request):
    loans = LoanFilter(request.GET, queryset=selectors.loan_list(user=request.user), user=request.user)
    return list_page(
        request,
        filterset=loans,
        template="assistance/loans/loan_list.html",
        resource=LoanResource(),
        title=gettext_lazy("Small poverty-alleviation loans"),
        filename="loans",
    )


def instalment_list(request):
    instalments = InstalmentFilter(
        request.GET, queryset=selectors.instalment_list(user=request.user), user=request.user
    )
    return list_page(
        request,
        filterset=instalments,
        template="assistance/loans/instalment_list.html",
        resource=InstalmentResource(),
        title=gettext_lazy("Instalments due and overdue"),
        filename="instalments-due",
    )


def loan_detail(request, pk):
    loan = detail_or_404(selectors.loan_detail, request, pk, Loan)
    context = {"loan": loan, "can_edit": request.user.scope.can_edit, "due_soon_days": due_soon_days()}
    return render(request, "assistance/loans/loan_detail.html", context)


def loan_create(request):
    require_editor(request)
    household = chosen_household(request)
    if household is None:
        return pick_household_page(request, title=_("New loan"), cancel_url=reverse("assistance:loan-list"))
    form = LoanForm(request.POST or None, household=household)
    return form_page(
        request,
        form=form,
        save=lambda form, *, user: services.loan_create(loan=form.instance, user=user),
        title=_("New loan"),
        cancel_url=household.get_absolute_url(),
        context={"household": household},
    )


def loan_edit(request, pk):
    loan = get_object_or_404(Loan.objects.editable_by(request.user).select_related("household"), pk=pk)
    form = LoanForm(request.POST or None, instance=loan, household=loan.household)
    return form_page(
        request,
        form=form,
        save=lambda form, *, user: services.loan_update(loan=form.instance, user=user),
        title=_("Edit loan"),
        cancel_url=loan.get_absolute_url(),
        context={"household": loan.household, "help": _("Changing the terms rewrites the instalment schedule.")},
    )


def loan_repay(request, pk):
    loan = get_object_or_404(Loan.objects.editable_by(request.user).select_related("household"), pk=pk)
    form = RepaymentForm(request.POST or None)

    def record(form, *, user):
        services.loan_record_repayment(loan=loan, user=user, **form.cleaned_data)
        return loan

    return form_page(
        request,
        form=form,
        save=record,
        title=_("Record a repayment"),
        cancel_url=loan.get_absolute_url(),
        context={
            "household": loan.household,
            "help": _("Still owed: %(owed)s yuan. A repayment pays the oldest unpaid instalments first.")
            % {"owed": services.loan_outstanding(loan)},
        },
    )
