"""Backups of the database and the uploads, and restoring them.

A backup is a set of three files with one timestamped name, side by side:

    townaid-20260101-013000.pgdump          PostgreSQL: pg_dump's custom format
    townaid-20260101-013000.sqlite3         (or SQLite: a copy taken with SQLite's online backup API)
    townaid-20260101-013000-media.tar.gz    MEDIA_ROOT: visit photos, rosters, project documents
    townaid-20260101-013000.sha256          the manifest: what the set holds, signed by this installation

The manifest keeps `sha256sum`'s format, so that `sha256sum -c` still checks a set without the
app (it skips lines that start with "#"); what the app needs besides is in such comment lines:

    # townaid-backup: 2
    # engine: postgresql
    # created-at: 2026-01-01T01:30:00+08:00
    # size: 73215 townaid-20260101-013000.pgdump
    # size: 5120 townaid-20260101-013000-media.tar.gz
    3a7bd3e2...  townaid-20260101-013000.pgdump
    9f86d081...  townaid-20260101-013000-media.tar.gz
    # hmac-sha256: 5c1e...

The last line is the HMAC-SHA256 of every byte before it, under a key derived from
BACKUP_SIGNING_KEY (or from SECRET_KEY when that is unset). A checksum only proves that a file
is the one the manifest names; the signature proves that the manifest was written by an
installation holding the key. Whoever can change the backups but not read the key cannot make
one that restores: a changed archive with its checksum recomputed, a set from another
installation and an unsigned one (such as those made before backups were signed) are refused.

Every file is written under a temporary name and renamed when complete, the manifest last: a
set without one is unfinished and is never restored. The files are readable by their owner
only, since they hold every household's personal data. A backup holds only what a restore
accepts (plain files and folders, within the limits below), so a set that was written can be
restored.

Restoring keeps the database and the uploads together, in this order:

1. Check, touching nothing: the signature (before anything else the manifest says is read),
   each file's size and checksum, then every member of the uploads archive: a plain file or
   folder under media/, no absolute path and no "..", at most BACKUP_MEDIA_MAX_FILES members
   and BACKUP_MEDIA_MAX_BYTES unpacked.
2. Unpack the uploads into a `.restoring-...` folder inside MEDIA_ROOT (the same file system,
   even when MEDIA_ROOT is a mount point, so that the swap is only renames), checking each
   member again, under tarfile's "data" filter as a second line. A failure removes the folder:
   nothing was changed.
3. Restore the database: pg_restore in one transaction, or SQLite's backup API. A failure
   leaves the database as it was and removes the unpacked uploads: MEDIA_ROOT is untouched.
4. Swap the uploads: the current ones are moved into a `.replaced-...` folder inside
   MEDIA_ROOT, then the restored ones in. Should that fail, the database is already the
   backup's: the restore says so loudly and keeps both folders, the old uploads and the
   restored ones not yet moved, for the operator to finish or undo by hand.
5. Record it, in the `townaid.audit` log and as an AuditEvent in the restored database (which
   backup, made when, by which machine account on which host); only then are the old uploads
   deleted.

A refusal or a failure is a BackupError whose message says what happened and what to do; each
is also logged on `townaid.audit` as a warning, with a one-word reason.
"""

import getpass
import hashlib
import hmac
import logging
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import DatabaseError, connections
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from audit import trail as audit

