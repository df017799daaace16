"""What the templates read from the programme specs: the list of programmes, and one value of a record."""

from django import template

from assistance.specs import PROGRAMMES

register = template.Library()


@register.simple_tag
def programmes():
    """The programmes in menu order: `{% programmes as specs %}`."""
    return PROGRAMMES


@register.simple_tag
def show(record, field):
    """One Field of a spec for a record, formatted and linked as the spec says."""
    return field.render(record)
