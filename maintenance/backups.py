"""Backups of the database and the uploads, and restoring them.

A backup is a set of three files with one timestamped name, side by side:

    townaid-20260101-013000.pgdump          PostgreSQL: pg_dump's custom format
    townaid-20260101-013000.sqlite3         (or SQLite: a copy taken with SQLite's online backup API)
    townaid-20260101-013000-media.tar.gz    MEDIA_ROOT: visit photos, rosters, project documents
    townaid-20260101-013000.sha256          the checksums of the other two, in `sha256sum` format

Every file is written under a temporary name and renamed when complete, the checksum file last:
a set without one is unfinished and is never restored. The files are readable by their owner
only, since they hold every household's personal data. Restoring checks every checksum before it
touches anything, then replaces the database (inside one transaction on PostgreSQL) and then the
media folder.
"""

import getpass
import hashlib
import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone
from django.utils.translation import gettext as _

PREFIX = "townaid"
STAMP = "%Y%m%d-%H%M%S"
DATABASE_SUFFIXES = {"postgresql": ".pgdump", "sqlite": ".sqlite3"}
MEDIA_SUFFIX = "-media.tar.gz"
MANIFEST_SUFFIX = ".sha256"
PARTIAL_SUFFIX = ".partial"
ENGINE_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
# A backup carries every household's personal data out of the app, and a restore replaces it all.
audit_log = logging.getLogger("townaid.audit")

# How the database settings reach pg_dump and pg_restore: through libpq's environment, so that the
# password never shows on a command line (where any user of the machine could read it in `ps`).
LIBPQ_SETTINGS = {"HOST": "PGHOST", "PORT": "PGPORT", "USER": "PGUSER", "PASSWORD": "PGPASSWORD"}
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "options": "PGOPTIONS",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class BackupError(Exception):
    """A backup or a restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Backup:
    """One backup set on disk: its database file, its media archive and its checksum file."""

    database: Path
    media: Path
    manifest: Path

    @property
    def name(self) -> str:
        return self.manifest.name.removesuffix(MANIFEST_SUFFIX)

    @property
    def engine(self) -> str:
        return next(engine for engine, suffix in DATABASE_SUFFIXES.items() if self.database.name.endswith(suffix))

    @property
    def files(self) -> tuple[Path, Path, Path]:
        return (self.database, self.media, self.manifest)


@dataclass(frozen=True)
class Target:
    """What a restore replaces: the configured database and the media folder, as they are now."""

    database: str
    tables: int
    rows: int
    media_root: Path
    media_files: int


# ---------------------------------------------------------------- backing up


def backup_make(*, output_dir: Path, alias: str = "default") -> Backup:
    """Write a new backup set of the database `alias` and MEDIA_ROOT into `output_dir`."""
    connection = connections[alias]
    engine = _engine_of(connection)
    output_dir = Path(output_dir)
    output_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{PREFIX}-{timezone.localtime():{STAMP}}"
    backup = Backup(
        database=output_dir / f"{name}{DATABASE_SUFFIXES[engine]}",
        media=output_dir / f"{name}{MEDIA_SUFFIX}",
        manifest=output_dir / f"{name}{MANIFEST_SUFFIX}",
    )
    if taken := [path for path in backup.files if path.exists()]:
        raise BackupError(_("%(path)s already exists: wait a second and run the backup again.") % {"path": taken[0]})

    partials = []
    try:
        for path in backup.files:
            partials.append(_private_file(_partial(path)))
        if engine == "postgresql":
            _pg_dump(connection, _partial(backup.database))
        else:
            if connection.in_atomic_block:  # SQLite's backup would wait forever for our own write lock
                raise BackupError(_("SQLite cannot be backed up from inside a transaction."))
            connection.ensure_connection()
            _sqlite_copy(connection.connection, _partial(backup.database))
        _archive_media(Path(settings.MEDIA_ROOT), _partial(backup.media))
        _partial(backup.manifest).write_text(
            "".join(f"{_sha256(_partial(path))}  {path.name}\n" for path in (backup.database, backup.media))
        )
        for path in backup.files:  # the checksum file last: until it is there, the set is unfinished
            _partial(path).rename(path)
    except BaseException:
        for path in partials:
            path.unlink(missing_ok=True)
        raise
    audit_log.info("backup_made by=%s backup=%s database=%s", _operator(), backup.manifest, _database_name(connection))
    return backup


def _pg_dump(connection, target: Path) -> None:
    _run_client(
        connection,
        "pg_dump",
        "--format=custom",
        "--no-password",
        f"--file={target}",
        f"--dbname={connection.settings_dict['NAME']}",
    )


def _sqlite_copy(live: sqlite3.Connection, target: Path) -> None:
    """A consistent copy of a database that may be in use, page by page under SQLite's own locking."""
    with closing(sqlite3.connect(target)) as copy:
        live.backup(copy)


