"""The monthly report for the town, as a page and as an Excel workbook (?format=xlsx, &lang=en for English headers)."""

from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.spreadsheets import Sheet, export_language, record_export, wants_export, xlsx_response
from households.models import StatusChange
from reports import monthly
from reports.monthly import MonthlyReport


def monthly_report(request):
    today = timezone.localdate()
    asked = request.GET.get("month", "")
    month = monthly.parse_month(asked) or monthly.default_month(today)
    context = {
        "month": month,
        "bad_month": asked if asked and monthly.parse_month(asked) is None else "",
        "query": f"month={month:%Y-%m}",
        "default_month": monthly.default_month(today),
        "first_month": monthly.FIRST_MONTH,
        "too_early": month < monthly.FIRST_MONTH,
        "too_late": month > today.replace(day=1),
    }
    if not monthly.is_reportable(month, today):
        return render(request, "reports/monthly_report.html", context)
    context["previous"] = _within(monthly.previous_month(month), today)
    context["next"] = _within(monthly.next_month(month), today)
    report = monthly.monthly_report(user=request.user, month=month)
    if wants_export(request):
        with translation.override(export_language(request)):
            sheets = monthly_sheets(report)
        # It names households (status changes, loans): a download of personal data like any list's.
        record_export(request, rows=sum(len(sheet.rows) for sheet in sheets))
        return xlsx_response(sheets, f"monthly-report-{month:%Y-%m}.xlsx")
    return render(request, "reports/monthly_report.html", {**context, "report": report})


def _within(month, today):
    return month if monthly.is_reportable(month, today) else None


# ---------------------------------------------------------------- the workbook


def monthly_sheets(report: MonthlyReport) -> list[Sheet]:
    """One worksheet per table of the page, headers and labels in the active language, numbers left numbers."""
    return [
        _cover(report),
        _compliance(report),
        Sheet(_("Visits logged"), [_("Village"), _("Visits")], [(row.village, row.count) for row in report.visits]),
        Sheet(
            _("Status changes by type"),
            [_status_field("from_status"), _status_field("to_status"), _("Changes")],
            [(str(pair.from_label), str(pair.to_label), pair.count) for pair in report.status_pairs],
        ),
        _status_changes(report),
        _visit_flags(report),
        _instalments(report),
        _milestone_flags(report),
        _project_events(report),
        Sheet(
            _("Traffic lights"),
            [_("Light"), _("Projects")],
            [(str(row.label), row.count) for row in report.lights],
        ),
    ]


def _cover(report: MonthlyReport) -> Sheet:
    return Sheet(
        _("Monthly report"),
        [_("Month"), _("Counted until")],
        [(f"{report.month:%Y-%m}", report.until)],
    )


def _compliance(report: MonthlyReport) -> Sheet:
    rows = [(row.label, row.required, row.done, row.rate) for row in report.compliance]
    total = report.compliance_total
    rows.append((_("Total"), total.required, total.done, total.rate))
    return Sheet(_("Visit compliance"), [_("Village"), _("Required"), _("Done"), _("Rate")], rows)


def _status_field(name: str) -> str:
    return capfirst(str(StatusChange._meta.get_field(name).verbose_name))


def _status_changes(report: MonthlyReport) -> Sheet:
    return Sheet(
        _("Status changes"),
        [
            _("Household number"),
            _("Village"),
            _status_field("from_status"),
            _status_field("to_status"),
            _status_field("changed_on"),
            _status_field("reason"),
            _status_field("changed_by"),
            _status_field("import_batch"),
        ],
        [
            (
                row.household_number,
                row.village,
                str(row.from_label),
                str(row.to_label),
                row.changed_on,
                row.reason,
                row.changed_by,
                row.import_batch_id,
            )
            for row in report.status_changes
        ],
    )


def _visit_flags(report: MonthlyReport) -> Sheet:
    rows = [
        (row.village or _("Total"), str(row.kind_label), row.raised, row.cleared, row.open_at_end)
        for row in (*report.visit_flags, *report.visit_flag_totals)
    ]
    return Sheet(_("Visit flags"), [_("Village"), _("Flag"), _("Raised"), _("Cleared"), _("Open at month end")], rows)


def _instalments(report: MonthlyReport) -> Sheet:
    rows = [
        (row.village or _("Total"), row.due, row.due_amount, row.paid, row.overdue, row.overdue_amount)
        for row in (*report.instalments, report.instalments_total)
    ]
    headers = [
        _("Village"),
        _("Instalments due in the month"),
        _("Amount due (yuan)"),
        _("Paid off"),
        _("Overdue at month end"),
        _("Amount overdue (yuan)"),
    ]
    return Sheet(_("Loan instalments"), headers, rows)


def _milestone_flags(report: MonthlyReport) -> Sheet:
    rows = [
        (row.village or _("Total"), str(row.kind_label), row.raised, row.cleared)
        for row in (*report.milestone_flags, *report.milestone_flag_totals)
    ]
    return Sheet(_("Milestone flags"), [_("Village"), _("Flag"), _("Raised"), _("Cleared")], rows)


# The columns of a project step, named as the steps' own table named them before it joined the audit trail.
EVENT_FIELDS = {
    "from_status": gettext_lazy("from"),
    "to_status": gettext_lazy("to"),
    "happened_on": gettext_lazy("date"),
    "reason": gettext_lazy("reason or note"),
    "by": gettext_lazy("recorded by"),
}


def _event_field(name: str) -> str:
    return capfirst(str(EVENT_FIELDS[name]))


def _project_events(report: MonthlyReport) -> Sheet:
    return Sheet(
        _("Project steps"),
        [
            _("Project"),
            _("Village"),
            _("Year"),
            _event_field("from_status"),
            _event_field("to_status"),
            _event_field("happened_on"),
            _event_field("reason"),
            _event_field("by"),
        ],
        [
            (
                row.project,
                row.village,
                row.year,
                str(row.from_label),
                str(row.to_label),
                row.happened_on,
                row.reason,
                row.by,
            )
            for row in report.project_events
        ],
    )
