import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from audit import trail
from households import idnumbers
from households.choices import AssessmentItem, HouseholdStatus, PovertyCause
from households.models import Household, Village, VillagerGroup
from households.selectors import failing_any_filter, failing_item_filter, household_search

ANY_ITEM = "any"


class HouseholdFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"placeholder": _("Name, household number or full ID number"), "type": "search"}),
    )
    village = django_filters.ModelChoiceFilter(
        label=_("Village"),
        queryset=Village.objects.none(),
        # Choosing a village reloads the page so that its groups are offered.
        widget=forms.Select(attrs={"data-autosubmit": ""}),
    )
    group = django_filters.ModelChoiceFilter(label=_("Villager group"), queryset=VillagerGroup.objects.none())
    status = django_filters.ChoiceFilter(label=_("Status"), choices=HouseholdStatus.choices)
    main_cause = django_filters.ChoiceFilter(label=_("Main poverty cause"), choices=PovertyCause.choices)
    failing = django_filters.ChoiceFilter(
        label=_("Failing 2W3G item"),
        choices=[(ANY_ITEM, _("Any item")), *AssessmentItem.choices],
        method="filter_failing",
    )

    class Meta:
        model = Household
        fields = ["q", "village", "group", "status", "main_cause", "failing"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        villages = Village.objects.visible_to(user)
        self.filters["village"].queryset = villages
        # Group names repeat from village to village, so groups are offered once a village is chosen.
        village_id = str(self.data.get("village") or "")
        groups = VillagerGroup.objects.visible_to(user).filter(village_id=village_id) if village_id.isdigit() else None
        self.filters["group"].queryset = groups if groups is not None else VillagerGroup.objects.none()

    def search(self, queryset, name, value):
        if idnumbers.is_valid(value):
            # A search by a whole ID number confirms a guess at the digits a mask hides, a few dozen
            # guesses from a member's age: so it is logged as a reveal would be.
            trail.access_record_id_search(user=self.user, id_number=idnumbers.mask(idnumbers.normalise(value)))
        return household_search(queryset, value)

    def filter_failing(self, queryset, name, value):
        return queryset.filter(failing_any_filter() if value == ANY_ITEM else failing_item_filter(value))
