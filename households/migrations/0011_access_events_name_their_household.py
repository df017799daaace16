from django.db import migrations
from django.db.models import OuterRef, Subquery


def name_households(apps, schema_editor):
    """The ID reveals kept before the access log name their member only: add the member's household."""
    AccessEvent = apps.get_model("households", "AccessEvent")
    Member = apps.get_model("households", "Member")
    member = Member.objects.filter(pk=OuterRef("member_id"))
    AccessEvent.objects.filter(member__isnull=False, household__isnull=True).update(
        household_id=Subquery(member.values("household_id")[:1]),
        household_number=Subquery(member.values("household__number")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [("households", "0010_audit_trail_and_access_log")]

    operations = [migrations.RunPython(name_households, migrations.RunPython.noop)]
