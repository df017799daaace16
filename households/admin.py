"""Django admin for reference data, scoped through the same choke point as every page."""

from django.contrib import admin

from households.models import (
    Assessment,
    Assignment,
    Classification,
    Household,
    ImportBatch,
    IncomeLine,
    IncomeRecord,
    Member,
    StatusChange,
    SupportUnit,
    Target,
    Town,
    Village,
    VillagerGroup,
    WorkTeam,
)


class ScopedAdmin(admin.ModelAdmin):
    """Lists and foreign-key choices limited to what the user may see."""

    def get_queryset(self, request):
        return self.model.objects.visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if hasattr(related.objects, "editable_by"):
            kwargs["queryset"] = related.objects.editable_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Town)
class TownAdmin(ScopedAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


@admin.register(Target)
class TargetAdmin(ScopedAdmin):
    list_display = ("town", "year", "households", "people", "note")
    list_filter = ("year",)


@admin.register(Village)
class VillageAdmin(ScopedAdmin):
    list_display = ("name", "code", "town")
    list_filter = ("town",)
    search_fields = ("name", "code")


@admin.register(VillagerGroup)
class VillagerGroupAdmin(ScopedAdmin):
    list_display = ("name", "village")
    list_filter = ("village",)
    search_fields = ("name", "village__name")
    list_select_related = ("village",)


@admin.register(SupportUnit)
class SupportUnitAdmin(ScopedAdmin):
    list_display = ("name", "village", "contact_phone")
    list_filter = ("village",)
    search_fields = ("name",)
    list_select_related = ("village",)


@admin.register(WorkTeam)
class WorkTeamAdmin(ScopedAdmin):
    list_display = ("name", "village", "sent_by", "start_date", "end_date")
    list_filter = ("village",)
    list_select_related = ("village",)
    filter_horizontal = ("members",)


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0
    fields = ("name", "id_number", "relation", "sex", "birth_date", "health")


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    list_display = ("number", "village", "group", "status", "main_cause", "exit_year")
    list_filter = ("status", "main_cause", "village")
    search_fields = ("number",)
    list_select_related = ("village", "group")
    inlines = [MemberInline]


class ReadOnlyHistoryAdmin(ScopedAdmin):
    """Rows written by services only (history, schedules, repayments, shares): shown, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyHistoryAdmin):
    list_display = ("household", "from_status", "to_status", "changed_on", "changed_by")
    list_filter = ("to_status",)
    list_select_related = ("household", "changed_by")


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ("household", "assessed_on", "assessed_by")
    list_select_related = ("household", "assessed_by")


@admin.register(IncomeLine)
class IncomeLineAdmin(admin.ModelAdmin):
    """Reference data for the whole deployment: one line per year, kept by administrators."""

    list_display = ("year", "line", "drop_share", "consolidation_factor")
    ordering = ("-year",)


@admin.register(IncomeRecord)
class IncomeRecordAdmin(ScopedAdmin):
    list_display = ("household", "year", "net_income", "household_size", "recorded_by")
    list_filter = ("year",)
    search_fields = ("household__number",)
    list_select_related = ("household", "recorded_by")
    readonly_fields = ("net_income", "recorded_by")
    raw_id_fields = ("household",)


@admin.register(Classification)
class ClassificationAdmin(ReadOnlyHistoryAdmin):
    list_display = ("household", "classified_on", "suggested_class", "confirmed_class", "current", "decided_by")
    list_filter = ("confirmed_class", "current")
    search_fields = ("household__number",)
    list_select_related = ("household", "decided_by")


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyHistoryAdmin):
    """Assignments change through the household page, which ends the old one and keeps it."""

    list_display = ("household", "role", "person", "support_unit", "start_date", "end_date")
    list_filter = ("role",)
    search_fields = ("household__number", "person__username", "person__last_name")
    list_select_related = ("household", "person", "support_unit")


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyHistoryAdmin):
    """Every roster import is kept, with who uploaded and who confirmed it; batches change only by importing."""

    list_display = ("pk", "original_name", "status", "uploaded_by", "uploaded_at", "confirmed_by", "confirmed_at")
    list_filter = ("status",)
    search_fields = ("original_name", "sha256")
    list_select_related = ("uploaded_by", "confirmed_by")
