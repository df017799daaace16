"""Column maps of the visit lists for their Excel downloads (common.spreadsheets writes them).

The visits and the flags are querysets with their joins done by the selectors;
the visits due and the compliance table are rows computed in Python, exported
with plain resources over those same rows. Choices leave as labels.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from common.spreadsheets import field_label
from households.choices import AssignmentRole
from visits.models import FlagKind, Visit, VisitFlag
from visits.selectors import ComplianceRow, DueVisit


class VisitResource(resources.ModelResource):
    """visits:list: who visited which household when, and what they found."""

    visited_on = fields.Field(attribute="visited_on", column_name=_("Date"), widget=widgets.DateWidget())
    household = fields.Field(attribute="household__number", column_name=_("Household number"))
    head = fields.Field(attribute="head_name", column_name=_("Head of household"))
    village = fields.Field(attribute="household__village__name", column_name=_("Village"))
    visitor = fields.Field(column_name=_("Visitor"))
    role = fields.Field(column_name=field_label(Visit, "role"))
    method = fields.Field(column_name=_("Method"))
    late = fields.Field(column_name=field_label(Visit, "late"))
    met_with = fields.Field(attribute="met_with", column_name=field_label(Visit, "met_with"))
    findings = fields.Field(attribute="findings", column_name=field_label(Visit, "findings"))
    problems_found = fields.Field(attribute="problems_found", column_name=field_label(Visit, "problems_found"))
    problems_solved = fields.Field(attribute="problems_solved", column_name=field_label(Visit, "problems_solved"))
    follow_up = fields.Field(attribute="follow_up", column_name=field_label(Visit, "follow_up"))
    made_at = fields.Field(
        attribute="made_at", column_name=field_label(Visit, "made_at"), widget=widgets.DateTimeWidget()
    )
    received_at = fields.Field(
        attribute="received_at", column_name=field_label(Visit, "received_at"), widget=widgets.DateTimeWidget()
    )
    offline = fields.Field(column_name=field_label(Visit, "offline"))

    class Meta:
        model = Visit
        fields = (
            "visited_on",
            "household",
            "head",
            "village",
            "visitor",
            "role",
            "method",
            "late",
            "met_with",
            "findings",
            "problems_found",
            "problems_solved",
            "follow_up",
            "made_at",
            "received_at",
            "offline",
        )
        export_order = fields

    def dehydrate_visitor(self, visit):
        return str(visit.visitor)

    def dehydrate_role(self, visit):
        return visit.get_role_display()

    def dehydrate_method(self, visit):
        return visit.get_method_display()

    def dehydrate_late(self, visit):
        return str(_("Yes")) if visit.late else ""

    def dehydrate_offline(self, visit):
        return str(_("Yes")) if visit.offline else ""


class VisitFlagResource(resources.ModelResource):
    """visits:flags: the visits not logged in time, with who was to make them and for which period."""

    household = fields.Field(attribute="household__number", column_name=_("Household number"))
    head = fields.Field(attribute="head_name", column_name=_("Head of household"))
    village = fields.Field(attribute="household__village__name", column_name=_("Village"))
    visitor = fields.Field(column_name=_("Visitor"))
    role = fields.Field(column_name=field_label(Visit, "role"))
    period_start = fields.Field(
        attribute="period_start", column_name=field_label(VisitFlag, "period_start"), widget=widgets.DateWidget()
    )
    period_end = fields.Field(
        attribute="period_end", column_name=field_label(VisitFlag, "period_end"), widget=widgets.DateWidget()
    )
    kind = fields.Field(column_name=_("Flag"))
    raised_at = fields.Field(
        attribute="raised_at", column_name=field_label(VisitFlag, "raised_at"), widget=widgets.DateTimeWidget()
    )

    class Meta:
        model = VisitFlag
        fields = ("household", "head", "village", "visitor", "role", "period_start", "period_end", "kind", "raised_at")
        export_order = fields

    def dehydrate_visitor(self, flag):
        return str(flag.visitor) if flag.visitor else ""

    def dehydrate_role(self, flag):
        return flag.rule.get_visitor_role_display()

    def dehydrate_kind(self, flag):
        return flag.get_kind_display()


class DueVisitResource(resources.Resource):
    """visits:due: the rows of "my visits due" (DueVisit), most urgent first as on the page."""

    household = fields.Field(attribute="household__number", column_name=_("Household number"))
    head = fields.Field(attribute="household__head_name", column_name=_("Head of household"))
    village = fields.Field(attribute="household__village__name", column_name=_("Village"))
    role = fields.Field(column_name=field_label(Visit, "role"))
    period_start = fields.Field(
        attribute="period__start", column_name=field_label(VisitFlag, "period_start"), widget=widgets.DateWidget()
    )
    period_end = fields.Field(
        attribute="period__end", column_name=field_label(VisitFlag, "period_end"), widget=widgets.DateWidget()
    )
    state = fields.Field(column_name=_("Status"))
    last_visited_on = fields.Field(
        attribute="last_visited_on", column_name=_("Last visit"), widget=widgets.DateWidget()
    )

    class Meta:
        fields = ("household", "head", "village", "role", "period_start", "period_end", "state", "last_visited_on")
        export_order = fields

    def dehydrate_role(self, due: DueVisit):
        return str(AssignmentRole(due.role).label)

    def dehydrate_state(self, due: DueVisit):
        if due.done:
            return str(_("Done this period"))
        if due.flag in FlagKind.values:
            return str(FlagKind(due.flag).label)
        return str(_("Not visited yet"))


@dataclass(frozen=True)
class ComplianceLine:
    """A line of the compliance download: one of the page's two tables, or the total."""

    breakdown: str
    row: ComplianceRow


def compliance_lines(villages, visitors, total) -> list[ComplianceLine]:
    """The page's tables one under the other, by village then by visitor, and the total last."""
    return [
        *(ComplianceLine(_("By village"), row) for row in villages),
        *(ComplianceLine(_("By visitor"), row) for row in visitors),
        ComplianceLine(_("Total"), total),
    ]


class ComplianceResource(resources.Resource):
    """visits:compliance: visits done against visits required for a month, as the page counts them."""

    breakdown = fields.Field(column_name=_("Breakdown"))
    name = fields.Field(attribute="row__label", column_name=_("Village or visitor"))
    done = fields.Field(attribute="row__done", column_name=_("Done"), widget=widgets.IntegerWidget())
    required = fields.Field(attribute="row__required", column_name=_("Required"), widget=widgets.IntegerWidget())
    rate = fields.Field(column_name=_("Rate (%)"))

    class Meta:
        fields = ("breakdown", "name", "done", "required", "rate")
        export_order = fields

    def dehydrate_breakdown(self, line: ComplianceLine):
        return str(line.breakdown)

    def dehydrate_rate(self, line: ComplianceLine):
        rate = line.row.rate
        return None if rate is None else round(100 * rate, 1)
