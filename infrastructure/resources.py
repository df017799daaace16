"""Column map of the project list for its Excel download (common.spreadsheets writes it).

The list's selector has already joined the village and computed the beneficiary
counts and the traffic light in SQL, so the download reads no more than the page.
"""

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from common.spreadsheets import field_label
from infrastructure.deadlines import Light
from infrastructure.models import Project


def _date_field(name: str) -> fields.Field:
    return fields.Field(attribute=name, column_name=field_label(Project, name), widget=widgets.DateWidget())


class ProjectResource(resources.ModelResource):
    """infrastructure:list: each project, where it stands, what it costs and whom it serves."""

    year = fields.Field(attribute="year", column_name=_("Year"), widget=widgets.IntegerWidget())
    village = fields.Field(attribute="village__name", column_name=_("Village"))
    name = fields.Field(attribute="name", column_name=_("Project"))
    category = fields.Field(column_name=_("Category"))
    status = fields.Field(column_name=_("Status"))
    light = fields.Field(column_name=_("Traffic light"))
    budget = fields.Field(
        attribute="budget", column_name=field_label(Project, "budget"), widget=widgets.DecimalWidget()
    )
    funding_source = fields.Field(attribute="funding_source", column_name=field_label(Project, "funding_source"))
    contractor = fields.Field(attribute="contractor", column_name=field_label(Project, "contractor"))
    beneficiary_count = fields.Field(
        attribute="beneficiary_count", column_name=_("Beneficiary households"), widget=widgets.IntegerWidget()
    )
    poor_count = fields.Field(
        attribute="poor_count", column_name=_("Poor or monitored beneficiaries"), widget=widgets.IntegerWidget()
    )
    declared_on = _date_field("declared_on")
    started_on = _date_field("started_on")
    completed_on = _date_field("completed_on")
    accepted_on = _date_field("accepted_on")
    cancelled_on = _date_field("cancelled_on")

    class Meta:
        model = Project
        fields = (
            "year",
            "village",
            "name",
            "category",
            "status",
            "light",
            "budget",
            "funding_source",
            "contractor",
            "beneficiary_count",
            "poor_count",
            "declared_on",
            "started_on",
            "completed_on",
            "accepted_on",
            "cancelled_on",
        )
        export_order = fields

    def dehydrate_category(self, project):
        return project.get_category_display()

    def dehydrate_status(self, project):
        return project.get_status_display()

    def dehydrate_light(self, project):
        return str(Light(project.light).label)
