import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.choices import MonitorKind
from households.models import FIRST_REGISTRY_YEAR, Village
from monitoring.models import OPEN_STATES, CaseState, MonitoringCase, Origin

OPEN = "open"


class CaseFilter(django_filters.FilterSet):
    """The register's filters; with no state chosen, the open cases."""

    state = django_filters.ChoiceFilter(
        label=_("State"),
        choices=[(OPEN, _("Open cases")), *CaseState.choices],
        method="filter_state",
        empty_label=_("All cases"),
    )
    village = django_filters.ModelChoiceFilter(
        label=_("Village"), field_name="household__village", queryset=Village.objects.none()
    )
    kind = django_filters.ChoiceFilter(label=_("Monitoring type"), choices=MonitorKind.choices)
    origin = django_filters.ChoiceFilter(label=_("Found through"), choices=Origin.choices)
    year = django_filters.NumberFilter(
        label=_("Year reported"),
        field_name="reported_on__year",
        widget=forms.NumberInput(attrs={"min": FIRST_REGISTRY_YEAR, "max": 2100}),
    )
    late = django_filters.BooleanFilter(label=_("Late only"), method="filter_late", widget=forms.CheckboxInput())

    class Meta:
        model = MonitoringCase
        fields = ["state", "village", "kind", "origin", "year", "late"]

    def __init__(self, data=None, *args, user, **kwargs):
        if data is not None and "state" not in data:
            data = data.copy()
            data["state"] = OPEN
        super().__init__(data, *args, **kwargs)
        self.filters["village"].queryset = Village.objects.visible_to(user)

    def filter_state(self, queryset, name, value):
        if value == OPEN:
            return queryset.filter(state__in=OPEN_STATES)
        return queryset.filter(state=value)

    def filter_late(self, queryset, name, value):
        return queryset.late(timezone.localdate()) if value else queryset
