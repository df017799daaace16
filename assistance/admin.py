from django.contrib import admin

from assistance import admin_programmes  # noqa: F401  (registers the programmes)
from assistance.models import Measure, Plan
from households.admin import ScopedAdmin


class MeasureInline(admin.TabularInline):
    model = Measure
    extra = 0
    fields = ("category", "description", "responsible", "planned_date", "actual_date", "amount", "status")
    raw_id_fields = ("responsible", "beneficiary")


@admin.register(Plan)
class PlanAdmin(ScopedAdmin):
    list_display = ("household", "year", "updated_at")
    list_filter = ("year",)
    search_fields = ("household__number",)
    list_select_related = ("household",)
    raw_id_fields = ("household",)
    inlines = [MeasureInline]
