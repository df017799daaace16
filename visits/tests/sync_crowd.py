"""Phones sending one visit at the same moment through the real sync view; run as a script, on a fresh SQLite file.

A phone resends a visit whenever it is not sure the last send arrived, and a visitor with the app
open in two tabs, or a retry that overlaps a slow reply, sends one client key twice at once.
`crowd` makes a visitor and a household, then, in one thread per phone, released together:

1. PEOPLE phones send the same visit (one key, one photo): one visit must be stored, with one photo,
   and every phone told 201 (one of them) or 200;
2. PEOPLE phones send one key with two versions (half and half): one visit and one conflict, every
   phone told 201, 200 (its version is the one stored) or 409.

visits/tests/test_sync_crowd.py runs it in the test process on PostgreSQL, and as a script
(`python -m visits.tests.sync_crowd DATABASE_FILE PEOPLE`, DATABASE_URL naming that file) on SQLite
in WAL mode, as under `make run`: the script migrates the file and prints one JSON line.
"""

import io
import json
import sys
import threading
import uuid


def crowd(people: int) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone
    from PIL import Image

    from accounts.models import Role
    from households.choices import AssignmentRole
    from households.tests.factories import (
        AssignmentFactory,
        HouseholdFactory,
        TownFactory,
        UserFactory,
        VillageFactory,
    )
    from visits.models import Visit, VisitConflict, VisitPhoto

    village = VillageFactory(town=TownFactory())
    household = HouseholdFactory(village=village)
    visitor = UserFactory(username=f"visitor-{uuid.uuid4().hex[:8]}", role=Role.RESPONSIBLE)
    AssignmentFactory(household=household, person=visitor, role=AssignmentRole.RESPONSIBLE)
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 140, 60)).save(picture, format="JPEG")

    def phone() -> Client:
        client = Client(HTTP_ACCEPT="application/json")
        client.force_login(visitor)
        return client

    def visit(key, findings: str) -> dict:
        return {
            "client_key": str(key),
            "household": str(household.pk),
            "village": str(village.pk),
            "visited_on": timezone.localdate().isoformat(),
            "method": "home",
            "met_with": "户主",
            "findings": findings,
            "offline": "1",
            "photos": [SimpleUploadedFile("photo.jpg", picture.getvalue(), content_type="image/jpeg")],
        }

    def at_once(sends) -> tuple[list[int], list[str]]:
        start, lock = threading.Barrier(len(sends)), threading.Lock()
        statuses, errors = [], []

        def send(client, data):
            try:
                start.wait()
                answer = client.post(reverse("visits:sync"), data)
                with lock:
                    statuses.append(answer.status_code)
            except Exception as error:  # "database is locked" was what SQLite gave before
                with lock:
                    errors.append(f"{type(error).__name__}: {error}")
            finally:
                connection.close()

        threads = [threading.Thread(target=send, args=send_args) for send_args in sends]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        return sorted(statuses), errors

    same, different = uuid.uuid4(), uuid.uuid4()
    same_statuses, same_errors = at_once([(phone(), visit(same, "一次走访")) for _ in range(people)])
    versions = ["第一个版本" if index % 2 else "第二个版本" for index in range(people)]
    different_statuses, different_errors = at_once([(phone(), visit(different, text)) for text in versions])
    return {
        "same": same_statuses,
        "different": different_statuses,
        "errors": same_errors + different_errors,
        "same_visits": Visit.objects.filter(client_key=same).count(),
        "same_photos": VisitPhoto.objects.filter(visit__client_key=same).count(),
        "different_visits": Visit.objects.filter(client_key=different).count(),
        "conflicts": VisitConflict.objects.filter(client_key=different).count(),
    }


def main(people: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host, outgoing mail kept in memory
    call_command("migrate", verbosity=0)
    print(json.dumps(crowd(people)))


if __name__ == "__main__":
    main(int(sys.argv[2]))
