from django import template

from monitoring.resources import risk_labels as _risk_labels

register = template.Library()


@register.filter
def risk_labels(risks) -> str:
    """A case's risks as their labels, run together as a Chinese list."""
    return _risk_labels(risks or [])
