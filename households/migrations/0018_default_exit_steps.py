"""The exit procedure's steps as DOMAIN.md gives them; a county changes them in the admin."""

from django.db import migrations

STEPS = [
    # code, name, level, publicity days, checks the exit standard, needs a document
    ("appraisal", "村民主评议", "village", 0, False, True),
    ("verification", "村两委和驻村工作队核实", "village", 0, True, False),
    ("acknowledgement", "农户认可", "village", 0, False, True),
    ("publicity", "村内公示", "village", 7, False, True),
    ("town_review", "乡镇审核", "town", 0, True, False),
    ("county_approval", "县审定", "county", 0, False, False),
    ("announcement", "县公告退出", "county", 0, True, True),
]


def add_steps(apps, schema_editor):
    ExitStep = apps.get_model("households", "ExitStep")
    for position, (code, name, level, days, checks, document) in enumerate(STEPS, start=1):
        ExitStep.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "position": position * 10,
                "level": level,
                "publicity_days": days,
                "checks_exit_standard": checks,
                "needs_document": document,
            },
        )


def remove_steps(apps, schema_editor):
    ExitStep = apps.get_model("households", "ExitStep")
    ExitStep.objects.filter(code__in=[code for code, *_ in STEPS], records__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("households", "0017_exit_procedure_and_ordinary_households")]

    operations = [migrations.RunPython(add_steps, remove_steps)]
