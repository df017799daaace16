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
