"""Inserting rows that may be there already, and knowing exactly which ones this call added."""

from collections.abc import Iterable

from django.db import connections, models


def insert_new(model: type[models.Model], rows: Iterable[models.Model], *, batch_size: int = 1000) -> list:
    """Insert the rows a unique constraint does not refuse; return the primary keys of those this call inserted.

    bulk_create(ignore_conflicts=True) cannot say which rows it inserted, and counting the table before and
    after counts what a concurrent run inserted in between too: two nightly jobs at once each claimed the
    other's flags. INSERT … ON CONFLICT DO NOTHING RETURNING names this statement's rows only, on PostgreSQL
    and on SQLite (3.35 and later). Unlike SQLite's INSERT OR IGNORE it skips unique conflicts only: a row
    that breaks a check or a NOT NULL still fails. The rows' pk stays unset, as with ignore_conflicts.
    """
    connection = connections[model.objects.db]
    if connection.vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"insert_new speaks PostgreSQL and SQLite, not {connection.vendor}")
    if connection.vendor == "sqlite" and connection.Database.sqlite_version_info < (3, 35):
        raise NotImplementedError(
            f"insert_new needs SQLite 3.35 or later for RETURNING: {connection.Database.sqlite_version}"
        )
    meta, quote = model._meta, connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    columns = ", ".join(quote(field.column) for field in fields)
    row_placeholder = f"({', '.join(['%s'] * len(fields))})"
    inserted = []
    rows = list(rows)
    size = max(1, min(batch_size, connection.ops.bulk_batch_size(fields, rows)))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            params = [
                field.get_db_prep_save(field.pre_save(row, add=True), connection) for row in batch for field in fields
            ]
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([row_placeholder] * len(batch))} "
                f"ON CONFLICT DO NOTHING RETURNING {quote(meta.pk.column)}",
                params,
            )
            inserted.extend(pk for (pk,) in cursor.fetchall())
    return inserted


def insert_selected(model: type[models.Model], rows: models.QuerySet, columns: dict[str, object]) -> int:
    """INSERT … SELECT … ON CONFLICT DO NOTHING: the rows of a query inserted in one statement; how many it inserted.

    For jobs that raise a row per household of the county: the rows never come to Python, so their number
    costs no memory here, and the database makes them faster than model instances could be made. `columns`
    maps a field's attname to an expression over `rows` (F, Subquery, an annotation's name as F) or to a
    constant; fields left out get their default. As with insert_new, a unique conflict skips the row, any
    other refusal fails, and the count is this statement's own: a concurrent run's rows are not in it.
    """
    sql, params = _insert_select_sql(model, rows, columns)
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def insert_selected_keys(model: type[models.Model], rows: models.QuerySet, columns: dict[str, object]) -> list:
    """insert_selected, naming the rows it inserted: their primary keys, in ascending order.

    For a job that goes on to act on exactly the rows it added (a concurrent run's rows are not among them),
    in the same transaction, without reading them back by a condition that a concurrent run could also match.
    """
    sql, params = _insert_select_sql(model, rows, columns)
    connection = connections[rows.db]
    if connection.vendor == "sqlite" and connection.Database.sqlite_version_info < (3, 35):
        raise NotImplementedError(
            f"insert_selected_keys needs SQLite 3.35 or later for RETURNING: {connection.Database.sqlite_version}"
        )
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {connection.ops.quote_name(model._meta.pk.column)}", params)
        return sorted(pk for (pk,) in cursor.fetchall())


def _insert_select_sql(model: type[models.Model], rows: models.QuerySet, columns: dict[str, object]):
    connection = connections[rows.db]
    if connection.vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"insert_selected speaks PostgreSQL and SQLite, not {connection.vendor}")
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    unknown = set(columns) - {field.attname for field in fields}
    if unknown:
        raise ValueError(f"{model._meta.label} has no fields {sorted(unknown)}")
    selected = {}
    for field in fields:
        value = columns[field.attname] if field.attname in columns else field.get_default()
        if not hasattr(value, "resolve_expression"):
            value = models.Value(value, output_field=field)
        selected[f"inserted_{field.attname}"] = value  # aliases of their own: no clash with the query's fields
    sql, params = rows.order_by().values(**selected).query.sql_with_params()
    if connection.vendor == "sqlite":
        # SQLite reads the ON of ON CONFLICT after a bare FROM as a join's ON: a WHERE ends the SELECT.
        sql = f"SELECT * FROM ({sql}) WHERE true"
    target = ", ".join(quote(field.column) for field in fields)
    return f"INSERT INTO {quote(model._meta.db_table)} ({target}) {sql} ON CONFLICT DO NOTHING", params