PREFIX = "townaid"
STAMP = "%Y%m%d-%H%M%S"
DATABASE_SUFFIXES = {"postgresql": ".pgdump", "sqlite": ".sqlite3"}
MEDIA_SUFFIX = "-media.tar.gz"
MANIFEST_SUFFIX = ".sha256"
PARTIAL_SUFFIX = ".partial"
ENGINE_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
# Format 1 was the bare `sha256sum` file of the first backups, unsigned: it is refused.
FORMAT_VERSION = "2"
FORMAT_KEY = "townaid-backup"
SIGNATURE_PREFIX = b"# hmac-sha256: "
SIGNING_SALT = "townaid.backups"
MANIFEST_MAX_BYTES = 64 * 1024  # a manifest is a few hundred bytes; anything far larger is not one
DIGEST = re.compile(r"[0-9a-f]{64}")
# The restore's own folders inside MEDIA_ROOT while it runs, never part of the uploads.
STAGING_PREFIX = ".restoring-"
ASIDE_PREFIX = ".replaced-"
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
    """A backup or a restore that cannot go on; the message says why and what to do.

    `reason` is one word for the audit log, which is read by people who do not read the
    message's language and by scripts.
    """

    def __init__(self, message: str, *, reason: str = "failed"):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Backup:
    """One backup set on disk: its database file, its media archive and its manifest.

    `media_bytes` is the uploads' unpacked size, known once backup_open has read the archive.
    """

    database: Path
    media: Path
    manifest: Path
    made_at: datetime
    media_bytes: int = 0

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
    made_at = timezone.localtime().replace(microsecond=0)
    name = f"{PREFIX}-{made_at:{STAMP}}"
    backup = Backup(
        database=output_dir / f"{name}{DATABASE_SUFFIXES[engine]}",
        media=output_dir / f"{name}{MEDIA_SUFFIX}",
        manifest=output_dir / f"{name}{MANIFEST_SUFFIX}",
        made_at=made_at,
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
        files = {path.name: _partial(path) for path in (backup.database, backup.media)}
        _partial(backup.manifest).write_bytes(_manifest(engine=engine, made_at=made_at, files=files))
        for path in backup.files:  # the manifest last: until it is there, the set is unfinished
            _partial(path).rename(path)
    except BaseException:
        for path in partials:
            path.unlink(missing_ok=True)
        raise
    audit_log.info("backup_made by=%s backup=%s database=%s", _operator(), backup.manifest, _database_name(connection))
    return backup


def manifest_signature(body: bytes) -> str:
    """The signature of a manifest's `body` (every byte before its signature line) under this installation's key."""
    return hmac.new(_signing_key(), body, hashlib.sha256).hexdigest()


def _signing_key() -> bytes:
    # Derived, never SECRET_KEY or BACKUP_SIGNING_KEY as such: a key of its own for backups,
    # which cannot be confused with any other use of the same secret (sessions, passwords).
    secret = settings.BACKUP_SIGNING_KEY or settings.SECRET_KEY
    return salted_hmac(SIGNING_SALT, "manifest", secret=secret, algorithm="sha256").digest()


def _manifest(*, engine: str, made_at: datetime, files: dict[str, Path]) -> bytes:
    """The signed manifest of a set; `files` maps each file's name in the set to where it is now."""
    lines = [f"# {FORMAT_KEY}: {FORMAT_VERSION}", f"# engine: {engine}", f"# created-at: {made_at.isoformat()}"]
    lines += [f"# size: {path.stat().st_size} {name}" for name, path in files.items()]
    lines += [f"{_sha256(path)}  {name}" for name, path in files.items()]
    body = "".join(f"{line}\n" for line in lines).encode()
    return body + SIGNATURE_PREFIX + manifest_signature(body).encode() + b"\n"


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
        # The copy of a database in WAL mode is in WAL mode too, and opening one, even read-only,
        # writes -wal and -shm files beside it (or fails where it cannot): a backup is one file.
        copy.execute("PRAGMA journal_mode=DELETE")


def _archive_media(media_root: Path, target: Path) -> None:
    """Archive the uploads, refusing what a restore would refuse: an archive that cannot be restored is no backup."""
    check = _MediaCheck(media_root)

    def admit(member: tarfile.TarInfo) -> tarfile.TarInfo | None:
        parts = PurePosixPath(member.name).parts
        if len(parts) > 1 and parts[1].startswith((STAGING_PREFIX, ASIDE_PREFIX)):
            return None  # a restore's own folders (the uploads it is replacing, or is about to put in place)
        return check(member)

    with target.open("r+b") as file, tarfile.open(fileobj=file, mode="w:gz") as archive:
        if media_root.is_dir():
            archive.add(media_root, arcname="media", filter=admit)


# ---------------------------------------------------------------- checking a backup


@contextmanager
def _refusals_logged(event: str, path: Path) -> Iterator[None]:
    try:
        yield
    except BackupError as error:
        audit_log.warning("%s by=%s backup=%s reason=%s", event, _operator(), path, error.reason)
        raise


def backup_open(path: Path) -> Backup:
    """The backup set that `path` (any of its files) belongs to, once its signature, files and uploads are checked."""
    with _refusals_logged("backup_refused", path):
        return _open(Path(path))


def _open(path: Path) -> Backup:
    if not path.is_file():
        raise BackupError(_("No such file: %(path)s") % {"path": path}, reason="missing")
    name = path.name
    for suffix in (MANIFEST_SUFFIX, MEDIA_SUFFIX, *DATABASE_SUFFIXES.values()):
        name = name.removesuffix(suffix)
    manifest = path.with_name(f"{name}{MANIFEST_SUFFIX}")
    if not manifest.is_file():
        raise BackupError(
            _("No checksum file %(path)s: this is not a complete backup (it may still be being written).")
            % {"path": manifest},
            reason="unfinished",
        )
    body = _signed_body(manifest)
    engine, made_at, sizes, digests = _parse(manifest, body)
    backup = Backup(
        database=manifest.with_name(f"{name}{DATABASE_SUFFIXES[engine]}"),
        media=manifest.with_name(f"{name}{MEDIA_SUFFIX}"),
        manifest=manifest,
        made_at=made_at,
    )
    for file in (backup.database, backup.media):
        if not file.is_file():
            raise BackupError(_("%(path)s is missing from the backup.") % {"path": file}, reason="missing")
        if file.stat().st_size != sizes[file.name] or _sha256(file) != digests[file.name]:
            raise BackupError(
                _("%(path)s does not match its checksum: it was damaged or changed after the backup.") % {"path": file},
                reason="checksum",
            )
    check = _MediaCheck(backup.media)
    _read_media(backup.media, check)
    return replace(backup, media_bytes=check.bytes)


def _signed_body(manifest: Path) -> bytes:
    """The manifest's content before its signature line, once the signature is found to be this installation's."""
    with manifest.open("rb") as file:
        content = file.read(MANIFEST_MAX_BYTES + 1)
    if len(content) > MANIFEST_MAX_BYTES:
        raise BackupError(_("%(path)s is not a checksum file of a backup.") % {"path": manifest}, reason="manifest")
    head, newline, last = content.removesuffix(b"\n").rpartition(b"\n")
    if not content.endswith(b"\n") or not last.startswith(SIGNATURE_PREFIX):
        raise BackupError(
            _(
                "%(path)s carries no signature, so nothing shows that this installation made it: it was made "
                "elsewhere, by a version of TownAid that did not sign its backups, or changed after it was made. "
                "Nothing was restored."
            )
            % {"path": manifest},
            reason="unsigned",
        )
    body = head + newline
    if not hmac.compare_digest(last.removeprefix(SIGNATURE_PREFIX), manifest_signature(body).encode()):
        raise BackupError(
            _(
                "%(path)s is not signed with this installation's backup key: the backup was not made by this "
                "installation (or was made with another BACKUP_SIGNING_KEY or SECRET_KEY), or it was changed "
                "after it was made. Nothing was restored."
            )
            % {"path": manifest},
            reason="signature",
        )
    return body


def _parse(manifest: Path, body: bytes) -> tuple[str, datetime, dict[str, int], dict[str, str]]:
    """The engine, the time and each file's size and checksum of a signed manifest, which must be all there."""
    not_a_manifest = BackupError(
        _("%(path)s is not a checksum file of a backup.") % {"path": manifest}, reason="manifest"
    )
    meta, sizes, digests = {}, {}, {}
    try:
        for line in body.decode().removesuffix("\n").split("\n"):
            if line.startswith("# "):
                key, sep, value = line.removeprefix("# ").partition(": ")
                if key == "size":
                    size, _sep, file_name = value.partition(" ")
                    if file_name in sizes:
                        raise not_a_manifest
                    sizes[file_name] = int(size)
                elif not sep or key in meta:
                    raise not_a_manifest
                else:
                    meta[key] = value
            else:
                digest, _sep, file_name = line.partition("  ")
                if not DIGEST.fullmatch(digest) or file_name in digests:
                    raise not_a_manifest
                digests[file_name] = digest
        version, engine = meta[FORMAT_KEY], meta["engine"]
        made_at = datetime.fromisoformat(meta["created-at"])
    except (UnicodeDecodeError, ValueError, KeyError):
        raise not_a_manifest from None
    if version != FORMAT_VERSION:
        raise BackupError(
            _("%(path)s is a backup of format %(version)s, which this version of TownAid cannot restore.")
            % {"path": manifest, "version": version},
            reason="format",
        )
    name = manifest.name.removesuffix(MANIFEST_SUFFIX)
    if engine not in DATABASE_SUFFIXES or timezone.is_naive(made_at):
        raise not_a_manifest
    # The names follow from the manifest's own: nothing a manifest says can point outside its folder.
    expected = {f"{name}{DATABASE_SUFFIXES[engine]}", f"{name}{MEDIA_SUFFIX}"}
    if set(sizes) != expected or set(digests) != expected:
        raise BackupError(
            _("%(path)s does not list one database file and one media archive.") % {"path": manifest},
            reason="manifest",
        )
    return engine, made_at, sizes, digests


class _MediaCheck:
    """Admits the members of an uploads archive one by one: plain files and folders under media/, within the limits.

    Called on each member while reading an archive (and as tarfile's filter while writing one),
    it raises a BackupError naming the first member that is not an upload. `source` is what the
    messages name: the archive, or MEDIA_ROOT.
    """

    def __init__(self, source: Path):
        self.source = source
        self.members = 0
        self.bytes = 0

    def __call__(self, member: tarfile.TarInfo) -> tarfile.TarInfo:
        parts = PurePosixPath(member.name).parts
        if not parts or parts[0] != "media" or ".." in parts or "\0" in member.name:
            raise BackupError(
                _(
                    "%(source)s holds %(member)s, whose name leads outside the uploads folder media/ (an absolute "
                    'path, or one with ".."). Nothing was restored.'
                )
                % {"source": self.source, "member": member.name},
                reason="unsafe_member",
            )
        if not (member.isreg() or member.isdir()):
            raise BackupError(
                _(
                    "%(source)s holds %(member)s, which is a link or a device, not a file or a folder: backups hold "
                    "files and folders only."
                )
                % {"source": self.source, "member": member.name},
                reason="unsafe_member",
            )
        self.members += 1
        self.bytes += member.size if member.isreg() else 0
        if self.members > settings.BACKUP_MEDIA_MAX_FILES:
            raise BackupError(
                _(
                    "%(source)s holds more than %(count)s files and folders. If so many uploads are expected, raise "
                    "BACKUP_MEDIA_MAX_FILES."
                )
                % {"source": self.source, "count": settings.BACKUP_MEDIA_MAX_FILES},
                reason="too_many_files",
            )
        if self.bytes > settings.BACKUP_MEDIA_MAX_BYTES:
            raise BackupError(
                _(
                    "%(source)s holds more than %(size)s of uploads. If so much is expected, raise "
                    "BACKUP_MEDIA_MAX_BYTES."
                )
                % {"source": self.source, "size": filesizeformat(settings.BACKUP_MEDIA_MAX_BYTES)},
                reason="too_large",
            )
        return member


def _read_media(archive: Path, check: _MediaCheck, *, unpack_into: Path | None = None) -> None:
    """Check every member of an uploads archive, in one pass from start to end; with `unpack_into`, unpack it there."""
    try:
        with tarfile.open(archive, mode="r|gz") as tar:
            while (member := tar.next()) is not None:
                check(member)
                if unpack_into is not None:
                    try:
                        tar.extract(member, unpack_into, filter="data")  # the second line: tarfile's own refusals
                    except OSError as error:
                        raise _unpack_error(unpack_into, error) from None
                # tarfile keeps every member it has read, some 500 bytes each, which it needs only
                # to extract links: of no use here, and half a gigabyte for a million uploads.
                tar.members.clear()
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BackupError(
            _("%(path)s cannot be unpacked safely: %(error)s. Nothing was restored.")
            % {"path": archive, "error": error},
            reason="archive",
        ) from None


# ---------------------------------------------------------------- restoring


def restore_target(backup: Backup, *, alias: str = "default") -> Target:
    """What restoring `backup` would replace; refuses a backup of another kind of database."""
    connection = connections[alias]
    with _refusals_logged("backup_refused", backup.manifest):
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
                _("Cannot read the %(database)s: %(error)s") % {"database": _describe(connection), "error": error},
                reason="database",
            ) from None
    media_root = Path(settings.MEDIA_ROOT)
    media_files = sum(1 for path in media_root.rglob("*") if path.is_file()) if media_root.is_dir() else 0
    return Target(
        database=_describe(connection), tables=len(tables), rows=rows, media_root=media_root, media_files=media_files
    )


