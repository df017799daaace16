"""`manage.py backup [--output DIR]`: the database and the uploads, as one timestamped set with a signed manifest."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from maintenance.backups import BackupError, backup_make


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump for PostgreSQL, SQLite's online backup for SQLite) and the uploads under "
        "MEDIA_ROOT into a set of files named by the time of the backup, with a manifest of their sha256 checksums "
        "signed with BACKUP_SIGNING_KEY (`sha256sum -c` checks it too). "
        "Exits with 1 when anything fails (nothing half-written is left behind)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            default=settings.BASE_DIR / "var" / "backups",
            help="The folder to write the backup into, created if missing (default: var/backups).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to back up (default: default).")

    def handle(self, *args, output, database, **options):
        try:
            backup = backup_make(output_dir=output, alias=database)
        except BackupError as error:
            raise CommandError(error) from None
        self.stdout.write(_("Backup %(name)s written:") % {"name": backup.name})
        for path in backup.files:
            self.stdout.write(f"  {path}  ({filesizeformat(path.stat().st_size)})")
        self.stdout.write(_("Restore it with: python manage.py restore %(path)s --yes") % {"path": backup.manifest})
