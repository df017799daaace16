"""Run as a script: several people saving at the same moment on a fresh SQLite database, as under `make run`.

Usage: python -m townaid.tests.sqlite_crowd DATABASE_FILE PEOPLE. DATABASE_URL must name
that file. The script migrates it, registers PEOPLE cadres of one village with one
household, and then, in one thread each, released together, every cadre logs in and logs
a visit to the household, twice: the requests that take the write lock after reading
first. It prints one JSON line: each response's status code, and any error raised.
"""

import json
import sys
import threading
import uuid

import django


def main(people: int) -> None:
    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from accounts.models import Role
    from households.tests.factories import HouseholdFactory, TownFactory, UserFactory, VillageFactory

    setup_test_environment()  # the test client's host, outgoing mail kept in memory
    call_command("migrate", verbosity=0)
    village = VillageFactory(town=TownFactory())
    household = HouseholdFactory(village=village)
    for index in range(people):
        UserFactory(username=f"cadre{index}", role=Role.CADRE, villages=[village], password="crowd-password-1")

    start, lock = threading.Barrier(people), threading.Lock()
    statuses, errors = [], []

    def person(index: int) -> None:
        client = Client()
        try:
            start.wait()
            answers = [client.post("/accounts/login/", {"username": f"cadre{index}", "password": "crowd-password-1"})]
            for _ in range(2):
                visit = {
                    "client_key": str(uuid.uuid4()),
                    "role": "other",
                    "visited_on": timezone.localdate().isoformat(),
                    "method": "home",
                    "met_with": "户主",
                    "findings": f"cadre {index}",
                }
                answers.append(client.post(f"/visits/log/?household={household.pk}", visit))
            with lock:
                statuses.extend(answer.status_code for answer in answers)
        except Exception as error:  # the test prints it: "database is locked" was the one seen
            with lock:
                errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=person, args=(index,)) for index in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    from visits.models import Visit

    print(json.dumps({"statuses": sorted(statuses), "errors": errors, "visits": Visit.objects.count()}))


if __name__ == "__main__":
    main(int(sys.argv[2]))
