"""`{{ field|plain_field }}`: a list's filter field in the markup crispy-forms gives it, built in Python.

The lists' filter forms are on the busiest pages, and crispy-forms renders each field through a dozen templates,
and each option of a select through one more: the village filter of a county administrator (every village of
the county) made the filter form cost more CPU than the page's fifty rows. Here a text box or a select becomes
the same HTML (label, control with Bootstrap's classes, errors and help text, crispy's ids) from a few format_html
calls. Any other widget (a checkbox, a date picker, a multiple select) and a required field (crispy marks it)
still go through crispy, so a form may use the filter for all of its fields.
"""

from itertools import count

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms, template
from django.forms.boundfield import BoundField
from django.forms.widgets import Input
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

TEXT_INPUTS = {"text", "search", "number", "tel", "email", "url"}


@register.filter
def plain_field(field: BoundField) -> SafeString:
    widget = field.field.widget
    if field.field.required or field.is_hidden:
        return as_crispy_field(field)
    if isinstance(widget, forms.Select) and not widget.allow_multiple_selected:
        control = _select(field, widget)
    elif isinstance(widget, Input) and widget.input_type in TEXT_INPUTS:
        control = _input(field, widget)
    else:
        return as_crispy_field(field)
    label = format_html('<label for="{}" class="form-label">{}</label>', field.id_for_label, field.label)
    return format_html(
        '<div id="div_{}" class="mb-3">{}{}{}{}</div>',
        field.auto_id,
        label if field.label else "",  # crispy draws no label for a field without one
        control,
        _errors(field),
        _help(field),
    )


def _attrs(field: BoundField, widget, css: str, **value) -> SafeString:
    attrs = {"name": field.html_name, **value, **widget.attrs}
    classes = [*widget.attrs.get("class", "").split(), *css.split(), *(["is-invalid"] if field.errors else [])]
    attrs["class"] = " ".join(dict.fromkeys(classes))  # each once, in order
    described_by = [f"{field.auto_id}_helptext"] if field.help_text else []
    if field.errors:
        attrs["aria-invalid"] = "true"
        described_by.append(f"{field.auto_id}_error")
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    attrs["id"] = field.auto_id
    return format_html_join(
        "", ' {}="{}"', ((name, "" if value is True else value) for name, value in attrs.items() if value is not False)
    )


def _input(field: BoundField, widget: Input) -> SafeString:
    value = widget.format_value(field.value())
    extra = {"value": value} if value is not None else {}
    css = f"{type(widget).__name__.lower()} form-control"
    return format_html('<input type="{}"{}>', widget.input_type, _attrs(field, widget, css, **extra))


def _select(field: BoundField, widget: forms.Select) -> SafeString:
    chosen = set(widget.format_value(field.value()))
    return format_html(
        "<select{}>{}</select>", _attrs(field, widget, "select form-select"), _options(widget.choices, chosen)
    )


def _options(choices, chosen: set[str]) -> SafeString:
    # Plain escape() rather than format_html: a county's village select has hundreds of options.
    parts = []
    for value, label in choices:
        if isinstance(label, list | tuple):  # a group of options
            parts.append(format_html('<optgroup label="{}">{}</optgroup>', value, _options(label, chosen)))
            continue
        value = "" if value is None else str(value)
        selected = " selected" if value in chosen else ""
        parts.append(f'<option value="{escape(value)}"{selected}>{escape(label)}</option>')
    return mark_safe("".join(parts))  # every value and label escaped above


def _errors(field: BoundField) -> SafeString:
    if not field.errors:
        return ""
    numbers = count(1)
    return format_html(
        '<div id="{}_error" class="invalid-feedback">{}</div>',
        field.auto_id,
        format_html_join(
            "", '<p id="error_{}_{}"><strong>{}</strong></p>', ((next(numbers), field.auto_id, e) for e in field.errors)
        ),
    )


def _help(field: BoundField) -> SafeString:
    if not field.help_text:
        return ""
    return format_html('<div id="{}_helptext" class="form-text">{}</div>', field.auto_id, field.help_text)
