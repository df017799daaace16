"""`manage.py backup` and `manage.py restore`: a backup restored into a scratch database holds every row and upload.

The backup is taken of the test database, in this process; the restore runs as a real
`manage.py restore` in a subprocess whose DATABASE_URL and MEDIA_ROOT point at a scratch
database (PostgreSQL: one created for the test and dropped after; SQLite: a file) and a
scratch folder, as an operator would restore onto a spare machine.

A forger is played two ways: one who can change the backup files but not read the key (the
checksums recomputed, the signature kept or dropped), and one who holds the key (the manifest
signed anew), to show that the uploads archive is checked for itself too.
"""

import getpass
import hashlib
import io
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import tarfile
import uuid
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import translation

from households.models import Household
from households.tests.factories import HouseholdFactory, MemberFactory
from maintenance.backups import DATABASE_SUFFIXES, backup_open, manifest_signature
from visits.tests.factories import VisitFactory

# SQLite's backup API cannot copy a database while its own connection writes to it, as it does
# inside a test's transaction; pg_dump can (it sees the last commit), which saves a flush per test.
backs_up = pytest.mark.django_db(transaction=settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"))
PHOTO = b"\xff\xd8\xff\xe0 a visit photo \xff\xd9"
ROSTER = b"PK\x03\x04 a roster workbook"


@pytest.fixture(autouse=True)
def media_and_english(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


@pytest.fixture
def registry(dongfeng, hongqi, alice):
    """A few households with members and visits, and uploads in nested folders."""
    for village in (dongfeng, hongqi):
        for _ in range(3):
            household = HouseholdFactory(village=village)
            MemberFactory(household=household)
            VisitFactory(household=household, visitor=alice)
    media = Path(settings.MEDIA_ROOT)
    (media / "visit-photos" / "2020" / "03").mkdir(parents=True)
    (media / "visit-photos" / "2020" / "03" / "a1b2.jpg").write_bytes(PHOTO)
    (media / "rosters").mkdir()
    (media / "rosters" / "roster.xlsx").write_bytes(ROSTER)


def backup(output: Path) -> Path:
    """Run `backup --output`; the checksum file of the set it wrote."""
    call_command("backup", "--output", str(output), stdout=(out := io.StringIO()))
    found = re.search(r"restore (\S+\.sha256) --yes", out.getvalue())
    assert found, out.getvalue()
    return Path(found.group(1))


def restore_elsewhere(
    manifest: Path, *, database_url: str, media_root: Path, yes=True, before: str = ""
) -> subprocess.CompletedProcess:
    """`manage.py restore` as an operator runs it, against another database and media folder."""
    arguments = ["restore", str(manifest), *(["--yes"] if yes else [])]
    return manage_elsewhere(*arguments, database_url=database_url, media_root=media_root, before=before)


def manage_elsewhere(
    *arguments: str, database_url: str, media_root: Path, before: str = ""
) -> subprocess.CompletedProcess:
    """`manage.py` run on another database and media folder, with this installation's keys.

    `before` is Python run first in the same process, to make the machine misbehave.
    """
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media_root),
        "DJANGO_SETTINGS_MODULE": "townaid.settings_test",
        "LANGUAGE_CODE": "en",  # the assertions read the English messages
        "BACKUP_SIGNING_KEY": settings.BACKUP_SIGNING_KEY,
        "SECRET_KEY": settings.SECRET_KEY,
    }
    manage = "import runpy, sys; sys.argv[0] = 'manage.py'; runpy.run_path('manage.py', run_name='__main__')"
    command = [sys.executable, "-c", f"{before}\n{manage}", *arguments]
    return subprocess.run(command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)


