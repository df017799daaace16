"""Admin pages of the infrastructure app: the yearly deadlines administrators edit (in the audit trail); the rest
read-only."""

from django.contrib import admin

from accounts.models import Reach, scope_of
from households.admin import AuditedReferenceAdmin, ReadOnlyHistoryAdmin
from infrastructure.models import MilestoneDeadline, MilestoneFlag, Project, ProjectDocument


@admin.register(MilestoneDeadline)
class MilestoneDeadlineAdmin(AuditedReferenceAdmin):
    list_display = ("year", "milestone", "due_on")
    list_editable = ("due_on",)
    list_filter = ("year",)
    ordering = ("-year", "due_on")

    def has_module_permission(self, request):
        # Deadlines apply county-wide: administrators only.
        return scope_of(request.user).reach is Reach.EVERYTHING

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_change_permission = has_add_permission = has_delete_permission = has_view_permission


class ProjectDocumentInline(admin.TabularInline):
    model = ProjectDocument
    extra = 0
    fields = ("name", "kind", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(ReadOnlyHistoryAdmin):
    """Projects are created, edited and moved along on their pages, which keep the history."""

    list_display = ("name", "village", "year", "category", "status", "budget")
    list_filter = ("year", "category", "status", "village")
    search_fields = ("name", "contractor")
    list_select_related = ("village",)
    raw_id_fields = ("beneficiaries",)
    inlines = [ProjectDocumentInline]  # its steps are in the change history (audit)


@admin.register(MilestoneFlag)
class MilestoneFlagAdmin(ReadOnlyHistoryAdmin):
    list_display = ("project", "milestone", "kind", "raised_at", "notified_kind", "cleared_at")
    list_filter = ("kind", "milestone")
    list_select_related = ("project",)