def backup_restore(backup: Backup, *, alias: str = "default") -> None:
    """Replace the database `alias` and MEDIA_ROOT with `backup` (checked by backup_open first), both or neither."""
    connection = connections[alias]
    media_root = Path(settings.MEDIA_ROOT)
    with _refusals_logged("backup_restore_failed", backup.manifest):
        _refuse_a_mismatch(backup, connection)
        staging = _stage_media(backup, media_root)
        aside = None
        try:
            aside = _private_folder(ASIDE_PREFIX, media_root)  # made now, so that the swap is renames only
            _restore_database(backup, connection)
        except BaseException as error:
            for folder in (staging, aside):
                if folder is not None:
                    shutil.rmtree(folder, ignore_errors=True)
            if isinstance(error, BackupError) and error.reason != "unpack":
                raise BackupError(
                    _("The database could not be restored, and the uploads were left as they were. %(error)s")
                    % {"error": error},
                    reason=error.reason,
                ) from None
            raise

    # From here on the database is the backup's: a failure must not hide that, nor lose any uploads.
    try:
        _swap_media(staging / "media", media_root, aside)
    except OSError as error:
        audit_log.error(
            "backup_restored_without_uploads by=%s backup=%s database=%s error=%s kept=%s unmoved=%s",
            _operator(),
            backup.manifest,
            _database_name(connection),
            error,
            aside,
            staging,
        )
        with suppress(BackupError):  # logged; the uploads are what the operator must hear about
            _record_restore(backup, connection, uploads="not swapped in")
        raise BackupError(
            _(
                "THE DATABASE WAS RESTORED from %(name)s, BUT THE UPLOADS WERE NOT: %(error)s. The uploads as they "
                "were before the restore are in %(aside)s; the restored ones not yet moved are in %(staging)s. To "
                "finish, move what is left in %(media_root)s (except these two folders) into %(aside)s, then the "
                "contents of %(restored)s into %(media_root)s."
            )
            % {
                "name": backup.name,
                "error": error,
                "aside": aside,
                "staging": staging,
                "media_root": media_root,
                "restored": staging / "media",
            },
            reason="swap",
        ) from None
    audit_log.info(
        "backup_restored by=%s backup=%s database=%s", _operator(), backup.manifest, _database_name(connection)
    )
    try:
        _record_restore(backup, connection, uploads="restored")
    finally:
        shutil.rmtree(aside, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)


