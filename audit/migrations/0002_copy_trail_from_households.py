"""Copy the change history and the access log from the registry's tables, keys and all.

One INSERT ... SELECT per table, which SQLite and PostgreSQL both run inside the database: a
county's trail holds millions of rows, too many to pass through Python. The sequences are moved
past the copied keys. Backwards, the rows go back; a key of a household, member or roster import
since deleted becomes empty there, as the registry's foreign keys (SET_NULL) would have made it.
"""

from django.core.management.color import no_style
from django.db import migrations

EVENT_COLUMNS = [
    "id",
    "at",
    "actor_id",
    "via",
    "household_id",
    "household_number",
    "object_type",
    "object_id",
    "object_repr",
    "action",
    "changes",
    "reason",
    "import_batch_id",
]
ACCESS_COLUMNS = ["id", "at", "user_id", "kind", "household_id", "household_number", "member_id", "purpose", "detail"]


def _copy(schema_editor, source, target, columns, *, expressions=None):
    quote = schema_editor.quote_name
    selected = [(expressions or {}).get(column, quote(column)) for column in columns]
    schema_editor.execute(
        f"INSERT INTO {quote(target._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
        f"SELECT {', '.join(selected)} FROM {quote(source._meta.db_table)}"
    )


def _reset_sequences(schema_editor, *models):
    for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), list(models)):
        schema_editor.execute(sql)


def forwards(apps, schema_editor):
    old_events, old_access = apps.get_model("households", "AuditEvent"), apps.get_model("households", "AccessEvent")
    events, access = apps.get_model("audit", "AuditEvent"), apps.get_model("audit", "AccessEvent")
    _copy(schema_editor, old_events, events, EVENT_COLUMNS)
    _copy(schema_editor, old_access, access, ACCESS_COLUMNS)
    _reset_sequences(schema_editor, events, access)


def backwards(apps, schema_editor):
    old_events, old_access = apps.get_model("households", "AuditEvent"), apps.get_model("households", "AccessEvent")
    events, access = apps.get_model("audit", "AuditEvent"), apps.get_model("audit", "AccessEvent")
    quote = schema_editor.quote_name

    def existing(column, model_name):
        table = quote(apps.get_model("households", model_name)._meta.db_table)
        return f"CASE WHEN {quote(column)} IN (SELECT {quote('id')} FROM {table}) THEN {quote(column)} END"

    household = existing("household_id", "Household")
    # Steps of other apps that only the new trail holds (no household, no registry record) go back too:
    # the registry's table held changes of every kind of record already (plans, measures, assignments).
    _copy(
        schema_editor,
        events,
        old_events,
        EVENT_COLUMNS,
        expressions={"household_id": household, "import_batch_id": existing("import_batch_id", "ImportBatch")},
    )
    _copy(
        schema_editor,
        access,
        old_access,
        ACCESS_COLUMNS,
        expressions={"household_id": household, "member_id": existing("member_id", "Member")},
    )
    _reset_sequences(schema_editor, old_events, old_access)  # audit's 0001, unapplied next, drops its tables


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_trail_tables"),
        ("households", "0015_drop_typed_target_figures"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
