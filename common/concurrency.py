"""Optimistic concurrency for edit forms: a form remembers the version of the row it was opened on.

The version is a hash of the values, as stored, of the fields the form edits;
not an `updated_at` timestamp, nor a version counter in a new column, because:
- members have no timestamp, and one mechanism serves households, members and
  measures alike, without a migration;
- it sees every change however it was made: the roster import's bulk updates,
  the admin, a queryset `update()`, none of which bump a counter or touch
  `auto_now` unless every writer remembers to;
- a change to a field the form does not edit (an official changing the status,
  a visit recording a 2W3G assessment) is no conflict, since saving the form
  does not write that field.
A change undone before the save (A -> B -> A) goes unseen, rightly: nothing of
it would be overwritten.

On save, a service locks the row (select_for_update), compares the version the
form was opened with to the row's version now (`check_version`), and on a
mismatch saves nothing and raises StaleVersion with the row as stored now. The
service takes values, never a form; the page that sent the form turns a
StaleVersion into a Conflict: the values stored now next to the values sent,
and the sent data with the versions brought up to date, so that the form can be
shown again with the user's input in it. Saving that form again is then a
deliberate choice made with both versions in sight. A form sent without a
version (a page opened before versions existed) is saved as before.

A form edited together with an inline formset of its rows (a household with its
members) is stale when the parent's fields changed, or a row the form was opened
with was changed or deleted, or a row was added that the form never showed: the
formset would otherwise keep that row unseen, and could not save a form whose row
is gone (its hidden id no longer matches any row). `formset_rows` finds those rows
and `reopened` makes the sent data fit what is stored now. Which records to lock
and who changed them last is the app's to say (households.services.household_conflict):
this module knows no model.
"""

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django import forms
from django.db import models
from django.forms.models import model_to_dict
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

VERSION_FIELD = "version"
SHOWN_CHARS = 200  # a value longer than this is cut in the comparison table
EMPTY = "—"


def version_of(instance: models.Model, fields: Iterable[str]) -> str:
    """A digest of the fields' values as they are on `instance` (read from the database)."""
    values = {name: instance._meta.get_field(name).value_from_object(instance) for name in fields}
    encoded = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()[:32]


