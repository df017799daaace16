"""A project's steps are dated steps of the audit trail now (0003 copied them): their own table goes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("infrastructure", "0003_copy_project_steps_to_the_trail"),
    ]

    operations = [
        migrations.DeleteModel(name="ProjectEvent"),
    ]
