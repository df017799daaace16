from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring for a return to poverty")

    def ready(self):
        from audit import trail
        from households import demo as households_demo
        from households import idnumbers
        from households.choices import MonitoringRisk
        from monitoring import demo, household_panels

        household_panels.register_all()

        trail.mask_field("monitoring.DepartmentWarning", "id_number", idnumbers.mask)
        trail.label_list("monitoring.MonitoringCase", "risks", MonitoringRisk)
        # A stream of its own, so that the extensions registered after it (infrastructure) keep theirs.
        households_demo.register_extension(demo.seed, seed=demo.SEED)
