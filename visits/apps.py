from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits")

    def ready(self):
        from households import demo as households_demo
        from households import panels
        from visits import demo, household_panels

        panels.register(panels.Panel("visits/includes/visit_panel.html", household_panels.visit_panel, order=15))
        households_demo.register_extension(demo.seed)
