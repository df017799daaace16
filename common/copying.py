"""Inserting many new rows at once: COPY on PostgreSQL, bulk_create elsewhere (common.bulk inserts what may exist).

bulk_create prepares every value of every row through each field's methods and
sends them as parameters of INSERT statements of a few hundred rows; for the
hundreds of thousands of rows of a county roster that preparation alone takes
longer than the database does. COPY takes the rows as text in one stream. The
keys are drawn from the table's sequence first (one query), so the instances
know their keys afterwards, as after bulk_create on PostgreSQL.

Only plain values are written this way: text, numbers, booleans, dates and
times, and JSON; a field needing its own conversion to the database is refused.
The database's constraints and triggers stand as for any insert: a row that
breaks one fails the whole COPY, and the transaction around it.
"""

import datetime as dt
import io
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.db.models.base import ModelState
from django.utils import timezone

BATCH_SIZE = 500  # rows a statement when bulk_create does the work
PLAIN = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.IntegerField,  # and its small, big and positive kinds
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.DateField,  # and DateTimeField
    models.DecimalField,
    models.FloatField,
    models.ForeignKey,
    models.JSONField,
)
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def bulk_insert(model, objects: list) -> None:
    """Insert new instances of one model, their keys set on them afterwards."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        return
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.GeneratedField)]
    for f in fields:
        if not isinstance(f, PLAIN):
            raise TypeError(f"{model._meta.label}.{f.name} is no plain value to COPY")
    pk = model._meta.pk
    missing = [obj for obj in objects if obj.pk is None]
    with connection.cursor() as cursor:
        if missing:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, pk.column, len(missing)],
            )
            for obj, (key,) in zip(missing, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, key)
        now = timezone.now()
        stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        for obj in objects:
            for f in stamped:
                if getattr(obj, f.attname) is None:
                    setattr(obj, f.attname, now)
        buffer = io.StringIO()
        attnames = [(f.attname, isinstance(f, models.JSONField)) for f in fields]
        for obj in objects:
            buffer.write("\t".join(_text(getattr(obj, attname), as_json) for attname, as_json in attnames))
            buffer.write("\n")
        buffer.seek(0)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias


def unsaved(model, values: dict):
    """A new instance holding `values` (by attname) and the model's defaults for the rest, as Model(**values) makes.

    Without Model.__init__, which checks every keyword against every field: a tenth
    of the cost, for the hundred thousand members of a roster. The values are taken
    as given (attnames only, no related instances).
    """
    static, dynamic = _defaults(model)
    instance = model.__new__(model)
    instance._state = ModelState()
    attributes = instance.__dict__
    attributes.update(static)
    for f in dynamic:
        attributes[f.attname] = f.get_default()
    attributes.update(values)
    return instance


def _defaults(model) -> tuple[dict, list]:
    found = _DEFAULTS.get(model)
    if found is None:
        fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.GeneratedField)]
        dynamic = [f for f in fields if f.has_default() and callable(f.default)]
        static = {f.attname: f.get_default() for f in fields if f not in dynamic}
        found = _DEFAULTS[model] = (static, dynamic)
    return found


_DEFAULTS: dict = {}


def insert_values(model, attnames: list[str], rows: list[tuple]) -> None:
    """Insert rows given as tuples of values for these fields (by attname), without making instances of them.

    The keys come from the table's default; nothing is handed back. On other databases, instances and bulk_create.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**dict(zip(attnames, row, strict=True))) for row in rows], batch_size=BATCH_SIZE
        )
        return
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname[name] for name in attnames]
    for f in fields:
        if not isinstance(f, PLAIN):
            raise TypeError(f"{model._meta.label}.{f.name} is no plain value to COPY")
    as_json = [isinstance(f, models.JSONField) for f in fields]
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_text(value, json_) for value, json_ in zip(row, as_json, strict=True)))
        buffer.write("\n")
    buffer.seek(0)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN", buffer)


def _escaped(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(ESCAPES)
    return text


_JSON = DjangoJSONEncoder(ensure_ascii=False)  # one encoder for every value: json.dumps(cls=...) makes one a call


def _text(value, as_json: bool) -> str:
    """A value as COPY's text format spells it."""
    if as_json:
        return _escaped(_JSON.encode(value))
    if type(value) is str:  # most values of most rows: no chain of checks
        return _escaped(value)
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return _escaped(value)
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.date):  # datetimes too, aware ones with their offset
        return value.isoformat()
    raise TypeError(f"no COPY text for {type(value).__name__}")
