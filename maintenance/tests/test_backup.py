"""`manage.py backup` and `manage.py restore`: a backup restored into a scratch database holds every row and upload.

The backup is taken of the test database, in this process; the restore runs as a real
`manage.py restore` in a subprocess whose DATABASE_URL and MEDIA_ROOT point at a scratch
database (PostgreSQL: one created for the test and dropped after; SQLite: a file) and a
scratch folder, as an operator would restore onto a spare machine.
"""

import getpass
import hashlib
import io
import os
import re
import stat
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import translation

from households.models import Household
from households.tests.factories import HouseholdFactory, MemberFactory
from maintenance.backups import DATABASE_SUFFIXES
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


def restore_elsewhere(manifest: Path, *, database_url: str, media_root: Path, yes=True) -> subprocess.CompletedProcess:
    """`manage.py restore` as an operator runs it, against another database and media folder."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media_root),
        "DJANGO_SETTINGS_MODULE": "townaid.settings_test",
    }
    command = [sys.executable, "manage.py", "restore", str(manifest), *(["--yes"] if yes else [])]
    return subprocess.run(command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)


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


# ---------------------------------------------------------------- the round trip


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_scratch_database_has_every_row_and_every_upload(registry, scratch, tmp_path):
    manifest = backup(tmp_path / "backups")
    restored_media = tmp_path / "restored-media"
    (restored_media / "stale").mkdir(parents=True)
    (restored_media / "stale" / "left-over.jpg").write_bytes(b"not in the backup")

    finished = restore_elsewhere(manifest, database_url=scratch.url, media_root=restored_media)

    assert finished.returncode == 0, finished.stdout + finished.stderr
    source = row_counts(connection)
    assert {table: source[table] for table in ("households_household", "households_member", "visits_visit")} == {
        "households_household": 6,
        "households_member": 12,
        "visits_visit": 6,
    }
    assert row_counts(scratch.connection) == source
    assert sequences(scratch.connection) == sequences(connection)
    assert files_under(restored_media) == files_under(Path(settings.MEDIA_ROOT)), "the uploads are those of the backup"
    assert re.search(rf"backup_restored by=\S+ backup={re.escape(str(manifest))} ", finished.stderr), "an audit line"


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
    checked = subprocess.run(["sha256sum", "-c", manifest.name], cwd=manifest.parent, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


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
    other = next(suffix for vendor, suffix in DATABASE_SUFFIXES.items() if vendor != connection.vendor)
    dump = tmp_path / f"townaid-20200101-010000{other}"
    dump.write_bytes(b"a database of the other kind")
    media = tmp_path / "townaid-20200101-010000-media.tar.gz"
    media.write_bytes(b"")
    manifest = tmp_path / "townaid-20200101-010000.sha256"
    lines = [f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n" for path in (dump, media)]
    manifest.write_text("".join(lines))

    with pytest.raises(CommandError, match="configured database is"):
        call_command("restore", str(manifest), "--yes", stdout=io.StringIO())


@pytest.mark.django_db
def test_without_pg_dump_the_backup_says_so_and_leaves_no_file(registry, tmp_path, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite is backed up without any outside program")
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    output = tmp_path / "backups"

    with pytest.raises(CommandError, match="pg_dump was not found"):
        call_command("backup", "--output", str(output), stdout=io.StringIO())

    assert list(output.iterdir()) == []


def test_restoring_a_file_that_does_not_exist_says_so(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("restore", str(tmp_path / "townaid-20200101-010000.sha256"), stdout=io.StringIO())
