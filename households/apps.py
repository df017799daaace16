from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = _("Household registry")

    def ready(self):
        from audit import trail
        from common import spreadsheets
        from households import idnumbers
        from households.choices import PovertyCause

        spreadsheets.register_export_recorder(trail.access_record_export)
        # The trail sits below the registry: the registry tells it what to mask and how to label.
        trail.mask_field("households.Member", "id_number", idnumbers.mask)
        trail.mask_field("households.Member", "birth_date", idnumbers.mask_birth_date)
        trail.label_list("households.Household", "other_causes", PovertyCause)
