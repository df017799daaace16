"""Bulk writes for the county seed: PostgreSQL COPY where it can, bulk_create everywhere else.

Rows are plain tuples in the order of the field names given, so that millions
of them cost no model instances on PostgreSQL. Primary keys the seed needs to
point at are handed out here from a counter (`next_pk`) and written with the
rows, so a household can name its latest assessment before that row exists
(foreign keys are checked at commit); `finish` moves the sequences past them.
Fields a table leaves out get their model default once for the whole table;
auto_now fields get the moment the seed started.
"""

import datetime as dt
import io
import itertools
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.core.management.color import no_style
from django.db import connection, models, reset_queries

ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


@dataclass
class Written:
    rows: int = 0
    seconds: float = 0.0


@dataclass
class Progress:
    """A line every `every` seconds within a long step: rows so far, of how many when known, and the rate.

    A county takes minutes to write; without it the households and the visits were minutes of silence.
    """

    say: Callable[[str], None]
    label: str
    total: int | None = None
    every: float = 5.0
    started: float = field(default_factory=time.perf_counter)
    last: float = 0.0

    def __post_init__(self):
        self.last = self.started

    def update(self, done: int) -> None:
        now = time.perf_counter()
        if now - self.last < self.every:
            return
        self.last = now
        of = f" of {self.total:,} ({done / self.total:.0%})" if self.total else ""
        self.say(f"  {self.label:<36} {done:>11,} rows{of} so far, {done / (now - self.started):,.0f} rows/s")


@dataclass
class Table:
    model: type[models.Model]
    fields: tuple[str, ...]
    columns: list[str]
    converters: list[Callable]
    constants: dict[str, object]
    tail: str  # the constants as COPY text, appended to every row


@dataclass
class Writer:
    """Writes rows of tuples to tables, timing each table, COPY on PostgreSQL unless told otherwise."""

    now: dt.datetime
    batch_size: int = 10_000
    use_copy: bool = field(default_factory=lambda: connection.vendor == "postgresql")
    report: Callable[[str, Written], None] | None = None
    say: Callable[[str], None] | None = None  # progress within a table, every progress_every seconds
    progress_every: float = 5.0
    written: dict[str, Written] = field(default_factory=dict)
    _counters: dict = field(default_factory=dict)
    _tables: dict = field(default_factory=dict)

    def next_pk(self, model: type[models.Model]) -> int:
        counter = self._counters.get(model)
        if counter is None:
            last = model._base_manager.aggregate(last=models.Max("pk"))["last"] or 0
            counter = self._counters[model] = itertools.count(last + 1)
        return next(counter)

    def write(
        self, model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence], *, total: int | None = None
    ) -> int:
        """Write the rows (generated lazily if need be: their making is timed with the table).

        `total`, when the caller knows it, is shown with the progress.
        """
        table = self._table(model, tuple(fields))
        started = time.perf_counter()
        progress = Progress(self.say, model._meta.label, total, self.progress_every) if self.say else None
        count = 0
        iterator = iter(rows)
        while chunk := list(itertools.islice(iterator, self.batch_size)):
            (self._copy if self.use_copy else self._bulk_create)(table, chunk)
            count += len(chunk)
            reset_queries()  # with DEBUG on, a million logged INSERTs would fill the memory
            if progress:
                progress.update(count)
        entry = self.written.setdefault(model._meta.label, Written())
        entry.rows += count
        entry.seconds += time.perf_counter() - started
        if self.report:
            self.report(model._meta.label, Written(count, time.perf_counter() - started))
        return count

    def finish(self) -> None:
        """Move the id sequences of the tables written with explicit keys past the highest key."""
        statements = connection.ops.sequence_reset_sql(no_style(), list(self._counters))
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    # ---------------------------------------------------------------- the two ways of writing

    def _copy(self, table: Table, rows: list[Sequence]) -> None:
        converters, tail = table.converters, table.tail
        buffer = io.StringIO()
        buffer.writelines(
            "\t".join([convert(value) for convert, value in zip(converters, row, strict=True)]) + tail for row in rows
        )
        buffer.seek(0)
        columns = ", ".join(connection.ops.quote_name(column) for column in table.columns)
        sql = f"COPY {connection.ops.quote_name(table.model._meta.db_table)} ({columns}) FROM STDIN"
        with connection.cursor() as cursor:
            cursor.copy_expert(sql, buffer)

    def _bulk_create(self, table: Table, rows: list[Sequence]) -> None:
        model, fields = table.model, table.fields
        model.objects.bulk_create(
            [model(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=self.batch_size
        )

    # ---------------------------------------------------------------- columns

    def _table(self, model, fields: tuple[str, ...]) -> Table:
        key = (model, fields)
        if key not in self._tables:
            self._tables[key] = self._describe(model, fields)
        return self._tables[key]

    def _describe(self, model, fields: tuple[str, ...]) -> Table:
        concrete = {f.attname: f for f in model._meta.concrete_fields if not f.generated}
        unknown = set(fields) - set(concrete)
        if unknown:
            raise ValueError(f"{model._meta.label} has no fields {sorted(unknown)}")
        constants = {}
        for attname, model_field in concrete.items():
            if attname in fields or model_field.primary_key:
                continue
            constants[attname] = self._constant(model, model_field)
        given = [concrete[name] for name in fields]
        tail_fields = [concrete[name] for name in constants]
        tail = "".join("\t" + _converter(f)(constants[f.attname]) for f in tail_fields) + "\n"
        return Table(
            model=model,
            fields=fields,
            columns=[f.column for f in given + tail_fields],
            converters=[_converter(f) for f in given],
            constants=constants,
            tail=tail,
        )

    def _constant(self, model, model_field):
        if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            return self.now if isinstance(model_field, models.DateTimeField) else self.now.date()
        if model_field.unique and model_field.null:
            return None  # NULLs never clash
        if model_field.unique:
            raise ValueError(f"{model._meta.label}.{model_field.attname} is unique: give it a value per row")
        if model_field.has_default() or model_field.null or model_field.empty_strings_allowed:
            return model_field.get_default()  # the default, else None or "" as Django would insert
        raise ValueError(f"{model._meta.label}.{model_field.attname} has no default: give it a value")


# ---------------------------------------------------------------- values as COPY text


def _text(value) -> str:
    return NULL if value is None else str(value).translate(ESCAPES)


def _plain(value) -> str:
    return NULL if value is None else str(value)


def _boolean(value) -> str:
    return NULL if value is None else ("t" if value else "f")


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False).translate(ESCAPES)


def _converter(model_field) -> Callable[[object], str]:
    if isinstance(model_field, models.BooleanField):
        return _boolean
    if isinstance(model_field, models.JSONField):
        return _json
    if isinstance(model_field, models.CharField | models.TextField):
        return _text
    return _plain
