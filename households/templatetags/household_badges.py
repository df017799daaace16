"""A household's status badge and its 2W3G badges, drawn in Python: they stand on every row of the busiest lists.

As includes, the two badges were a hundred template renders a page of fifty households (a third of the
household list's CPU under load); as tags they are a format_html each.
"""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from households.choices import HouseholdStatus

register = template.Library()

STATUS_TONES = {
    HouseholdStatus.UNEXITED: "text-bg-danger",
    HouseholdStatus.EXITED: "text-bg-success",
    HouseholdStatus.MONITORED: "text-bg-warning",
}


@register.simple_tag
def status_badge(household) -> str:
    """The household's status, coloured: red while poor, green once out, amber while monitored."""
    tone = STATUS_TONES.get(household.status, "text-bg-secondary")
    return format_html('<span class="badge {}">{}</span>', tone, household.get_status_display())


@register.simple_tag
def compliance_badge(assessment) -> str:
    """The items of the latest 2W3G assessment the household fails, or that it meets them all, or none yet."""
    if not assessment:
        return format_html('<span class="badge text-bg-light">{}</span>', _("Not assessed"))
    failing = assessment.failing_items()
    if not failing:
        return format_html('<span class="badge text-bg-success">{}</span>', _("All met"))
    badge = '<span class="badge text-bg-danger me-1">{}</span>'
    return format_html_join("", badge, ((item.label,) for item in failing))
