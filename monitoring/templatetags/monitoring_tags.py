from django import template

from households import idnumbers
from monitoring.resources import risk_labels as _risk_labels

register = template.Library()


@register.filter
def risk_labels(risks) -> str:
    """A case's risks as their labels, run together as a Chinese list."""
    return _risk_labels(risks or [])


@register.filter
def mask_id(id_number: str) -> str:
    """A department list's ID number as lists show one: masked."""
    return idnumbers.mask(id_number) if id_number else ""
