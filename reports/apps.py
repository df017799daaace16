from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Dashboards, exports, printable cards and the monthly report: reads every app, owns no data."""

    name = "reports"
    verbose_name = _("Reports")
