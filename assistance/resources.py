"""Column maps of the assistance lists' Excel downloads (written by common.spreadsheets).

Each resource exports the rows its list page shows, and a little more an office
files them by, from the queryset that page paginates (scoped, filtered, joined):
every value comes from a column, a join or an annotation the list's selector
already loads, so an export runs no per-row query. Headers are translatable
labels, choices leave as their labels, related rows as their names, ID numbers
only masked. Labels are made text inside the dehydrate methods: the workbook's
language is active only while the rows are read, not when the cells are written.
The programmes other than loans declare their columns in their specs (assistance.specs)
with the field helpers and column_map below.
"""

from django.utils.translation import gettext_lazy as _
from import_export import resources, widgets
from import_export.fields import Field

from assistance.models import Instalment, InstalmentFlag, Loan
from common.spreadsheets import field_label
from households.choices import AssignmentRole, HouseholdStatus
from households.models import Household
from households.resources import LIST_SEPARATOR, HouseholdColumns


def text_field(attribute: str, header) -> Field:
    return Field(attribute=attribute, column_name=header)


def number_field(attribute: str, header) -> Field:
    """A number kept numeric (common.spreadsheets exports with force_native_type)."""
    return Field(attribute=attribute, column_name=header, widget=widgets.NumberWidget())


def date_field(attribute: str, header) -> Field:
    return Field(attribute=attribute, column_name=header, widget=widgets.DateWidget())


def dehydrated_field(header) -> Field:
    """A column filled by the resource's dehydrate_<name> method."""
    return Field(column_name=header)


def choice_field(attribute: str, header) -> Field:
    """A choice exported as its label, made text while the rows are read (in the workbook's language)."""
    return Field(column_name=header, dehydrate_method=lambda row: str(getattr(row, f"get_{attribute}_display")()))


def masked_id_field(person: str, header) -> Field:
    """The ID number of the row's `person` (a member), only ever masked."""
    return Field(column_name=header, dehydrate_method=lambda row: getattr(row, person).masked_id_number)


def column_map(model, **columns: Field) -> type[resources.ModelResource]:
    """A resource exporting `columns` in the order given: a programme's download (assistance.specs)."""
    names = tuple(columns)
    meta = type("Meta", (), {"model": model, "fields": names, "export_order": names})
    return type(f"{model.__name__}Resource", (resources.ModelResource,), {**columns, "Meta": meta})


def yes_no(value: bool) -> str:
    return str(_("Yes") if value else _("No"))


# ---------------------------------------------------------------- household lists


class GuaranteeGapResource(HouseholdColumns):
    """assistance:gaps: who the household has, and which person of the two-person guarantee is missing."""

    group = text_field("group__name", _("Villager group"))
    responsible = dehydrated_field(_("Responsible person"))
    support_unit = dehydrated_field(_("Support unit"))
    contact = dehydrated_field(_("Contact person"))

    class Meta:
        model = Household
        fields = (
            "number",
            "village",
            "group",
            "head",
            "head_id_number",
            "status",
            "responsible",
            "support_unit",
            "contact",
        )
        export_order = fields

    def dehydrate_responsible(self, household):
        return self._people(household, AssignmentRole.RESPONSIBLE) or str(_("Missing"))

    def dehydrate_support_unit(self, household):
        units = (a.support_unit for a in self._current(household, AssignmentRole.RESPONSIBLE))
        return LIST_SEPARATOR.join(unit.name for unit in units if unit)

    def dehydrate_contact(self, household):
        needed = household.status == HouseholdStatus.UNEXITED
        return self._people(household, AssignmentRole.CONTACT) or (str(_("Missing")) if needed else "")

    def _current(self, household, role):
        return [a for a in household.current_assignments if a.role == role]

    def _people(self, household, role) -> str:
        return LIST_SEPARATOR.join(str(a.person) for a in self._current(household, role))


