"""A list's filter fields come out of plain_field as crispy-forms draws them, without its templates."""

import re

import pytest
from django import forms
from django.template import Context, Template

from households.choices import HouseholdStatus


class FilterForm(forms.Form):
    q = forms.CharField(
        label="Search <names>", required=False, widget=forms.TextInput(attrs={"type": "search", "placeholder": "a & b"})
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "---------"), *HouseholdStatus.choices],
        widget=forms.Select(attrs={"data-autosubmit": ""}),
    )
    grouped = forms.ChoiceField(required=False, choices=[("", "any"), ("Group", [("a", "A <1>"), ("b", "B")])])
    year = forms.IntegerField(required=False, min_value=2013, help_text="The year it was reported.")
    late = forms.BooleanField(label="Late only", required=False)
    unlabelled = forms.CharField(label="", required=False)
    needed = forms.CharField(label="Needed")


def drawn(template: str, field) -> str:
    html = Template(template).render(Context({"field": field}))
    return re.sub(r"\s*(<|>)\s*", r"\1", re.sub(r"\s+", " ", html)).strip()


def plain(field) -> str:
    return drawn("{% load plain_fields %}{{ field|plain_field }}", field)


def crispy(field) -> str:
    return drawn("{% load crispy_forms_tags %}{{ field|as_crispy_field }}", field)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"q": 'x<"y', "status": "exited", "grouped": "a", "year": "2020"},
        {"status": "bogus", "grouped": "zz", "year": "not a year"},
    ],
    ids=["empty", "chosen", "invalid"],
)
@pytest.mark.parametrize("name", ["q", "status", "grouped", "year", "late", "unlabelled", "needed"])
def test_a_filter_field_is_drawn_as_crispy_draws_it(data, name):
    # Two forms: crispy adds its classes to the widget's attrs, which must not be what makes them equal.
    assert plain(_validated(data)[name]) == crispy(_validated(data)[name])


def _validated(data):
    form = FilterForm(data)
    form.is_valid()
    return form


def test_an_invalid_choice_is_marked_and_explained():
    form = _validated({"status": "bogus"})
    html = plain(form["status"])
    assert 'class="select form-select is-invalid"' in html
    assert 'aria-describedby="id_status_error"' in html
    assert '<div id="id_status_error" class="invalid-feedback"><p id="error_1_id_status"><strong>' in html


def test_labels_values_and_options_are_escaped():
    form = _validated({"q": '"><script>', "grouped": "a"})
    assert "<script>" not in plain(form["q"]) + plain(form["grouped"])
    assert "Search &lt;names&gt;" in plain(form["q"])
    assert '<option value="a" selected>A &lt;1&gt;</option>' in plain(form["grouped"])
