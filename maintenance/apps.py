from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MaintenanceConfig(AppConfig):
    """Keeping the installation itself safe: backups of the database and the uploads. Owns no data."""

    name = "maintenance"
    verbose_name = _("Maintenance")
