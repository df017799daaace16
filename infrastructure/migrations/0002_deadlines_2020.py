"""The 2020 work plan's deadlines: declared by 30 April, construction started by 31 May, accepted by 30 September."""

import datetime as dt

from django.db import migrations

DEADLINES_2020 = {
    "declared": dt.date(2020, 4, 30),
    "started": dt.date(2020, 5, 31),
    "accepted": dt.date(2020, 9, 30),
}


def create_deadlines(apps, schema_editor):
    MilestoneDeadline = apps.get_model("infrastructure", "MilestoneDeadline")
    for milestone, due_on in DEADLINES_2020.items():
        MilestoneDeadline.objects.get_or_create(year=2020, milestone=milestone, defaults={"due_on": due_on})


def remove_deadlines(apps, schema_editor):
    MilestoneDeadline = apps.get_model("infrastructure", "MilestoneDeadline")
    MilestoneDeadline.objects.filter(year=2020, milestone__in=list(DEADLINES_2020)).delete()


class Migration(migrations.Migration):
    dependencies = [("infrastructure", "0001_projects_deadlines_flags")]

    operations = [migrations.RunPython(create_deadlines, remove_deadlines)]
