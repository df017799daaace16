import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """The change history (AuditEvent), and the ID-number reveal log widened into an access log (AccessEvent).

    IdNumberReveal is renamed rather than copied, so that its rows stay; they are all ID reveals.
    """

    dependencies = [
        ("households", "0009_status_change_date_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="idnumberreveal", name="idreveal_user_time"),
        migrations.RenameModel(old_name="IdNumberReveal", new_name="AccessEvent"),
        migrations.RenameField(model_name="accessevent", old_name="revealed_at", new_name="at"),
        migrations.AlterModelOptions(
            name="accessevent",
            options={
                "ordering": ["-at", "-id"],
                "verbose_name": "personal data access",
                "verbose_name_plural": "personal data accesses",
            },
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="when"),
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="member",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="households.member",
                verbose_name="member",
            ),
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="purpose",
            field=models.CharField(blank=True, max_length=20, verbose_name="purpose"),
        ),
        migrations.AddField(
            model_name="accessevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("id_revealed", "Full ID number shown"),
                    ("list_exported", "List downloaded"),
                    ("card_printed", "Household card downloaded"),
                ],
                default="id_revealed",
                max_length=20,
                verbose_name="kind",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="accessevent",
            name="household",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="households.household",
                verbose_name="household",
            ),
        ),
        migrations.AddField(
            model_name="accessevent",
            name="household_number",
            field=models.CharField(blank=True, db_index=True, max_length=32, verbose_name="household number"),
        ),
        migrations.AddField(
            model_name="accessevent",
            name="detail",
            field=models.JSONField(blank=True, default=dict, verbose_name="detail"),
        ),
        migrations.AddIndex(
            model_name="accessevent",
            index=models.Index(fields=["user", "-at", "-id"], name="accessevent_user_time"),
        ),
        migrations.AddIndex(
            model_name="accessevent",
            index=models.Index(fields=["household", "-at", "-id"], name="accessevent_household_time"),
        ),
        migrations.AddIndex(
            model_name="accessevent",
            index=models.Index(fields=["-at", "-id"], name="accessevent_time"),
        ),
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="when")),
                (
                    "via",
                    models.CharField(
                        choices=[
                            ("web", "Web page"),
                            ("admin", "Administration"),
                            ("import", "Roster import"),
                            ("job", "Background job"),
                            ("command", "Command"),
                        ],
                        max_length=10,
                        verbose_name="through",
                    ),
                ),
                (
                    "household_number",
                    models.CharField(blank=True, db_index=True, max_length=32, verbose_name="household number"),
                ),
                ("object_type", models.CharField(max_length=100, verbose_name="record type")),
                ("object_id", models.PositiveBigIntegerField(blank=True, null=True, verbose_name="record ID")),
                ("object_repr", models.CharField(max_length=200, verbose_name="record")),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("created", "Created"),
                            ("changed", "Changed"),
                            ("deleted", "Deleted"),
                            ("status_changed", "Status changed"),
                        ],
                        max_length=20,
                        verbose_name="action",
                    ),
                ),
                ("changes", models.JSONField(blank=True, default=dict, verbose_name="changes")),
                ("reason", models.TextField(blank=True, verbose_name="reason")),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="Empty for changes made by a background job.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
                (
                    "household",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="households.household",
                        verbose_name="household",
                    ),
                ),
                (
                    "import_batch",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="audit_events",
                        to="households.importbatch",
                        verbose_name="roster import",
                    ),
                ),
            ],
            options={
                "verbose_name": "change history entry",
                "verbose_name_plural": "change history",
                "ordering": ["-at", "-id"],
                "indexes": [
                    models.Index(fields=["household", "-at", "-id"], name="auditevent_household_time"),
                    models.Index(fields=["actor", "-at", "-id"], name="auditevent_actor_time"),
                    models.Index(fields=["-at", "-id"], name="auditevent_time"),
                ],
            },
        ),
    ]