def _stage_media(backup: Backup, media_root: Path) -> Path:
    """Unpack the uploads into a folder inside MEDIA_ROOT (the same file system, may be a mount point): its path."""
    try:
        media_root.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(media_root).free
        if backup.media_bytes > free:
            raise BackupError(
                _(
                    "The uploads of %(name)s need %(size)s, but only %(free)s is free in %(folder)s. Nothing was "
                    "restored."
                )
                % {
                    "name": backup.name,
                    "size": filesizeformat(backup.media_bytes),
                    "free": filesizeformat(free),
                    "folder": media_root,
                },
                reason="space",
            )
    except OSError as error:
        raise _unpack_error(media_root, error) from None
    staging = _private_folder(STAGING_PREFIX, media_root)
    try:
        _read_media(backup.media, _MediaCheck(backup.media), unpack_into=staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def _private_folder(prefix: str, media_root: Path) -> Path:
    """A new folder of the restore's own inside MEDIA_ROOT, readable by its owner only."""
    try:
        return Path(tempfile.mkdtemp(prefix=prefix, dir=media_root))
    except OSError as error:
        raise _unpack_error(media_root, error) from None


def _unpack_error(folder: Path, error: OSError) -> BackupError:
    return BackupError(
        _("The uploads could not be unpacked into %(folder)s: %(error)s. Nothing was restored.")
        % {"folder": folder, "error": error},
        reason="unpack",
    )


def _restore_database(backup: Backup, connection) -> None:
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
        return
    # Through the backup API too, not a file copy: other connections see the old database or
    # the new one, never a file half written, and a stale journal cannot undo the restore. The
    # copy is one step, one write transaction: a failure rolls it back.
    try:
        source = sqlite3.connect(f"{backup.database.resolve().as_uri()}?mode=ro", uri=True)
        with closing(source), closing(sqlite3.connect(_database_name(connection))) as live:
            source.backup(live)
    except sqlite3.Error as error:
        raise BackupError(
            _("SQLite could not copy %(path)s: %(error)s") % {"path": backup.database, "error": error},
            reason="database",
        ) from None


def _swap_media(restored: Path, media_root: Path, aside: Path) -> None:
    """Move the current uploads into `aside`, then the restored ones into MEDIA_ROOT: renames on one file system."""
    for path in _uploads_in(media_root):
        path.rename(aside / path.name)
    if restored.is_dir():
        for path in restored.iterdir():
            path.rename(media_root / path.name)


def _record_restore(backup: Backup, connection, *, uploads: str) -> None:
    """An AuditEvent in the restored database: which backup, made when, by which machine account on which host."""
    operator = _operator()
    try:
        audit.audit_record_restore(
            using=connection.alias,
            backup=str(backup.manifest),
            name=backup.name,
            made_at=backup.made_at,
            operator=operator,
            host=socket.gethostname(),
            uploads=uploads,
        )
    except DatabaseError as error:
        audit_log.error("backup_restore_unrecorded by=%s backup=%s error=%s", operator, backup.manifest, error)
        raise BackupError(
            _(
                "%(name)s was restored, but the change history could not record it: %(error)s. If the backup "
                "comes from an older version of TownAid, run `manage.py migrate`."
            )
            % {"name": backup.name, "error": error},
            reason="unrecorded",
        ) from None


def _uploads_in(media_root: Path) -> list[Path]:
    """What MEDIA_ROOT holds, less a restore's own folders."""
    return [path for path in media_root.iterdir() if not path.name.startswith((STAGING_PREFIX, ASIDE_PREFIX))]


# ---------------------------------------------------------------- shared


def _refuse_a_mismatch(backup: Backup, connection) -> None:
    engine = _engine_of(connection)
    if backup.engine != engine:
        raise BackupError(
            _("%(name)s is a backup of a %(backup)s database, but the configured database is %(configured)s.")
            % {"name": backup.name, "backup": ENGINE_NAMES[backup.engine], "configured": ENGINE_NAMES[engine]},
            reason="engine",
        )
    if engine == "sqlite" and connection.is_in_memory_db():
        raise BackupError(
            _("The configured database is an in-memory SQLite database: nothing to restore into."), reason="engine"
        )


def _engine_of(connection) -> str:
    if connection.vendor not in DATABASE_SUFFIXES:
        raise BackupError(
            _("Backups cover PostgreSQL and SQLite, not %(vendor)s.") % {"vendor": connection.vendor}, reason="engine"
        )
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
            % {"program": program},
            reason="client",
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
            % {"program": program, "code": finished.returncode, "said": said},
            reason="database",
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
