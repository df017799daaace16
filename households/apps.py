from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = _("Household registry")

    def ready(self):
        from common import spreadsheets
        from households import audit

        spreadsheets.register_export_recorder(audit.access_record_export)
