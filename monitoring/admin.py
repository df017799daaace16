from django.contrib import admin

from households.admin import AuditedReferenceAdmin
from monitoring.models import MonitoringLine


@admin.register(MonitoringLine)
class MonitoringLineAdmin(AuditedReferenceAdmin):
    """Reference data for the whole deployment: the province's monitoring line, one a year."""

    list_display = ("year", "income_line", "rigid_expense_threshold")
    ordering = ("-year",)