# ---------------------------------------------------------------- a forger at work


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def forge(manifest: Path, *, signature: str) -> None:
    """Recompute the manifest's sizes and checksums for its files as they are now, as a forger would.

    `signature`: "kept" (the old line, by a forger without the key), "dropped" (a bare
    `sha256sum` file), or "renewed" (by someone who holds the key).
    """
    *lines, old_signature = manifest.read_text().splitlines()
    body = ""
    for line in lines:
        if line.startswith("# size: "):
            name = line.rpartition(" ")[2]
            line = f"# size: {(manifest.parent / name).stat().st_size} {name}"
        elif not line.startswith("#"):
            name = line.partition("  ")[2]
            line = f"{sha256(manifest.parent / name)}  {name}"
        if signature != "dropped" or not line.startswith("#"):
            body += f"{line}\n"
    if signature == "kept":
        body += f"{old_signature}\n"
    elif signature == "renewed":
        body += f"# hmac-sha256: {manifest_signature(body.encode())}\n"
    manifest.write_text(body)


def media_archive(manifest: Path) -> Path:
    return manifest.with_name(manifest.name.removesuffix(".sha256") + "-media.tar.gz")


def database_file(manifest: Path) -> Path:
    return manifest.with_name(manifest.name.removesuffix(".sha256") + DATABASE_SUFFIXES[connection.vendor])


def add_to_archive(archive: Path, member: tarfile.TarInfo, content: bytes = b"") -> None:
    """Rewrite an uploads archive with every member it had, and `member`."""
    with tarfile.open(archive) as old:
        kept = [(m, old.extractfile(m).read() if m.isreg() else None) for m in old.getmembers()]
    member.size = len(content) if member.isreg() else 0
    with tarfile.open(archive, "w:gz") as new:
        for m, data in [*kept, (member, content if member.isreg() else None)]:
            new.addfile(m, io.BytesIO(data) if data is not None else None)


def audit_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "townaid.audit" and r.levelname == "WARNING"]


# ---------------------------------------------------------------- a scratch database of the same engine


class Scratch:
    """An empty database of the test database's engine, its URL, and a Django connection to read it with."""

    def __init__(self, tmp_path: Path):
        source = connection.settings_dict
        if connection.vendor == "postgresql":
            self.name = f"{source['NAME']}_scratch_{uuid.uuid4().hex[:8]}"
            self.server("CREATE DATABASE {}")
            user = quote(source["USER"] or "", safe="")
            password = f":{quote(str(source['PASSWORD']), safe='')}" if source["PASSWORD"] else ""
            credentials = f"{user}{password}@" if user else ""
            where = f"{source['HOST'] or 'localhost'}:{source['PORT'] or 5432}"
            self.url = f"postgres://{credentials}{where}/{quote(self.name, safe='')}"
        else:
            self.name = str(tmp_path / "scratch.sqlite3")
            self.url = f"sqlite:///{self.name}"
        self.connection = self.connect(self.name)

    @staticmethod
    def connect(name: str):
        """A Django connection of its own, in autocommit whatever the test's own connection is doing."""
        return type(connections["default"])({**connection.settings_dict, "NAME": name}, alias="scratch")

    def server(self, statement: str):
        """Run a CREATE or DROP DATABASE, which PostgreSQL refuses inside a transaction such as the test's."""
        other = self.connect(connection.settings_dict["NAME"])
        with other.cursor() as cursor:
            cursor.execute(statement.format(other.ops.quote_name(self.name)))
        other.close()

    def drop(self):
        self.connection.close()
        if connection.vendor == "postgresql":
            self.server("DROP DATABASE IF EXISTS {} WITH (FORCE)")


@pytest.fixture
def scratch(tmp_path):
    database = Scratch(tmp_path)
    yield database
    database.drop()


