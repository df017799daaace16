from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "assistance"
    verbose_name = _("Assistance")

    def ready(self):
        from assistance import demo, household_panels, programme_panels
        from households import demo as households_demo

        household_panels.register_all()
        programme_panels.register_all()
        households_demo.register_extension(demo.seed)
