"""Admin pages of the assistance app, scoped through the same choke point as every other page.

Loans' schedules and repayments are written by services only, so the admin
shows them read-only; a loan's terms are changed on the loan's own page, which
rewrites the schedule.
"""

from django.contrib import admin

from assistance.models import (
    FiveMutualActivity,
    FiveMutualType,
    IndustrySupport,
    Instalment,
    Loan,
    Measure,
    Plan,
    PVIncome,
    PVShare,
    PVStation,
    Repayment,
    Reward,
    TrainingSession,
    TypicalExample,
    WelfareJob,
)
from households.admin import AuditedAdmin, AuditedReferenceAdmin, ReadOnlyHistoryAdmin


class MeasureInline(admin.TabularInline):
    model = Measure
    extra = 0
    fields = ("category", "description", "responsible", "planned_date", "actual_date", "amount", "status")
    raw_id_fields = ("responsible", "beneficiary")


@admin.register(Plan)
class PlanAdmin(AuditedAdmin):
    list_display = ("household", "year", "updated_at")
    list_filter = ("year",)
    search_fields = ("household__number",)
    list_select_related = ("household",)
    raw_id_fields = ("household",)
    inlines = [MeasureInline]
    audited_children = ("measures",)


# ---------------------------------------------------------------- programmes


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InstalmentInline(ReadOnlyInline):
    model = Instalment
    fields = ("number", "due_date", "principal", "interest", "amount_due", "amount_paid", "paid_on", "flag")
    readonly_fields = fields


class RepaymentInline(ReadOnlyInline):
    model = Repayment
    fields = ("paid_on", "amount", "recorded_by")
    readonly_fields = fields


@admin.register(Loan)
class LoanAdmin(AuditedAdmin):
    """Read-only here: the schedule follows the terms, and only the loan's page keeps them in step."""

    list_display = ("household", "borrower", "bank", "amount", "issued_on", "term_months", "repaid_on")
    list_filter = ("repayment_method", "interest_subsidised", "household__village")
    search_fields = ("household__number", "borrower__name", "bank")
    list_select_related = ("household", "borrower")
    date_hierarchy = "issued_on"
    inlines = [InstalmentInline, RepaymentInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Instalment)
class InstalmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ("loan", "number", "due_date", "amount_due", "amount_paid", "paid_on", "flag")
    list_filter = ("flag",)
    search_fields = ("loan__household__number",)
    list_select_related = ("loan__household",)


@admin.register(Repayment)
class RepaymentAdmin(ReadOnlyHistoryAdmin):
    list_display = ("loan", "paid_on", "amount", "recorded_by")
    search_fields = ("loan__household__number",)
    list_select_related = ("loan__household", "recorded_by")
    date_hierarchy = "paid_on"


@admin.register(PVIncome)
class PVIncomeAdmin(ReadOnlyHistoryAdmin):
    list_display = ("station", "year", "income")
    list_filter = ("year",)
    search_fields = ("station__name",)
    list_select_related = ("station",)


@admin.register(TrainingSession)
class TrainingSessionAdmin(AuditedAdmin):
    list_display = ("held_on", "kind", "topic", "village", "organiser")
    list_filter = ("kind", "village")
    search_fields = ("topic", "organiser")
    list_select_related = ("village",)
    raw_id_fields = ("attendees",)


@admin.register(WelfareJob)
class WelfareJobAdmin(AuditedAdmin):
    list_display = ("member", "post", "village", "monthly_pay", "start_date", "end_date")
    list_filter = ("post", "village")
    search_fields = ("member__name", "member__household__number")
    list_select_related = ("member", "village")
    raw_id_fields = ("member",)


class PVIncomeInline(ReadOnlyInline):
    """Income is changed on the station's page, which checks it against what has been shared out."""

    model = PVIncome
    fields = ("year", "income")
    readonly_fields = fields


@admin.register(PVStation)
class PVStationAdmin(AuditedAdmin):
    list_display = ("name", "village", "capacity_kw", "built_year")
    list_filter = ("village",)
    search_fields = ("name",)
    list_select_related = ("village",)
    inlines = [PVIncomeInline]


@admin.register(PVShare)
class PVShareAdmin(AuditedAdmin):
    """Shares are added on the station's page, where the remaining income is checked under a lock."""

    list_display = ("income", "household", "amount")
    search_fields = ("household__number", "income__station__name")
    list_select_related = ("income__station", "household")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IndustrySupport)
class IndustrySupportAdmin(AuditedAdmin):
    list_display = ("year", "industry", "drive", "partner", "village")
    list_filter = ("drive", "year", "village")
    search_fields = ("industry", "partner")
    list_select_related = ("village",)
    raw_id_fields = ("households",)


@admin.register(Reward)
class RewardAdmin(AuditedAdmin):
    list_display = ("household", "awarded_on", "amount")
    search_fields = ("household__number", "reason")
    list_select_related = ("household",)
    raw_id_fields = ("household",)


@admin.register(TypicalExample)
class TypicalExampleAdmin(AuditedAdmin):
    list_display = ("household", "kind", "noted_on")
    list_filter = ("kind",)
    search_fields = ("household__number",)
    list_select_related = ("household",)
    raw_id_fields = ("household",)


@admin.register(FiveMutualType)
class FiveMutualTypeAdmin(AuditedReferenceAdmin):
    """Reference data of the whole deployment: only users granted its permissions (administrators) manage it."""

    list_display = ("name", "active")
    list_filter = ("active",)
    search_fields = ("name",)


@admin.register(FiveMutualActivity)
class FiveMutualActivityAdmin(AuditedAdmin):
    list_display = ("held_on", "type", "village")
    list_filter = ("type", "village")
    list_select_related = ("type", "village")
    raw_id_fields = ("households",)
