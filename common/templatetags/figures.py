"""`{{ n|figure }}`: a whole number grouped as the language groups digits, as `intcomma` writes it, cheaply.

A county's dashboard shows nine counts for each of three hundred villages; humanize's `intcomma` looks up the
language's format settings for every one of them (a fifth of the page's rendering). Here the separator and the
grouping are looked up once per language, and anything that is not a whole number goes to `intcomma` itself.
"""

from functools import lru_cache

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.formats import get_format
from django.utils.translation import get_language

register = template.Library()


@register.filter
def figure(value) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        return intcomma(value)
    grouping = _grouping(get_language())
    if grouping is None:
        return intcomma(value)
    separator, grouping = grouping
    digits = str(abs(value))
    if separator and grouping > 0:
        head = len(digits) % grouping or grouping
        digits = separator.join(
            [digits[:head], *(digits[i : i + grouping] for i in range(head, len(digits), grouping))]
        )
    return f"-{digits}" if value < 0 else digits


@lru_cache(maxsize=16)
def _grouping(language: str | None) -> tuple[str, int] | None:
    """The language's separator and group size; None for a grouping of uneven groups (India's 3, 2, 2...)."""
    grouping = get_format("NUMBER_GROUPING", language, use_l10n=True)
    if not isinstance(grouping, int):
        return None
    return get_format("THOUSAND_SEPARATOR", language, use_l10n=True), grouping
