"""`manage.py restore PATH [--yes]`: replace the database and the uploads with a backup, after checking it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from maintenance.backups import BackupError, backup_open, backup_restore, restore_target


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup`: check every file against the checksum file, say what will be "
        "replaced, and with --yes replace the configured database (pg_restore, in one transaction, for "
        "PostgreSQL; SQLite's backup API for SQLite) and the contents of MEDIA_ROOT. Exits with 1 when the "
        "backup is damaged or incomplete, or when --yes is missing; nothing is changed then."
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
        self.stdout.write(_("Backup %(name)s: every file matches its checksum.") % {"name": backup.name})
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
