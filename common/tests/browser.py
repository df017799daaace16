"""What a browser sends back for a rendered form, built from the forms a response was rendered with."""

import datetime as dt

from django import forms


def sent_back(*forms_or_formsets) -> dict:
    """The POST data of the given forms and formsets as shown: every value as the page holds it.

    A ticked checkbox is sent as "on" and an unticked one not at all, as a browser does.
    """
    data = {}
    for item in forms_or_formsets:
        parts = [item.management_form, *item.forms] if isinstance(item, forms.BaseFormSet) else [item]
        for form in parts:
            for bound in form:
                value = bound.value()
                if isinstance(bound.field.widget, forms.CheckboxInput):
                    if bound.field.widget.check_test(value):
                        data[bound.html_name] = "on"
                elif isinstance(value, list | tuple):
                    data[bound.html_name] = [str(v) for v in value]
                elif isinstance(value, dt.date):
                    data[bound.html_name] = value.isoformat()
                else:
                    data[bound.html_name] = "" if value is None else str(value)
    return data
