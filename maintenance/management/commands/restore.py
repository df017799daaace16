"""`manage.py restore PATH [--yes]`: replace the database and the uploads with a backup, after checking it.

Every refusal and failure is a BackupError, shown as a CommandError (a message and exit code 1,
no traceback).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone
from django.utils.translation import gettext as _

from maintenance.backups import BackupError, backup_open, backup_restore, restore_target


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup`: check that this installation signed it (BACKUP_SIGNING_KEY), every "
        "file against its checksum and every member of the uploads archive, say what will be replaced, and with "
        "--yes replace the configured database (pg_restore, in one transaction, for PostgreSQL; SQLite's backup "
        "API for SQLite) and then the contents of MEDIA_ROOT. Exits with 1 when the backup is unsigned, signed "
        "with another key, damaged or incomplete, when the database cannot be restored, or when --yes is missing; "
        "nothing is changed then. Exits with 1 too, saying so, if the uploads cannot be swapped in after the "
        "database was restored."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="Any file of the backup set, e.g. its .sha256 checksum file.")
        parser.add_argument("--yes", action="store_true", help="Replace the database and the uploads.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to replace (default: default).")

    def handle(self, *args, path, yes, database, **options):
        try:
            backup = backup_open(path)
            target = restore_target(backup, alias=database)
        except BackupError as error:
            raise CommandError(error) from None
        self.stdout.write(
            _("Backup %(name)s, made %(made)s: signed by this installation, every file matches its checksum.")
            % {"name": backup.name, "made": f"{timezone.localtime(backup.made_at):%Y-%m-%d %H:%M:%S}"}
        )
        self.stdout.write(_("Restoring it replaces:"))
        self.stdout.write(
            "  "
            + _("%(database)s, now %(tables)s tables and %(rows)s rows")
            % {"database": target.database, "tables": target.tables, "rows": target.rows}
        )
        self.stdout.write(
            "  "
            + _("Uploads in %(folder)s, now %(files)s files")
            % {"folder": target.media_root, "files": target.media_files}
        )
        if not yes:
            raise CommandError(_("Nothing was changed. Run again with --yes to replace them."))
        try:
            backup_restore(backup, alias=database)
        except BackupError as error:
            raise CommandError(error) from None
        self.stdout.write(self.style.SUCCESS(_("Restored %(name)s.") % {"name": backup.name}))
