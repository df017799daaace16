"""The exit procedure's pages: start, record the step waited on, an objection, a withdrawal; the register,
a step's document and the village's publicity notice."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.trail import access_record_export
from common.documents import document_response
from common.pagination import paginate
from common.spreadsheets import export_response, wants_export
from households import exits, notice
from households.forms import ExitObjectionForm, ExitRegisterFilterForm, ExitStartForm, ExitStepForm, ExitWithdrawForm
from households.models import ExitProcedure, ExitStepRecord, Household, Village
from households.resources import ExitRegisterResource


def exit_start(request, pk):
    household = get_object_or_404(Household.objects.editable_by(request.user), pk=pk)
    form = ExitStartForm(request.POST or None)
    return _exit_form(
        request,
        form,
        household=household,
        title=_("Start the exit procedure"),
        write=lambda data: exits.exit_procedure_start(household=household, user=request.user, **data),
        done=_("Exit procedure started."),
    )


def exit_step(request, pk):
    procedure = _waiting_procedure(request, pk)
    step = procedure.waiting_on
    form = ExitStepForm(request.POST or None, request.FILES or None, step=step)
    return _exit_form(
        request,
        form,
        household=procedure.household,
        title=_("Record: %(step)s") % {"step": step.label},
        write=lambda data: exits.exit_step_complete(procedure=procedure, user=request.user, **data),
        done=_("“%(step)s” recorded.") % {"step": step.label},
        step=step,
    )


def exit_objection(request, pk):
    procedure = _waiting_procedure(request, pk)
    if not procedure.waiting_on.is_publicity:
        messages.error(request, _("Objections are recorded only while the household's exit is publicised."))
        return redirect(procedure.household)
    return _exit_form(
        request,
        ExitObjectionForm(request.POST or None),
        household=procedure.household,
        title=_("Record an objection"),
        write=lambda data: exits.exit_objection_record(procedure=procedure, user=request.user, **data),
        done=_("Objection recorded: the household is sent back a step."),
    )


def exit_withdraw(request, pk):
    procedure = _waiting_procedure(request, pk)
    return _exit_form(
        request,
        ExitWithdrawForm(request.POST or None),
        household=procedure.household,
        title=_("Withdraw the exit procedure"),
        write=lambda data: exits.exit_procedure_withdraw(procedure=procedure, user=request.user, **data),
        done=_("Exit procedure withdrawn."),
    )


def _waiting_procedure(request, pk) -> ExitProcedure:
    """An open procedure in scope whose waited step the user may record; 404 for any other (a forged POST too)."""
    procedure = get_object_or_404(
        ExitProcedure.objects.visible_to(request.user)
        .filter(state=ExitProcedure.State.OPEN)
        .select_related("household__village", "waiting_on"),
        pk=pk,
    )
    if not exits.may_record(request.user, procedure.household, procedure.waiting_on):
        raise Http404
    return procedure


def _exit_form(request, form, *, household, title, write, done, step=None):
    if request.method == "POST" and form.is_valid():
        try:
            write(form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, done)
            return redirect(household)
    return render(
        request, "households/exit_form.html", {"form": form, "household": household, "title": title, "step": step}
    )


def exit_document(request, pk):
    record = get_object_or_404(ExitStepRecord.objects.visible_to(request.user).exclude(document=""), pk=pk)
    return document_response(record.document, content_type=record.document_type, filename=record.document_name)


def exit_register(request):
    form = ExitRegisterFilterForm(request.GET, user=request.user)
    form.is_valid()  # an invalid filter is shown with its error and left out
    data = form.cleaned_data
    procedures = exits.exit_register(
        user=request.user, village=data.get("village"), step=data.get("step"), year=data.get("year")
    )
    if wants_export(request):
        return export_response(
            request,
            resource=ExitRegisterResource(),
            queryset=procedures,
            title=gettext_lazy("Exit register"),
            filename="exit-register",
        )
    page, query = paginate(request, procedures)
    page.object_list = [exits.RegisterRow(procedure) for procedure in page.object_list]
    notices = exits.villages_in_publicity(user=request.user) if request.user.scope.can_edit else []
    return render(
        request, "households/exit_register.html", {"form": form, "page": page, "query": query, "notices": notices}
    )


def exit_notice(request, pk):
    if not request.user.scope.can_edit:
        raise Http404
    village = get_object_or_404(Village.objects.visible_to(request.user).select_related("town"), pk=pk)
    rows = exits.publicity_list(user=request.user, village=village)
    content = notice.publicity_notice_pdf(village=village, rows=rows, on=timezone.localdate())
    access_record_export(user=request.user, list_name="exit-publicity-notice", rows=len(rows), query=f"village={pk}")
    filename = f"exit-publicity-{village.name}.pdf"
    return HttpResponse(
        content,
        content_type="application/pdf",
        headers={"Content-Disposition": content_disposition_header(as_attachment=True, filename=filename)},
    )
