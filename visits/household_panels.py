"""The household page's visit history: the latest visits and any open flags."""

from visits.models import Visit, VisitFlag

RECENT_VISITS = 5


def visit_panel(household, user):
    visits = Visit.objects.filter(household=household).select_related("visitor").order_by("-visited_on", "-pk")
    flags = VisitFlag.objects.open().filter(household=household).select_related("rule", "visitor")
    return {"visits": list(visits[:RECENT_VISITS]), "flags": list(flags)}
