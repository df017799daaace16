"""Choice labels without Django's cost per call.

Django's get_FOO_display() builds a dict of the field's choices on every call, hashing each pair to do so, and
hashing a lazy label translates it: a household's main cause (25 choices) cost 25 translations each time it was
shown, some fifty microseconds, and a list of fifty households shows it fifty times. The mixin keeps each field's
{value: label} once per process (labels stay lazy: each is translated when shown, in the language of the request).
"""

from django.utils.encoding import force_str
from django.utils.hashable import make_hashable


class ChoiceLabelsMixin:
    """get_FOO_display() from a mapping built once per field; the same answer as Django's."""

    def _get_FIELD_display(self, field):
        labels = field.__dict__.get("_labels_by_value")
        if labels is None:
            labels = field._labels_by_value = {make_hashable(value): label for value, label in field.flatchoices}
        value = getattr(self, field.attname)
        return force_str(labels.get(make_hashable(value), value), strings_only=True)
