"""Admin pages of the visits app: the rules admins edit, and read-only visits and flags, scoped."""

from django.contrib import admin

from accounts.models import Reach, scope_of
from households.admin import AuditedReferenceAdmin, ReadOnlyHistoryAdmin
from visits.models import Visit, VisitConflict, VisitFlag, VisitPhoto, VisitRule


@admin.register(VisitRule)
class VisitRuleAdmin(AuditedReferenceAdmin):
    list_display = ("household_status", "visitor_role", "period", "active")
    list_editable = ("period", "active")
    list_filter = ("active",)

    def has_module_permission(self, request):
        # Rules apply town- and county-wide: administrators only.
        return scope_of(request.user).reach is Reach.EVERYTHING

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_change_permission = has_add_permission = has_delete_permission = has_view_permission


class VisitPhotoInline(admin.TabularInline):
    model = VisitPhoto
    extra = 0
    fields = ("image", "width", "height")
    readonly_fields = ("image", "width", "height")
    can_delete = False


class VisitConflictInline(admin.TabularInline):
    """The other versions sent under the visit's key, and which one the visitor kept: settled by the visitor only."""

    model = VisitConflict
    extra = 0
    fields = ("received_at", "content_digest", "content", "resolution", "resolved_at", "resolved_by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(ReadOnlyHistoryAdmin):
    """Visits are logged through the visit form and the phone's outbox, which keep them to one per client key."""

    list_display = ("household", "visited_on", "visitor", "role", "method", "offline", "received_at")
    list_filter = ("role", "method", "offline")
    search_fields = ("household__number",)
    date_hierarchy = "visited_on"
    list_select_related = ("household", "visitor")
    inlines = [VisitPhotoInline, VisitConflictInline]


@admin.register(VisitFlag)
class VisitFlagAdmin(ReadOnlyHistoryAdmin):
    list_display = ("household", "rule", "period_start", "kind", "visitor", "cleared_at")
    list_filter = ("kind", "rule")
    list_select_related = ("household", "rule", "visitor")
