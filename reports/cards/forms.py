from django import forms
from django.utils.translation import gettext_lazy as _

from households.choices import HouseholdStatus


class VillageCardsForm(forms.Form):
    """Which of a village's households to print: all of them, or those with one status."""

    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any")), *HouseholdStatus.choices], required=False)