def _archive_media(media_root: Path, target: Path) -> None:
    with target.open("r+b") as file, tarfile.open(fileobj=file, mode="w:gz") as archive:
        if media_root.is_dir():
            archive.add(media_root, arcname="media")


# ---------------------------------------------------------------- restoring


def backup_open(path: Path) -> Backup:
    """The backup set that `path` (any of its files) belongs to, after checking every file against its checksum."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("No such file: %(path)s") % {"path": path})
    name = path.name
    for suffix in (MANIFEST_SUFFIX, MEDIA_SUFFIX, *DATABASE_SUFFIXES.values()):
        name = name.removesuffix(suffix)
    manifest = path.with_name(f"{name}{MANIFEST_SUFFIX}")
    if not manifest.is_file():
        raise BackupError(
            _("No checksum file %(path)s: this is not a complete backup (it may still be being written).")
            % {"path": manifest}
        )
    listed = {}
    for line in manifest.read_text().splitlines():
        digest, _sep, file_name = line.partition("  ")
        if not digest or Path(file_name).name != file_name or file_name in ("", ".", ".."):
            raise BackupError(_("%(path)s is not a checksum file of a backup.") % {"path": manifest})
        listed[file_name] = digest
    database = [manifest.parent / n for n in listed if n.endswith(tuple(DATABASE_SUFFIXES.values()))]
    media = [manifest.parent / n for n in listed if n.endswith(MEDIA_SUFFIX)]
    if len(database) != 1 or len(media) != 1:
        raise BackupError(_("%(path)s does not list one database file and one media archive.") % {"path": manifest})
    for file_name, digest in listed.items():
        file = manifest.parent / file_name
        if not file.is_file():
            raise BackupError(_("%(path)s is missing from the backup.") % {"path": file})
        if _sha256(file) != digest:
            raise BackupError(
                _("%(path)s does not match its checksum: it was damaged or changed after the backup.") % {"path": file}
            )
    return Backup(database=database[0], media=media[0], manifest=manifest)


def restore_target(backup: Backup, *, alias: str = "default") -> Target:
    """What restoring `backup` would replace; refuses a backup of another kind of database."""
    connection = connections[alias]
    _refuse_a_mismatch(backup, connection)
    try:
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
            rows = 0
            for table in tables:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
                rows += cursor.fetchone()[0]
    except DatabaseError as error:
        raise BackupError(
            _("Cannot read the %(database)s: %(error)s") % {"database": _describe(connection), "error": error}
        ) from None
    media_root = Path(settings.MEDIA_ROOT)
    media_files = sum(1 for path in media_root.rglob("*") if path.is_file()) if media_root.is_dir() else 0
    return Target(
        database=_describe(connection), tables=len(tables), rows=rows, media_root=media_root, media_files=media_files
    )


def backup_restore(backup: Backup, *, alias: str = "default") -> None:
    """Replace the database `alias` and MEDIA_ROOT with `backup` (checked by backup_open first)."""
    connection = connections[alias]
    _refuse_a_mismatch(backup, connection)
    connection.close()  # nothing of ours holds a lock or a stale view of the old database
    if backup.engine == "postgresql":
        # One transaction: a restore that fails half-way leaves the database as it was. The dump's
        # owners and grants name roles of the machine it came from, which this one may not have.
        _run_client(
            connection,
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--no-password",
            f"--dbname={connection.settings_dict['NAME']}",
            str(backup.database),
        )
    else:
        # Through the backup API too, not a file copy: other connections see the old database or
        # the new one, never a file half written, and a stale journal cannot undo the restore.
        source = sqlite3.connect(f"{backup.database.resolve().as_uri()}?mode=ro", uri=True)
        with closing(source), closing(sqlite3.connect(_database_name(connection))) as live:
            source.backup(live)
    _restore_media(backup.media, Path(settings.MEDIA_ROOT))
    audit_log.info(
        "backup_restored by=%s backup=%s database=%s", _operator(), backup.manifest, _database_name(connection)
    )


def _restore_media(archive: Path, media_root: Path) -> None:
    """Unpack into a folder inside MEDIA_ROOT first (same file system, may be a mount point), then swap the contents."""
    media_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restoring-", dir=media_root))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staging, filter="data")  # no absolute paths, no way out of the folder
        restored = staging / "media"
        for path in media_root.iterdir():
            if path == staging:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        if restored.is_dir():
            for path in restored.iterdir():
                path.rename(media_root / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# ---------------------------------------------------------------- shared


def _refuse_a_mismatch(backup: Backup, connection) -> None:
    engine = _engine_of(connection)
    if backup.engine != engine:
        raise BackupError(
            _("%(name)s is a backup of a %(backup)s database, but the configured database is %(configured)s.")
            % {"name": backup.name, "backup": ENGINE_NAMES[backup.engine], "configured": ENGINE_NAMES[engine]}
        )
    if engine == "sqlite" and connection.is_in_memory_db():
        raise BackupError(_("The configured database is an in-memory SQLite database: nothing to restore into."))


def _engine_of(connection) -> str:
    if connection.vendor not in DATABASE_SUFFIXES:
        raise BackupError(_("Backups cover PostgreSQL and SQLite, not %(vendor)s.") % {"vendor": connection.vendor})
    return connection.vendor


def _describe(connection) -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        where = f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
        return _('PostgreSQL database "%(name)s" on %(where)s') % {"name": db["NAME"], "where": where}
    return _("SQLite database %(path)s") % {"path": _database_name(connection)}


def _database_name(connection) -> str:
    """The database's name, for PostgreSQL; its file, for SQLite."""
    return str(connection.settings_dict["NAME"])