class MissingPlanResource(HouseholdColumns):
    """assistance:plans-missing: the households still without a plan for the year, with their main cause."""

    group = text_field("group__name", _("Villager group"))
    main_cause = dehydrated_field(_("Main poverty cause"))

    class Meta:
        model = Household
        fields = ("number", "village", "group", "head", "head_id_number", "status", "main_cause")
        export_order = fields

    def dehydrate_main_cause(self, household):
        return household.get_main_cause_display()


# ---------------------------------------------------------------- loans


class LoanResource(resources.ModelResource):
    """assistance:loan-list (assistance.selectors.loan_list: household, village, borrower and figures)."""

    household_number = text_field("household__number", _("Household number"))
    village = text_field("household__village__name", _("Village"))
    borrower = text_field("borrower__name", _("Borrower"))
    borrower_id_number = dehydrated_field(_("ID number"))
    bank = text_field("bank", _("Bank"))
    amount = number_field("amount", _("Amount (yuan)"))
    issued_on = date_field("issued_on", _("Issue date"))
    term_months = number_field("term_months", field_label(Loan, "term_months"))
    annual_rate = number_field("annual_rate", field_label(Loan, "annual_rate"))
    interest_subsidised = dehydrated_field(_("Interest subsidised"))
    repayment_method = dehydrated_field(_("Repayment method"))
    purpose = text_field("purpose", _("Purpose"))
    status = dehydrated_field(_("Status"))
    repaid_on = date_field("repaid_on", _("Repaid on"))
    outstanding = number_field("outstanding", _("Still owed (yuan)"))
    next_due_date = date_field("next_due_date", _("Next instalment"))
    next_amount = number_field("next_amount", _("Next instalment (yuan)"))
    flag = dehydrated_field(_("Flag"))

    class Meta:
        model = Loan
        fields = (
            "household_number",
            "village",
            "borrower",
            "borrower_id_number",
            "bank",
            "amount",
            "issued_on",
            "term_months",
            "annual_rate",
            "interest_subsidised",
            "repayment_method",
            "purpose",
            "status",
            "repaid_on",
            "outstanding",
            "next_due_date",
            "next_amount",
            "flag",
        )
        export_order = fields

    def dehydrate_borrower_id_number(self, loan):
        return loan.borrower.masked_id_number if loan.borrower else ""

    def dehydrate_interest_subsidised(self, loan):
        return yes_no(loan.interest_subsidised)

    def dehydrate_repayment_method(self, loan):
        return loan.get_repayment_method_display()

    def dehydrate_status(self, loan):
        return str(loan.status.label)

    def dehydrate_flag(self, loan):
        if loan.has_overdue:
            return str(InstalmentFlag.OVERDUE.label)
        return str(InstalmentFlag.DUE_SOON.label) if loan.has_due_soon else ""


class InstalmentResource(resources.ModelResource):
    """assistance:instalment-list (assistance.selectors.instalment_list: loan, household, village, borrower)."""

    due_date = date_field("due_date", _("Due date"))
    flag = dehydrated_field(_("Flag"))
    household_number = text_field("loan__household__number", _("Household number"))
    village = text_field("loan__household__village__name", _("Village"))
    borrower = text_field("loan__borrower__name", _("Borrower"))
    bank = text_field("loan__bank", _("Bank"))
    loan_amount = number_field("loan__amount", _("Loan amount (yuan)"))
    instalment_number = number_field("number", _("Instalment"))
    amount_due = number_field("amount_due", field_label(Instalment, "amount_due"))
    amount_paid = number_field("amount_paid", field_label(Instalment, "amount_paid"))
    amount_owed = number_field("amount_owed", _("Still owed (yuan)"))

    class Meta:
        model = Instalment
        fields = (
            "due_date",
            "flag",
            "household_number",
            "village",
            "borrower",
            "bank",
            "loan_amount",
            "instalment_number",
            "amount_due",
            "amount_paid",
            "amount_owed",
        )
        export_order = fields

    def dehydrate_flag(self, instalment):
        return instalment.get_flag_display()
