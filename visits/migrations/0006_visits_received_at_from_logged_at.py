"""Visits stored before phones sent theirs reached the server when they were logged: copy created_at.

Without it every older visit would say it reached the server at the moment this migration ran.
One UPDATE, whatever the number of visits.
"""

from django.db import migrations
from django.db.models import F


def copy_logged_at(apps, schema_editor):
    Visit = apps.get_model("visits", "Visit")
    Visit.objects.update(received_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0005_visits_when_where_and_conflicts"),
    ]

    operations = [
        migrations.RunPython(copy_logged_at, migrations.RunPython.noop),
    ]
