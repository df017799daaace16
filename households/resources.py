"""Column maps of the registry's lists for their Excel downloads (common.spreadsheets writes them).

Each resource reads only what its list's selector has already loaded (village,
heads prefetched as `heads`, annotations), so a download costs the list's own
queries whatever its length. ID numbers leave masked; choices leave as labels.
"""

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from common.spreadsheets import field_label
from households.choices import PovertyCause
from households.exits import RegisterRow
from households.models import ExitProcedure, Household
from households.selectors import ClassifiedHousehold, FlaggedHousehold, IncomeFlag

LIST_SEPARATOR = "、"  # how Chinese lists run items together


def _head(household: Household):
    heads = household.heads  # prefetched by every list's selector
    return heads[0] if heads else None


def _labels(items) -> str:
    return LIST_SEPARATOR.join(str(item.label) for item in items)


class HouseholdColumns(resources.ModelResource):
    """Who the household is: the first columns of every household list."""

    number = fields.Field(attribute="number", column_name=_("Household number"))
    village = fields.Field(column_name=_("Village"))
    head = fields.Field(column_name=_("Head of household"))
    head_id_number = fields.Field(column_name=_("ID number"))
    status = fields.Field(column_name=_("Status"))

    class Meta:
        model = Household
        fields = ("number", "village", "head", "head_id_number", "status")

    def dehydrate_village(self, household):
        return household.village.name

    def dehydrate_head(self, household):
        head = _head(household)
        return head.name if head else ""

    def dehydrate_head_id_number(self, household):
        head = _head(household)
        return head.masked_id_number if head else ""

    def dehydrate_status(self, household):
        return household.get_status_display()


class HouseholdResource(HouseholdColumns):
    """households:list: the registry as the list shows it, plus what an office files it by."""

    group = fields.Field(column_name=_("Villager group"))
    size = fields.Field(attribute="size", column_name=_("People"), widget=widgets.IntegerWidget())
    monitor_kind = fields.Field(column_name=field_label(Household, "monitor_kind"))
    attribute = fields.Field(column_name=field_label(Household, "attribute"))
    main_cause = fields.Field(column_name=_("Main poverty cause"))
    other_causes = fields.Field(column_name=field_label(Household, "other_causes"))
    identified_year = fields.Field(
        attribute="identified_year",
        column_name=field_label(Household, "identified_year"),
        widget=widgets.IntegerWidget(),
    )
    exit_year = fields.Field(
        attribute="exit_year", column_name=field_label(Household, "exit_year"), widget=widgets.IntegerWidget()
    )
    registered_on = fields.Field(
        attribute="registered_on", column_name=field_label(Household, "registered_on"), widget=widgets.DateWidget()
    )
    compliance = fields.Field(column_name=_("2W3G"))
    assessed_on = fields.Field(
        attribute="latest_assessment__assessed_on",
        column_name=capfirst(_("date assessed")),
        widget=widgets.DateWidget(),
    )

    class Meta:
        model = Household
        fields = (
            "number",
            "village",
            "group",
            "head",
            "head_id_number",
            "size",
            "status",
            "monitor_kind",
            "attribute",
            "main_cause",
            "other_causes",
            "identified_year",
            "exit_year",
            "registered_on",
            "compliance",
            "assessed_on",
        )
        export_order = fields

    def dehydrate_group(self, household):
        return household.group.name if household.group else ""

    def dehydrate_monitor_kind(self, household):
        return household.get_monitor_kind_display()

    def dehydrate_attribute(self, household):
        return household.get_attribute_display()

    def dehydrate_main_cause(self, household):
        return household.get_main_cause_display()

    def dehydrate_other_causes(self, household):
        return _labels(PovertyCause(code) for code in household.other_causes if code in PovertyCause.values)

    def dehydrate_compliance(self, household):
        """As the list's badge says it: not assessed, all met, or the items that fail."""
        assessment = household.latest_assessment
        if assessment is None:
            return str(_("Not assessed"))
        failing = assessment.failing_items()
        return _labels(failing) if failing else str(_("All met"))