def row_counts(db) -> dict[str, int]:
    """Every table of a database and its number of rows."""
    with db.cursor() as cursor:
        counts = {}
        for table in db.introspection.table_names(cursor):
            cursor.execute(f"SELECT COUNT(*) FROM {db.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def sequences(db) -> dict[str, int]:
    """Where each PostgreSQL sequence stands, so that rows added after a restore get fresh ids."""
    if db.vendor != "postgresql":
        return {}
    with db.cursor() as cursor:
        cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
        return dict(cursor.fetchall())


def files_under(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def restore_events(db) -> list[dict]:
    """The AuditEvents of restores in a database, read without the ORM (which knows only the test database)."""
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT via, actor_id, object_repr, changes, reason FROM audit_auditevent "
            "WHERE object_type = 'maintenance.Backup'"
        )
        rows = cursor.fetchall()
    return [
        {
            "via": via,
            "actor": actor,
            "object_repr": name,
            "changes": json.loads(changes) if isinstance(changes, str) else changes,
            "reason": reason,
        }
        for via, actor, name, changes, reason in rows
    ]


# ---------------------------------------------------------------- the round trip


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_scratch_database_has_every_row_and_upload_and_an_audit_event(
    registry, scratch, tmp_path
):
    manifest = backup(tmp_path / "backups")
    restored_media = tmp_path / "restored-media"
    (restored_media / "stale").mkdir(parents=True)
    (restored_media / "stale" / "left-over.jpg").write_bytes(b"not in the backup")

    finished = restore_elsewhere(manifest, database_url=scratch.url, media_root=restored_media)

    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "signed by this installation" in finished.stdout
    source = row_counts(connection)
    assert {table: source[table] for table in ("households_household", "households_member", "visits_visit")} == {
        "households_household": 6,
        "households_member": 12,
        "visits_visit": 6,
    }
    restored = row_counts(scratch.connection)
    # The restore added one row of its own: its AuditEvent (and moved that table's sequence on).
    assert restored.pop("audit_auditevent") == source.pop("audit_auditevent") + 1
    assert restored == source
    restored_sequences, source_sequences = sequences(scratch.connection), sequences(connection)
    for table_sequences in (restored_sequences, source_sequences):
        table_sequences.pop("audit_auditevent_id_seq", None)
    assert restored_sequences == source_sequences
    assert files_under(restored_media) == files_under(Path(settings.MEDIA_ROOT)), "the uploads are those of the backup"
    assert sorted(path.name for path in restored_media.iterdir()) == ["rosters", "visit-photos"], "no folder left over"
    assert re.search(rf"backup_restored by=\S+ backup={re.escape(str(manifest))} ", finished.stderr), "an audit line"
    [event] = restore_events(scratch.connection)
    name = manifest.name.removesuffix(".sha256")
    assert event["via"] == "command"
    assert event["actor"] is None
    assert event["object_repr"] == name
    assert event["changes"]["backup"] == [None, str(manifest)]
    assert event["changes"]["machine_account"] == [None, getpass.getuser()]
    assert event["changes"]["uploads"] == [None, "restored"]
    assert event["changes"]["made_at"][1].startswith(f"{name[8:12]}-{name[12:14]}-{name[14:16]}T")
    assert name in event["reason"]
    assert getpass.getuser() in event["reason"]


@backs_up
def test_restore_without_yes_says_what_it_would_replace_and_changes_nothing(registry, scratch, tmp_path):
    manifest = backup(tmp_path / "backups")
    restored_media = tmp_path / "restored-media"

    finished = restore_elsewhere(manifest, database_url=scratch.url, media_root=restored_media, yes=False)

    assert finished.returncode == 1
    assert Path(scratch.name).name in finished.stdout
    assert str(restored_media) in finished.stdout
    assert "--yes" in finished.stderr
    assert row_counts(scratch.connection) == {}
    assert not restored_media.exists() or not any(restored_media.iterdir())


# ---------------------------------------------------------------- what a backup is made of


@backs_up
def test_a_backup_is_three_files_named_by_its_time_readable_by_their_owner_only(registry, tmp_path):
    manifest = backup(tmp_path / "backups")

    name = manifest.name.removesuffix(".sha256")
    assert re.fullmatch(r"townaid-\d{8}-\d{6}", name)
    suffix = DATABASE_SUFFIXES[connection.vendor]
    assert sorted(path.name for path in manifest.parent.iterdir()) == sorted(
        [f"{name}{suffix}", f"{name}-media.tar.gz", f"{name}.sha256"]
    )
    for path in manifest.parent.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    # sha256sum's own format, so that `sha256sum -c` checks a backup without the app.
    checked = subprocess.run(
        ["sha256sum", "--strict", "-c", manifest.name], cwd=manifest.parent, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count(": OK") == 2


@backs_up
def test_the_manifest_says_what_the_set_holds_and_is_signed_over_all_of_it(registry, tmp_path):
    manifest = backup(tmp_path / "backups")
    database, media = database_file(manifest), media_archive(manifest)

    *lines, signature = manifest.read_text().splitlines()
    assert lines[:2] == ["# townaid-backup: 2", f"# engine: {connection.vendor}"]
    assert re.fullmatch(r"# created-at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", lines[2])
    assert lines[3:] == [
        f"# size: {database.stat().st_size} {database.name}",
        f"# size: {media.stat().st_size} {media.name}",
        f"{sha256(database)}  {database.name}",
        f"{sha256(media)}  {media.name}",
    ]
    body = "".join(f"{line}\n" for line in lines).encode()
    assert signature == f"# hmac-sha256: {manifest_signature(body)}"


def test_a_backup_of_a_sqlite_database_in_wal_mode_is_one_file_that_opens_read_only(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("a PostgreSQL dump has no journal")
    live = tmp_path / "live.sqlite3"
    with closing(sqlite3.connect(live)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE note (text varchar(10))")
        db.execute("INSERT INTO note VALUES ('kept')")
        db.commit()
    output = tmp_path / "backups"

    finished = manage_elsewhere(
        "backup", "--output", str(output), database_url=f"sqlite:///{live}", media_root=tmp_path / "media"
    )

    assert finished.returncode == 0, finished.stdout + finished.stderr
    [copy] = output.glob("*.sqlite3")
    with closing(sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True)) as db:
        assert db.execute("SELECT text FROM note").fetchall() == [("kept",)]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert len(list(output.iterdir())) == 3, "no -wal or -shm file beside the backup"


@backs_up
def test_a_backup_is_noted_in_the_audit_log(registry, tmp_path, caplog):
    manifest = backup(tmp_path / "backups")

    lines = [r.getMessage() for r in caplog.records if r.name == "townaid.audit"]
    database = connection.settings_dict["NAME"]
    assert lines == [f"backup_made by={getpass.getuser()} backup={manifest} database={database}"]


@backs_up
def test_a_damaged_backup_is_refused_before_anything_is_replaced(registry, tmp_path):
    manifest = backup(tmp_path / "backups")
    dump = next(manifest.parent.glob(f"*{DATABASE_SUFFIXES[connection.vendor]}"))
    damaged = bytearray(dump.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    dump.write_bytes(damaged)
    (Path(settings.MEDIA_ROOT) / "added-after.jpg").write_bytes(PHOTO)

    with pytest.raises(CommandError, match=re.escape(dump.name)):
        call_command("restore", str(manifest), "--yes", stdout=io.StringIO())

    assert Household.objects.count() == 6
    assert (Path(settings.MEDIA_ROOT) / "added-after.jpg").exists()


@backs_up
def test_a_backup_without_its_checksum_file_is_unfinished_and_refused(registry, tmp_path):
    manifest = backup(tmp_path / "backups")
    manifest.unlink()
    dump = next(manifest.parent.glob(f"*{DATABASE_SUFFIXES[connection.vendor]}"))

    with pytest.raises(CommandError, match=re.escape(manifest.name)):
        call_command("restore", str(dump), "--yes", stdout=io.StringIO())


@pytest.mark.django_db
def test_a_backup_of_the_other_engine_is_refused(tmp_path):
    other = next(vendor for vendor in DATABASE_SUFFIXES if vendor != connection.vendor)
    suffix = DATABASE_SUFFIXES[other]
    dump = tmp_path / f"townaid-20200101-010000{suffix}"
    dump.write_bytes(b"a database of the other kind")
    media = tmp_path / "townaid-20200101-010000-media.tar.gz"
    tarfile.open(media, "w:gz").close()
    manifest = tmp_path / "townaid-20200101-010000.sha256"
    body = f"# townaid-backup: 2\n# engine: {other}\n# created-at: 2020-01-01T01:00:00+08:00\n"
    body += "".join(f"# size: {path.stat().st_size} {path.name}\n" for path in (dump, media))
    body += "".join(f"{sha256(path)}  {path.name}\n" for path in (dump, media))
    manifest.write_text(f"{body}# hmac-sha256: {manifest_signature(body.encode())}\n")

    with pytest.raises(CommandError, match="configured database is"):
        call_command("restore", str(manifest), "--yes", stdout=io.StringIO())


@pytest.mark.postgresql  # SQLite is backed up without any outside program
@pytest.mark.django_db
def test_without_pg_dump_the_backup_says_so_and_leaves_no_file(registry, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    output = tmp_path / "backups"

    with pytest.raises(CommandError, match="pg_dump was not found"):
        call_command("backup", "--output", str(output), stdout=io.StringIO())

    assert list(output.iterdir()) == []


def test_restoring_a_file_that_does_not_exist_says_so(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("restore", str(tmp_path / "townaid-20200101-010000.sha256"), stdout=io.StringIO())


# ---------------------------------------------------------------- forged backups


@backs_up
@pytest.mark.parametrize(("signature", "reason"), [("kept", "signature"), ("dropped", "unsigned")])
def test_a_forged_backup_is_refused_and_nothing_is_replaced(registry, dongfeng, tmp_path, caplog, signature, reason):
    manifest = backup(tmp_path / "backups")
    # The review's attack: other uploads in the archive, one of them escaping the folder, and
    # the checksums recomputed so that `sha256sum -c` passes.
    add_to_archive(media_archive(manifest), tarfile.TarInfo("../../planted.sh"), b"#!/bin/sh\n")
    forge(manifest, signature=signature)
    assert subprocess.run(["sha256sum", "-c", manifest.name], cwd=manifest.parent, capture_output=True).returncode == 0
    HouseholdFactory(village=dongfeng)  # the database moves on after the backup; a restore would undo this
    uploads = files_under(Path(settings.MEDIA_ROOT))

    with pytest.raises(CommandError, match=r"this installation.*changed after it was made\. Nothing was restored"):
        call_command("restore", str(manifest), "--yes", stdout=io.StringIO())

    assert Household.objects.count() == 7
    assert files_under(Path(settings.MEDIA_ROOT)) == uploads
    assert not (tmp_path / "planted.sh").exists()
    assert audit_warnings(caplog) == [f"backup_refused by={getpass.getuser()} backup={manifest} reason={reason}"]


@backs_up
@pytest.mark.parametrize("rotated", ["BACKUP_SIGNING_KEY", "SECRET_KEY"])
def test_a_backup_signed_with_another_key_is_refused(registry, tmp_path, settings, caplog, rotated):
    """Another installation's backup, or this one's after its key changed (SECRET_KEY without a key of its own)."""
    if rotated == "BACKUP_SIGNING_KEY":
        settings.BACKUP_SIGNING_KEY = "the key of another installation, 32+ characters"
    manifest = backup(tmp_path / "backups")
    settings.BACKUP_SIGNING_KEY = ""
    if rotated == "SECRET_KEY":
        settings.SECRET_KEY = "a new secret key after a rotation"

    with pytest.raises(CommandError, match="is not signed with this installation's backup key"):
        call_command("restore", str(manifest), "--yes", stdout=io.StringIO())

    assert Household.objects.count() == 6
    assert audit_warnings(caplog) == [f"backup_refused by={getpass.getuser()} backup={manifest} reason=signature"]


@backs_up
def test_a_backup_signing_key_of_its_own_outlives_a_secret_key_rotation(registry, tmp_path, settings):
    settings.BACKUP_SIGNING_KEY = "this installation's own backup key, 32+ characters"
    manifest = backup(tmp_path / "backups")
    settings.SECRET_KEY = "a new secret key after a rotation"

    assert backup_open(manifest).manifest == manifest  # the signature, the checksums, the uploads: all accepted


def uploads_archive_member(kind: str, tmp_path: Path) -> tuple[tarfile.TarInfo, str]:
    """A member no backup writes, as one who holds the key could add it; and its name as the refusal shows it."""
    if kind == "parent":
        return tarfile.TarInfo("media/../../outside.jpg"), "media/../../outside.jpg"
    if kind == "absolute":
        return tarfile.TarInfo(str(tmp_path / "outside.jpg")), str(tmp_path / "outside.jpg")
    if kind == "outside media/":
        return tarfile.TarInfo("outside.jpg"), "outside.jpg"
    member = tarfile.TarInfo("media/visit-photos/link.jpg")
    member.type, member.linkname = {
        "symlink": (tarfile.SYMTYPE, str(tmp_path / "outside.jpg")),
        "hard link": (tarfile.LNKTYPE, "media/rosters/roster.xlsx"),
        "device": (tarfile.CHRTYPE, ""),
    }[kind]
    return member, member.name


@backs_up
@pytest.mark.parametrize("kind", ["parent", "absolute", "outside media/", "symlink", "hard link", "device"])
def test_an_uploads_archive_with_a_member_that_is_not_an_upload_is_refused_before_the_database_is_touched(
    registry, dongfeng, tmp_path, caplog, kind
):
    manifest = backup(tmp_path / "backups")
    member, shown = uploads_archive_member(kind, tmp_path)
    add_to_archive(media_archive(manifest), member, PHOTO)
    forge(manifest, signature="renewed")  # a valid signature: the archive is checked for itself
    HouseholdFactory(village=dongfeng)
    uploads = files_under(Path(settings.MEDIA_ROOT))

    with pytest.raises(CommandError, match=re.escape(f"holds {shown}, ")):
        call_command("restore", str(manifest), "--yes", stdout=io.StringIO())

    assert Household.objects.count() == 7
    assert files_under(Path(settings.MEDIA_ROOT)) == uploads
    assert sorted(path.name for path in Path(settings.MEDIA_ROOT).iterdir()) == ["rosters", "visit-photos"]
    assert not (tmp_path / "outside.jpg").exists()
    assert audit_warnings(caplog) == [f"backup_refused by={getpass.getuser()} backup={manifest} reason=unsafe_member"]


@backs_up
@pytest.mark.parametrize(
    ("limit", "value", "message"),
    [
        # media/, visit-photos/, 2020/, 03/, a1b2.jpg, rosters/, roster.xlsx: seven members
        ("BACKUP_MEDIA_MAX_FILES", 6, "holds more than 6 files and folders"),
        ("BACKUP_MEDIA_MAX_BYTES", len(PHOTO) + len(ROSTER) - 1, "raise BACKUP_MEDIA_MAX_BYTES"),
    ],
)
def test_an_uploads_archive_over_the_limits_is_refused(registry, tmp_path, settings, limit, value, message):
    manifest = backup(tmp_path / "backups")
    setattr(settings, limit, value)

    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("restore", str(manifest), "--yes", stdout=io.StringIO())

    setattr(settings, limit, value + 1)  # at the limit exactly, it is accepted
    assert backup_open(manifest).media_bytes == len(PHOTO) + len(ROSTER)


@backs_up
def test_a_backup_refuses_uploads_that_no_restore_would_accept(registry, tmp_path):
    link = Path(settings.MEDIA_ROOT) / "rosters" / "latest.xlsx"
    link.symlink_to(Path(settings.MEDIA_ROOT) / "rosters" / "roster.xlsx")
    output = tmp_path / "backups"

    with pytest.raises(CommandError, match=re.escape("holds media/rosters/latest.xlsx, which is a link")):
        call_command("backup", "--output", str(output), stdout=io.StringIO())

    assert list(output.iterdir()) == []


# ---------------------------------------------------------------- the database and the uploads together


@pytest.mark.django_db(transaction=True)
def test_a_failing_database_restore_leaves_the_database_and_the_uploads_as_they_were(registry, scratch, tmp_path):
    manifest = backup(tmp_path / "backups")
    database_file(manifest).write_bytes(b"not a database at all " * 100)
    forge(manifest, signature="renewed")  # signed and checksummed: only the database restore can fail
    with scratch.connection.cursor() as cursor:
        cursor.execute("CREATE TABLE canary (note varchar(20))")
        cursor.execute("INSERT INTO canary VALUES ('still here')")
    restored_media = tmp_path / "restored-media"
    (restored_media / "visit-photos").mkdir(parents=True)
    (restored_media / "visit-photos" / "today.jpg").write_bytes(b"taken after the backup")

    finished = restore_elsewhere(manifest, database_url=scratch.url, media_root=restored_media)

    assert finished.returncode == 1, finished.stdout + finished.stderr
    assert "The database could not be restored, and the uploads were left as they were." in finished.stderr
    assert "Traceback" not in finished.stderr
    assert row_counts(scratch.connection) == {"canary": 1}
    assert files_under(restored_media) == {"visit-photos/today.jpg": b"taken after the backup"}
    assert [path.name for path in restored_media.iterdir()] == ["visit-photos"], "no unpacked uploads left behind"
    assert re.search(r"WARNING townaid.audit backup_restore_failed by=\S+ backup=\S+ reason=database", finished.stderr)


# Moving the restored rosters into place fails, as a rename can (permissions, a full inode table).
ROSTERS_CANNOT_MOVE_IN = """
import pathlib
rename = pathlib.Path.rename
def refuse_restored_rosters(self, target):
    if self.name == "rosters" and ".restoring-" in str(self):
        raise PermissionError(13, "Permission denied", str(self))
    return rename(self, target)
pathlib.Path.rename = refuse_restored_rosters
"""


@pytest.mark.django_db(transaction=True)
def test_uploads_that_cannot_be_swapped_in_are_said_loudly_and_the_old_ones_kept_aside(registry, scratch, tmp_path):
    manifest = backup(tmp_path / "backups")
    restored_media = tmp_path / "restored-media"
    (restored_media / "rosters").mkdir(parents=True)
    (restored_media / "rosters" / "newer.xlsx").write_bytes(b"a roster from after the backup")
    (restored_media / "notes.txt").write_bytes(b"an upload from after the backup")
    before = files_under(restored_media)

    finished = restore_elsewhere(
        manifest, database_url=scratch.url, media_root=restored_media, before=ROSTERS_CANNOT_MOVE_IN
    )

    assert finished.returncode == 1, finished.stdout + finished.stderr
    assert "THE DATABASE WAS RESTORED" in finished.stderr
    assert "Traceback" not in finished.stderr
    assert row_counts(scratch.connection)["households_household"] == 6, "the database is the backup's"
    [aside] = restored_media.glob(".replaced-*")
    [staging] = restored_media.glob(".restoring-*")
    assert str(aside) in finished.stderr
    assert str(staging) in finished.stderr
    assert files_under(aside) == before, "the old uploads are all kept, to be put back"
    unmoved = files_under(staging / "media")
    assert unmoved["rosters/roster.xlsx"] == ROSTER, "the restored rosters are kept, to be moved in"
    moved = {name: data for name, data in files_under(restored_media).items() if not name.startswith(".")}
    assert moved | unmoved == files_under(Path(settings.MEDIA_ROOT)), "every restored upload is in one or the other"
    assert "backup_restored_without_uploads" in finished.stderr
    [event] = restore_events(scratch.connection)
    assert event["changes"]["uploads"] == [None, "not swapped in"]
