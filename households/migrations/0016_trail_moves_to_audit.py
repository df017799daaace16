"""The audit trail moved to its own app (audit), whose 0002 copied every row: the registry's tables go."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0015_drop_typed_target_figures"),
        ("audit", "0002_copy_trail_from_households"),
    ]

    operations = [
        migrations.DeleteModel(name="AccessEvent"),
        migrations.DeleteModel(name="AuditEvent"),
    ]
