"""The roster import pages, for administrators only (everyone else gets 404, as for anything out of scope).

Upload -> the whole file checked -> preview with counts and every issue -> confirm
-> applied all or nothing -> the same page shows the result. Files with more rows
than ROSTER_BACKGROUND_ROWS are checked and applied by a background job while the
page refreshes itself with a progress bar.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.models import Reach
from common.spreadsheets import record_export
from households import tasks
from households.forms import RosterUploadForm
from households.models import ImportBatch
from households.roster import batches, workbooks
from households.roster.issues import unlisted_lines
from households.roster.reader import RosterFileError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECENT_BATCHES = 20
ISSUES_PER_PAGE = 50
REFRESH_SECONDS = 2


def _require_admin(request):
    if request.user.scope.reach is not Reach.EVERYTHING:
        raise Http404


def _batch(request, pk) -> ImportBatch:
    _require_admin(request)
    return get_object_or_404(
        ImportBatch.objects.visible_to(request.user).select_related("uploaded_by", "confirmed_by"), pk=pk
    )


def roster_import(request):
    _require_admin(request)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = batches.batch_receive(
                upload=upload, original_name=upload.name, user=request.user, sheet_name=form.cleaned_data["sheet_name"]
            )
        except RosterFileError as error:
            form.add_error("file", error.issue.message)
        else:
            if batches.batch_start(batch):
                _enqueue(request, batch, tasks.validate_roster)
            return redirect(batch)
    recent = ImportBatch.objects.visible_to(request.user).select_related("uploaded_by", "confirmed_by")
    return render(
        request,
        "households/import_upload.html",
        {"form": form, "recent": recent[:RECENT_BATCHES], "languages": [("zh", "中文"), ("en", "English")]},
    )


def import_detail(request, pk):
    batch = _batch(request, pk)
    page = Paginator(batch.issues.all(), ISSUES_PER_PAGE).get_page(request.GET.get("page"))
    response = render(
        request,
        "households/import_detail.html",
        {
            "batch": batch,
            "earlier": batches.earlier_upload(batch),
            "page": page,
            "refresh": REFRESH_SECONDS if batch.in_progress else None,
            "written": batches.apply_progress(batch) if batch.status == ImportBatch.Status.APPLYING else None,
            "Status": ImportBatch.Status,
            "failure": batches.failure_message(batch),
            "unlisted": unlisted_lines(batch.counts.get("unlisted")),
        },
    )
    if batch.in_progress:
        response["Refresh"] = str(REFRESH_SECONDS)  # the page reloads itself until the job is done; no script
    return response


def import_apply(request, pk):
    batch = _batch(request, pk)  # out of scope is 404 whatever the method, as everywhere else
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not batch.can_apply:
        messages.error(
            request, _("This import cannot be applied: it is %(status)s.") % {"status": batch.get_status_display()}
        )
        return redirect(batch)
    if batches.batch_confirm(batch, user=request.user):
        _enqueue(request, batch, tasks.apply_roster)
    elif batch.status == ImportBatch.Status.APPLIED:
        messages.success(request, _("The roster has been applied."))
    else:
        messages.error(request, _("The roster was not applied: see below."))
    return redirect(batch)


def import_errors(request, pk):
    """The uploaded sheet with every bad cell marked red and its reasons as a comment."""
    batch = _batch(request, pk)
    try:
        with batch.file.open("rb") as file:
            content = workbooks.marked_copy(
                file,
                sheet_name=batch.sheet_name,
                issues=batch.issues.all(),
                errors_title=_("Errors"),
                errors_columns=[_("Row"), _("Column"), _("Header"), _("Reason")],
                unlisted=batch.counts.get("unlisted"),
            )
    except RosterFileError:
        messages.error(request, _("The file itself cannot be read, so there are no cells to mark."))
        return redirect(batch)
    record_export(request, rows=batch.rows_total or 0)  # the uploaded rows, whole ID numbers included
    return _download(content, f"roster-{batch.pk}-errors.xlsx")


def import_template(request):
    _require_admin(request)
    lang = request.GET.get("lang", "zh")
    lang = lang if lang in workbooks.WORDS else "zh"
    return _download(workbooks.template(lang), f"roster-template-{lang}.xlsx")


def _download(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _enqueue(request, batch: ImportBatch, task) -> None:
    """Queue the job once the batch is committed (delay_on_commit), catching a dead broker inside the callback.

    The page never waits on the broker (CELERY_BROKER_* give up within a
    second); when it cannot be reached, the batch says so and the user is told.
    """

    def send():
        try:
            task.delay(batch.pk)
        except Exception as error:  # kombu's OperationalError, or whatever a broken transport raises
            batches.batch_enqueue_failed(batch, error)

    transaction.on_commit(send)
    if batch.failure:
        messages.error(
            request, _("The background worker cannot be reached just now; nothing was changed. Try again later.")
        )
