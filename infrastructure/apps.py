from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InfrastructureConfig(AppConfig):
    name = "infrastructure"
    verbose_name = _("Infrastructure projects")

    def ready(self):
        from households import demo as households_demo
        from infrastructure import demo, household_panels

        household_panels.register_all()
        households_demo.register_extension(demo.seed)
