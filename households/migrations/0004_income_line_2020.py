"""The town's 2020 income line: per-capita net income must exceed 5,000 yuan (the 2020 work plan).

Later years are added by administrators in the Django admin. Going back leaves
the line in place: an administrator may have edited it since, and a line does
no harm to the older schema's data.
"""

from decimal import Decimal

from django.db import migrations


def create_2020_line(apps, schema_editor):
    IncomeLine = apps.get_model("households", "IncomeLine")
    IncomeLine.objects.get_or_create(
        year=2020,
        defaults={"line": 5000, "drop_share": Decimal("0.30"), "consolidation_factor": Decimal("1.50")},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0003_income_and_classification"),
    ]

    operations = [
        migrations.RunPython(create_2020_line, migrations.RunPython.noop),
    ]
