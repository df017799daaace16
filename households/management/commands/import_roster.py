"""Import a household roster workbook from the command line: the same checks and the same path as the web page."""

import resource
import time
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.models import Reach, User
from households.models import ImportBatch
from households.roster import batches
from households.roster.issues import location, unlisted_lines
from households.roster.reader import RosterFileError

Status = ImportBatch.Status


class Progress:
    """How far the import has come, on stderr: rows read, then checked, then people written, with their rate."""

    EVERY = 2.0  # seconds between two lines of one stage

    def __init__(self, out):
        self.out = out
        self.started = time.monotonic()
        self.stage_started: dict[str, float] = {}
        self.shown_at = 0.0

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        began = self.stage_started.setdefault(stage, now)
        final = total is not None and done >= total
        if not final and now - self.shown_at < self.EVERY:
            return
        self.shown_at = now
        rate = done / (now - began) if now > began else 0
        values = {"done": f"{done:,}", "total": f"{total:,}" if total else "?", "rate": f"{rate:,.0f}"}
        lines = {
            "read": _("Read %(done)s rows (%(rate)s rows/s)"),
            "checked": _("Checked %(done)s rows against the registry"),
            "applied": _("Written %(done)s of %(total)s people (%(rate)s people/s)"),
        }
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        self.out.write(lines[stage] % values + f" [{now - self.started:.1f} s, {peak} MB]")


class Command(BaseCommand):
    help = (
        "Import a household roster (.xlsx): check the whole file, print what it creates, updates and leaves "
        "unchanged and every error as 'row N, column C: reason' (the first ROSTER_MAX_ISSUES, then how many more), "
        "and apply it all or nothing. "
        "Exits with 1 when the file has errors (nothing is changed then)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The roster workbook (.xlsx).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report only: nothing is written, not even a batch."
        )
        parser.add_argument("--sheet", default="", help="The worksheet to read (default: the first).")
        parser.add_argument(
            "--user",
            default="",
            help="The administrator recorded as uploading and confirming the import; villages are looked up "
            "in their town when they have one, else in every town.",
        )

    def handle(self, *args, file, dry_run, sheet, user, **options):
        importer = self.importer(user)
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        if dry_run:
            with path.open("rb") as handle:
                plan = batches.check(batches.read(handle, sheet_name=sheet), town=batches.town_of(importer))
            self.report(plan.counts(), plan.issues)
            if not plan.ok:
                raise CommandError(_("Dry run: %(count)s errors.") % {"count": plan.issues.errors}, returncode=1)
            self.stdout.write(_("Dry run: no errors; nothing was written."))
            return

        with path.open("rb") as handle:
            try:
                batch = batches.batch_receive(
                    upload=File(handle, name=path.name), original_name=path.name, user=importer, sheet_name=sheet
                )
            except RosterFileError as error:
                raise CommandError(error.issue.message, returncode=1) from None
        earlier = batches.earlier_upload(batch)
        if earlier is not None:
            self.stdout.write(
                _("This very file was already uploaded on %(date)s by %(user)s (import %(number)s, %(status)s).")
                % {
                    "date": f"{earlier.uploaded_at:%Y-%m-%d %H:%M}",
                    "user": earlier.uploaded_by or "-",
                    "number": earlier.pk,
                    "status": earlier.get_status_display(),
                }
            )
        batches.batch_import(batch, user=importer, progress=Progress(self.stderr))
        issues = list(batch.issues.all())
        self.report(batch.counts, issues)
        self.finish(batch)

    def importer(self, username: str):
        if not username:
            return None
        found = User.objects.filter(username=username).first()
        if found is None or found.scope.reach is not Reach.EVERYTHING:
            raise CommandError(_("%(user)s is not an administrator.") % {"user": username})
        return found

    def finish(self, batch: ImportBatch):
        if batch.status == Status.APPLIED:
            self.stdout.write(self.style.SUCCESS(_("Applied as import %(number)s.") % {"number": batch.pk}))
        elif batch.status == Status.UNCHANGED:
            self.stdout.write(
                _("Nothing to change: the registry already matches this roster (import %(number)s).")
                % {"number": batch.pk}
            )
        elif batch.status == Status.INVALID:
            raise CommandError(
                _("%(count)s errors: nothing was changed (import %(number)s).")
                % {"count": batch.error_count, "number": batch.pk},
                returncode=1,
            )
        else:
            raise CommandError(batches.failure_message(batch) or batch.get_status_display(), returncode=1)

    def report(self, counts: dict, issues):
        if counts.get("households"):
            households, members = counts["households"], counts["members"]
            self.stdout.write(
                _("Households: created %(created)s, updated %(updated)s, unchanged %(unchanged)s.") % households
            )
            self.stdout.write(
                _("Members: created %(created)s, updated %(updated)s, unchanged %(unchanged)s.") % members
            )
        issues = list(issues)
        missing = [issue for issue in issues if issue.code == "member_missing"]
        if missing:
            count = counts.get("missing_members", len(missing))  # all of them, also those not listed
            self.stdout.write(_("Members missing from their household (kept): %(count)s") % {"count": count})
            for issue in missing:
                self.stdout.write(f"  {issue.message}")
        for issue in issues:
            if issue.code == "member_missing":
                continue
            where = location(issue.row, issue.column, issue.header)
            prefix = "" if issue.severity == "error" else _("warning") + ": "
            self.stdout.write(f"{prefix}{where}: {issue.message}" if where else f"{prefix}{issue.message}")
        for line in unlisted_lines(counts.get("unlisted")):
            self.stdout.write(line)