class IncomeFlagResource(HouseholdColumns):
    """households:income-flagged: the flagged households with the figures that flagged them."""

    year = fields.Field(column_name=_("Year"))
    net = fields.Field(attribute="net", column_name=capfirst(_("net income")), widget=widgets.IntegerWidget())
    size = fields.Field(attribute="size", column_name=capfirst(_("household size")), widget=widgets.IntegerWidget())
    per_capita = fields.Field(column_name=_("Per-capita net income"))
    line = fields.Field(column_name=_("Line"))
    previous_per_capita = fields.Field(column_name=_("Per-capita net income the year before"))
    drop = fields.Field(column_name=_("Fall (%)"))
    why = fields.Field(column_name=_("Why"))

    class Meta:
        model = Household
        fields = (
            "number",
            "village",
            "head",
            "head_id_number",
            "status",
            "year",
            "net",
            "size",
            "per_capita",
            "line",
            "previous_per_capita",
            "drop",
            "why",
        )
        export_order = fields

    def __init__(self, *, line, **kwargs):
        super().__init__(**kwargs)
        self.line = line

    def dehydrate_year(self, household):
        return self.line.year

    def dehydrate_per_capita(self, household):
        return FlaggedHousehold(household).per_capita

    def dehydrate_line(self, household):
        return self.line.line

    def dehydrate_previous_per_capita(self, household):
        return FlaggedHousehold(household).previous_per_capita

    def dehydrate_drop(self, household):
        return FlaggedHousehold(household).drop

    def dehydrate_why(self, household):
        reasons = [IncomeFlag.BELOW_LINE] if household.below_line else []
        if household.dropped:
            reasons.append(IncomeFlag.DROP)
        return _labels(reasons)


class ClassResource(HouseholdColumns):
    """households:classes: households out of poverty with their current class and why it was suggested."""

    exit_year = fields.Field(
        attribute="exit_year", column_name=field_label(Household, "exit_year"), widget=widgets.IntegerWidget()
    )
    exit_class = fields.Field(column_name=_("Class"))
    suggested_class = fields.Field(column_name=capfirst(_("suggested class")))
    rule = fields.Field(column_name=_("Rule"))
    classified_on = fields.Field(attribute="classified_on", column_name=_("Date"), widget=widgets.DateWidget())

    class Meta:
        model = Household
        fields = (
            "number",
            "village",
            "head",
            "head_id_number",
            "status",
            "exit_year",
            "exit_class",
            "suggested_class",
            "rule",
            "classified_on",
        )
        export_order = fields

    def dehydrate_exit_class(self, household):
        return str(ClassifiedHousehold(household).class_label)

    def dehydrate_suggested_class(self, household):
        return str(ClassifiedHousehold(household).suggested_label)

    def dehydrate_rule(self, household):
        return str(ClassifiedHousehold(household).rule_label)


class ExitRegisterResource(resources.ModelResource):
    """households:exits: the open exit procedures as the register lists them (exits.exit_register's joins)."""

    number = fields.Field(column_name=_("Household number"))
    head = fields.Field(attribute="head_name", column_name=_("Head of household"))
    village = fields.Field(column_name=_("Village"))
    group = fields.Field(column_name=_("Villager group"))
    year = fields.Field(attribute="year", column_name=_("Proposed exit year"), widget=widgets.IntegerWidget())
    step = fields.Field(column_name=_("Waiting on"))
    since = fields.Field(attribute="since", column_name=_("Since"), widget=widgets.DateWidget())
    publicity_ends = fields.Field(column_name=_("Publicity ends"))

    class Meta:
        model = ExitProcedure
        fields = ("number", "head", "village", "group", "year", "step", "since", "publicity_ends")
        export_order = fields

    def dehydrate_number(self, procedure):
        return procedure.household.number

    def dehydrate_village(self, procedure):
        return procedure.household.village.name

    def dehydrate_group(self, procedure):
        group = procedure.household.group
        return group.name if group else ""

    def dehydrate_step(self, procedure):
        return procedure.waiting_on.label if procedure.waiting_on else ""

    def dehydrate_publicity_ends(self, procedure):
        ends = RegisterRow(procedure).publicity_ends
        return ends.isoformat() if ends else ""
