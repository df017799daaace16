"""Fill the dashboards' figures of the households already registered (households.summaries.refresh)."""

from django.db import migrations


def fill(apps, schema_editor):
    from households import summaries  # its expressions only; the models are this migration's

    summaries.refresh(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0020_household_dashboard_figures"),
        ("visits", "0007_ordinary_household_status"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
