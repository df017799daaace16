import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template import Context, Template
from django.utils import translation

from common.templatetags.figures import figure

VALUES = [0, 7, 999, 1000, 12_345, 100_000, 1_234_567, -1_234_567, 3.5, None, "12", True]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_figure_reads_as_intcomma_writes_it_in_each_language_shipped(language):
    with translation.override(language):
        assert [figure(value) for value in VALUES] == [intcomma(value) for value in VALUES]


def test_a_figure_groups_thousands_in_english_and_not_in_chinese():
    template = Template("{% load figures %}{{ n|figure }}")
    with translation.override("en"):
        assert template.render(Context({"n": 271_490})) == "271,490"
    with translation.override("zh-hans"):
        assert template.render(Context({"n": 271_490})) == "271490"