def _run_client(connection, program: str, *arguments: str) -> None:
    """Run a PostgreSQL client program against `connection`'s database, or raise with what it said."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            _(
                "%(program)s was not found. Install the PostgreSQL client programs of the server's major version "
                "(on Debian: postgresql-client)."
            )
            % {"program": program}
        )
    env = {**os.environ}
    db = connection.settings_dict
    env |= {variable: str(db[key]) for key, variable in LIBPQ_SETTINGS.items() if db.get(key)}
    options = db.get("OPTIONS") or {}
    env |= {variable: str(options[key]) for key, variable in LIBPQ_OPTIONS.items() if options.get(key)}
    finished = subprocess.run([executable, *arguments], env=env, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        said = finished.stderr.strip() or finished.stdout.strip()
        raise BackupError(
            _("%(program)s failed (exit code %(code)s): %(said)s")
            % {"program": program, "code": finished.returncode, "said": said}
        )


def _operator() -> str:
    """The account of the machine that ran the command: no user of the app runs it."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user with no name
        return str(os.getuid())


def _partial(path: Path) -> Path:
    return path.with_name(f"{path.name}{PARTIAL_SUFFIX}")


def _private_file(path: Path) -> Path:
    """Create an empty file only its owner can read, failing if it exists; writers then fill it in place."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise BackupError(
            _("%(path)s is in the way: another backup is being written, or one was cut short.") % {"path": path}
        ) from None
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
