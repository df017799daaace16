"""Copy every project step (ProjectEvent) into the audit trail as a dated step, and back.

A step becomes an AuditEvent of the project: CREATED for the first one (no status before),
STATUS_CHANGED after, its status change in `changes`, its day in `effective_on`, who recorded it
and when kept. The path it came by was not kept: the project pages were the only one besides the
demo command, so WEB. Backwards, the dated steps of projects that still exist go back to
ProjectEvent and leave the trail.
"""

from django.db import migrations

BATCH_SIZE = 2000
PROJECT = "infrastructure.Project"


def forwards(apps, schema_editor):
    ProjectEvent = apps.get_model("infrastructure", "ProjectEvent")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    steps = ProjectEvent.objects.select_related("project").order_by("pk")
    batch = []
    for step in steps.iterator(chunk_size=BATCH_SIZE):
        batch.append(
            AuditEvent(
                at=step.at,
                actor_id=step.by_id,
                via="web",
                object_type=PROJECT,
                object_id=step.project_id,
                object_repr=step.project.name[:200],
                action="status_changed" if step.from_status else "created",
                changes={"status": [step.from_status or None, step.to_status]},
                reason=step.reason,
                effective_on=step.happened_on,
            )
        )
        if len(batch) >= BATCH_SIZE:
            AuditEvent.objects.bulk_create(batch)
            batch = []
    AuditEvent.objects.bulk_create(batch)


def backwards(apps, schema_editor):
    ProjectEvent = apps.get_model("infrastructure", "ProjectEvent")
    Project = apps.get_model("infrastructure", "Project")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    dated = AuditEvent.objects.filter(object_type=PROJECT, effective_on__isnull=False)
    existing = set(Project.objects.values_list("pk", flat=True))
    batch = []
    for event in dated.order_by("effective_on", "pk").iterator(chunk_size=BATCH_SIZE):
        before, after = (event.changes or {}).get("status", [None, None])
        if event.object_id not in existing or not after:
            continue
        batch.append(
            ProjectEvent(
                project_id=event.object_id,
                from_status=before or "",
                to_status=after,
                happened_on=event.effective_on,
                reason=event.reason,
                by_id=event.actor_id,
                at=event.at,
            )
        )
    # `at` is auto_now_add on ProjectEvent: the recorded moments are put back after the insert.
    moments = [event.at for event in batch]
    created = ProjectEvent.objects.bulk_create(batch, batch_size=BATCH_SIZE)
    for event, at in zip(created, moments, strict=True):
        event.at = at
    ProjectEvent.objects.bulk_update(created, ["at"], batch_size=BATCH_SIZE)
    dated.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("infrastructure", "0002_deadlines_2020"),
        ("audit", "0002_copy_trail_from_households"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
