"""Department warning lists: upload, check and preview, apply all or nothing (administrators and town officials).

Everyone else gets 404 on every page, as for anything out of scope. An official sees the lists they uploaded;
an administrator sees all. The preview is matched again each time it is shown, against the registry as it
is now and within the viewer's scope.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.models import Reach
from common.spreadsheets import record_export
from households.roster import workbooks
from households.roster.issues import unlisted_lines
from households.roster.reader import RosterFileError
from monitoring import services
from monitoring import warnings as warning_lists
from monitoring.forms_warnings import WarningUploadForm
from monitoring.models import WarningUpload

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECENT = 20
SHOWN_ROWS = 500  # rows of a preview listed on the page; the counts cover them all


def _require_uploader(request):
    if request.user.scope.reach not in (Reach.EVERYTHING, Reach.TOWN):
        raise Http404


def _upload(request, pk) -> WarningUpload:
    _require_uploader(request)
    return get_object_or_404(WarningUpload.objects.visible_to(request.user).select_related("uploaded_by"), pk=pk)


def warning_lists_page(request):
    _require_uploader(request)
    form = WarningUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            upload = services.warning_upload_receive(
                file=file, original_name=file.name, department=form.cleaned_data["department"], user=request.user
            )
        except warning_lists.ListFileError as failure:
            form.add_error("file", failure.error.message)
        else:
            return redirect(upload)
    recent = WarningUpload.objects.visible_to(request.user).select_related("uploaded_by")[:RECENT]
    return render(request, "monitoring/warning_lists.html", {"form": form, "recent": recent})


def warning_upload(request, pk):
    upload = _upload(request, pk)
    context = {"upload": upload, "Status": WarningUpload.Status, "shown": SHOWN_ROWS}
    if upload.status == WarningUpload.Status.INVALID:
        errors = [warning_lists.ListError.from_json(error) for error in upload.errors]
        context["errors"] = errors
        context["unlisted"] = unlisted_lines({"errors": upload.counts.get("errors", len(errors)) - len(errors)})
    elif upload.status == WarningUpload.Status.READY:
        context.update(_preview(request, upload))
    return render(request, "monitoring/warning_upload.html", context)


def _preview(request, upload: WarningUpload) -> dict:
    try:
        with upload.file.open("rb") as file:
            checked = warning_lists.check_list(file)
    except warning_lists.ListFileError as failure:
        return {"failure": failure.error.message}
    if checked.errors:  # a date that was today is not in the future tomorrow; the reverse cannot happen
        return {"failure": _("The list no longer checks clean; upload it again.")}
    preview = warning_lists.match_rows(checked.rows, department=upload.department, user=request.user)
    counts = preview.counts
    return {
        "counts": counts,
        "matched": preview.matched[:SHOWN_ROWS],
        "unmatched": preview.unmatched[:SHOWN_ROWS],
        "nothing_to_apply": counts["matched"] == counts["received"],
    }


def warning_apply(request, pk):
    upload = _upload(request, pk)  # out of scope is 404 whatever the method, as everywhere else
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.warning_upload_apply(upload=upload, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The warning list has been applied."))
    return redirect(upload)


def warning_errors(request, pk):
    """The uploaded list with every bad cell marked red and its reasons as a comment."""
    upload = _upload(request, pk)
    errors = [warning_lists.ListError.from_json(error) for error in upload.errors]
    try:
        with upload.file.open("rb") as file:
            content = workbooks.marked_copy(
                file,
                sheet_name="",
                issues=errors,
                errors_title=_("Errors"),
                errors_columns=[_("Row"), _("Column"), _("Header"), _("Reason")],
                unlisted={"errors": upload.counts.get("errors", len(errors)) - len(errors)},
            )
    except RosterFileError:
        messages.error(request, _("The file itself cannot be read, so there are no cells to mark."))
        return redirect(upload)
    record_export(request, rows=upload.counts.get("errors", len(errors)))  # the list's rows, whole ID numbers included
    return _download(content, f"warnings-{upload.pk}-errors.xlsx")


def warning_template(request):
    _require_uploader(request)
    return _download(warning_lists.template(), "warning-list-template.xlsx")


def _download(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
