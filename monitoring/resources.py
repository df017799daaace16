"""Column maps of the monitoring register for its Excel download (common.spreadsheets writes them).

The resource reads only what the register's selector loaded (household, village, `head_name`), so a
download costs the list's own queries whatever its length. Choices leave as labels.
"""

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from common.spreadsheets import field_label
from households.choices import MonitoringRisk
from households.resources import LIST_SEPARATOR
from monitoring.models import MonitoringCase


def risk_labels(risks) -> str:
    return LIST_SEPARATOR.join(str(MonitoringRisk(risk).label) for risk in risks if risk in MonitoringRisk.values)


class CaseResource(resources.ModelResource):
    """monitoring:cases: the register as the list shows it."""

    number = fields.Field(attribute="household__number", column_name=_("Household number"))
    head = fields.Field(attribute="head_name", column_name=_("Head of household"))
    village = fields.Field(column_name=_("Village"))
    kind = fields.Field(column_name=field_label(MonitoringCase, "kind"))
    origin = fields.Field(column_name=field_label(MonitoringCase, "origin"))
    risks = fields.Field(column_name=field_label(MonitoringCase, "risks"))
    state = fields.Field(column_name=field_label(MonitoringCase, "state"))
    reported_on = fields.Field(
        attribute="reported_on", column_name=field_label(MonitoringCase, "reported_on"), widget=widgets.DateWidget()
    )
    deadline_on = fields.Field(
        attribute="deadline_on", column_name=field_label(MonitoringCase, "deadline_on"), widget=widgets.DateWidget()
    )
    late = fields.Field(column_name=_("Late"))
    confirmed_on = fields.Field(
        attribute="confirmed_on", column_name=field_label(MonitoringCase, "confirmed_on"), widget=widgets.DateWidget()
    )
    removed_on = fields.Field(
        attribute="removed_on", column_name=field_label(MonitoringCase, "removed_on"), widget=widgets.DateWidget()
    )

    class Meta:
        model = MonitoringCase
        fields = (
            "number",
            "head",
            "village",
            "kind",
            "origin",
            "risks",
            "state",
            "reported_on",
            "deadline_on",
            "late",
            "confirmed_on",
            "removed_on",
        )

    def dehydrate_village(self, case):
        return case.household.village.name

    def dehydrate_kind(self, case):
        return case.get_kind_display()

    def dehydrate_origin(self, case):
        return case.get_origin_display()

    def dehydrate_risks(self, case):
        return risk_labels(case.risks)

    def dehydrate_state(self, case):
        return case.get_state_display()

    def dehydrate_late(self, case):
        return _("Late") if case.is_late() else ""