class VersionedForm(forms.ModelForm):
    """A ModelForm that carries, in a hidden field, the version of the row it was opened on."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[VERSION_FIELD] = forms.CharField(widget=forms.HiddenInput, required=False)
        if self.instance.pk:
            self.initial[VERSION_FIELD] = version_of(self.instance, self.versioned_fields())

    @classmethod
    def versioned_fields(cls) -> list[str]:
        """The model fields the form edits: those its version covers.

        From the class's own fields, not the instance's: an inline formset adds
        its foreign key to every form (and to Meta.fields) after the form is made.
        """
        return [name for name in cls._meta.fields if name in cls.base_fields]

    def sent_version(self) -> str:
        """The version the form was opened with, as sent back ("" when the form carries none)."""
        value = self.data.get(self.add_prefix(VERSION_FIELD)) if self.is_bound else None
        return value if isinstance(value, str) else ""

    def values(self) -> dict:
        """The cleaned values of the fields the form edits, as a write service takes them (no version)."""
        return {name: self.cleaned_data[name] for name in self.versioned_fields() if name in self.cleaned_data}

    def is_stale(self, current: models.Model) -> bool:
        """Whether the row changed since the form was opened (never when the form carries no version)."""
        sent = self.sent_version()
        return bool(sent) and sent != version_of(current, self.versioned_fields())


class ConflictKind(models.TextChoices):
    CHANGED = "changed", _("changed by someone else")
    DELETED = "deleted", _("deleted by someone else")
    ADDED = "added", _("added by someone else")


@dataclass(frozen=True)
class Difference:
    """One field whose value stored now differs from the value sent, both as people read them."""

    label: str
    stored: str
    sent: str


@dataclass
class RowConflict:
    """One row that changed under the form: what it is, how it changed, and the fields that differ."""

    name: str
    kind: str
    differences: list[Difference] = field(default_factory=list)

    def get_kind_display(self) -> str:
        return ConflictKind(self.kind).label


@dataclass
class Conflict:
    """Everything the form page needs to show a conflict and to be shown again, up to date."""

    rows: list[RowConflict]
    current: models.Model | None  # the row as stored now (None when it was deleted)
    data: QueryDict  # what the user sent, with the versions of the rows as stored now
    changed_at: object = None  # when the row was last changed, when that is known
    changed_by: str = ""  # who changed it, when that is known


class StaleVersion(Exception):
    """The row changed, or is gone, since the version the editor saw: the service saved nothing."""

    def __init__(self, current: models.Model | None):
        super().__init__("stale version")
        self.current = current  # the row as stored now, None when it was deleted


def check_version(current: models.Model | None, version: str, fields: Iterable[str]) -> None:
    """Raise StaleVersion when the row is gone, or its version differs from `version` (none given: never).

    `current` is the row as just read under a lock; `fields` those the editor changes, which the version covers.
    """
    if current is None or (version and version != version_of(current, fields)):
        raise StaleVersion(current)


def differences(
    form: VersionedForm, current: models.Model, *, hide: dict[str, Callable[[str], str]] | None = None
) -> list[Difference]:
    """The fields of `form` whose value sent differs from the value stored in `current`.

    `hide` maps a field name to a function that masks its values (ID numbers are
    never shown whole in the table).
    """
    hide = hide or {}
    stored_values = model_to_dict(current, fields=form.versioned_fields())
    found = []
    for name in form.versioned_fields():
        form_field = form.fields[name]
        stored, sent = stored_values.get(name), form[name].data
        if form_field.disabled or not form_field.has_changed(stored, sent):
            continue
        shown_stored, shown_sent = shown(form_field, stored), shown(form_field, sent)
        if name in hide:
            shown_stored = hide[name](shown_stored) if stored else EMPTY
            shown_sent = hide[name](shown_sent) if sent else EMPTY
        found.append(Difference(str(form_field.label or name), shown_stored, shown_sent))
    return found


def shown(form_field: forms.Field, value) -> str:
    """A value stored or sent, as people read it: choices by their labels, yes or no, long text cut."""
    if isinstance(form_field, forms.BooleanField):
        return str(_("Yes") if form_field.to_python(value) else _("No"))
    if value is None or value == "" or value == [] or value == ():
        return EMPTY
    choices = getattr(form_field, "choices", None)
    if choices is not None:
        labels = {str(key): str(label) for key, label in _flat(choices)}
        values = value if isinstance(value, list | tuple) else [value]
        return _cut(", ".join(labels.get(str(item), str(item)) for item in values))
    return _cut(str(value))


def _flat(choices):
    for key, label in choices:
        if isinstance(label, list | tuple):  # a group of choices
            yield from label
        else:
            yield key, label


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def as_querydict(data) -> QueryDict:
    """A mutable copy of form data, whether it came as a QueryDict (a request) or a plain dict (a test, a script)."""
    if isinstance(data, QueryDict):
        return data.copy()
    copy = QueryDict(mutable=True)
    for key, value in data.items():
        copy.setlist(key, list(value) if isinstance(value, list | tuple) else [value])
    return copy


def with_version(data, form: VersionedForm, current: models.Model | None) -> QueryDict:
    """A copy of the sent data whose version for `form` is that of `current` (none when it is gone)."""
    copy = as_querydict(data)
    copy.setlist(form.add_prefix(VERSION_FIELD), [version_of(current, form.versioned_fields())] if current else [])
    return copy


# ---------------------------------------------------------------- a form with an inline formset of rows


def formset_rows(
    formset,
    stored: dict[int, models.Model],
    *,
    name: Callable[[object], str],
    name_field: str = "name",
    hide: dict[str, Callable[[str], str]] | None = None,
) -> list[RowConflict]:
    """The rows of an inline formset that changed under it since it was opened, `stored` being the rows now by pk.

    `name` makes a row's name in the table from its `name_field`, sent or stored.
    """
    rows, seen = [], set()
    for form in formset.initial_forms:
        pk = sent_pk(form)
        seen.add(pk)
        row = stored.get(pk)
        if row is None:
            if not form["DELETE"].data:  # deleted twice is one outcome, no conflict
                rows.append(RowConflict(name=name(form[name_field].data), kind=ConflictKind.DELETED))
        elif form.is_stale(row):
            rows.append(
                RowConflict(
                    name=name(getattr(row, name_field)),
                    kind=ConflictKind.CHANGED,
                    differences=differences(form, row, hide=hide),
                )
            )
    rows += [
        RowConflict(name=name(getattr(row, name_field)), kind=ConflictKind.ADDED)
        for pk, row in stored.items()
        if pk not in seen
    ]
    return rows


def sent_pk(form) -> int | None:
    """The pk a form of a formset was sent with, None for a new row or anything that is not one."""
    value = form.data.get(form.add_prefix("id"), "")
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None


def reopened(
    form: VersionedForm, formset, current: models.Model, stored: dict[int, models.Model], *, blank: Iterable[str] = ()
) -> QueryDict:
    """The data sent, made to fit the parent and its rows as stored now, with every version up to date.

    The user's rows that still exist keep the user's values; rows deleted
    meanwhile come back as new rows with the user's values (saving adds them
    again unless the user removes them); rows added meanwhile are shown with
    their stored values. `blank` names the fields a row's form never holds
    whole (an ID number), which a blank keeps as stored.
    """
    prefix, sent = formset.prefix, as_querydict(form.data)
    data = QueryDict(mutable=True)
    for key, values in sent.lists():
        if not key.startswith(f"{prefix}-"):
            data.setlist(key, values)
    data[form.add_prefix(VERSION_FIELD)] = version_of(current, form.versioned_fields())

    kept, new, seen = [], [], set()
    for row_form in formset.initial_forms:
        pk = sent_pk(row_form)
        seen.add(pk)
        values = _sent_values(row_form, sent)
        if pk in stored:
            values[VERSION_FIELD] = [version_of(stored[pk], row_form.versioned_fields())]
            kept.append(values)
        else:
            values.pop("id", None)
            values.pop(VERSION_FIELD, None)
            new.append(values)
    fields = formset.form.versioned_fields()
    kept += [_stored_values(row, fields, formset.fk, blank) for pk, row in stored.items() if pk not in seen]
    new += [_sent_values(row_form, sent) for row_form in formset.extra_forms]

    for index, values in enumerate(kept + new):
        for name, value in values.items():
            data.setlist(f"{prefix}-{index}-{name}", value)
    for name, value in formset.management_form.cleaned_data.items():
        data[f"{prefix}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = len(kept) + len(new)
    data[f"{prefix}-INITIAL_FORMS"] = len(kept)
    return data


def _sent_values(form, sent: QueryDict) -> dict[str, list]:
    start = f"{form.prefix}-"
    return {key[len(start) :]: sent.getlist(key) for key in sent if key.startswith(start)}


def _stored_values(row: models.Model, fields, fk: models.ForeignKey, blank: Iterable[str]) -> dict[str, list]:
    """A stored row as a browser would send its form back unchanged."""
    values = {"id": [row.pk], fk.name: [getattr(row, fk.attname)], VERSION_FIELD: [version_of(row, fields)]}
    for name, value in model_to_dict(row, fields=fields).items():
        if value is True:
            values[name] = ["on"]
        elif value is not False:
            values[name] = ["" if value is None else str(value)]
    for name in blank:
        values[name] = [""]
    return values
