"""Time a village's household cards (一户一档) on the current database: load the cards, then build the PDF.

    DATABASE_URL=postgres://user@host/db .venv/bin/python bench/household_cards.py [--households 300]

It makes a bench town with one village of --households households, each with 2-6
members, a 2W3G assessment, three years of income, a plan with five measures, a
responsible and a contact person and two years of monthly visits, then prints how
long loading the cards and building the PDF take, how many queries the loading ran,
and the PDF's size and page count. Everything is rolled back at the end.
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
import uuid
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townaid.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import translation  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from assistance.models import Measure, MeasureCategory, Plan  # noqa: E402
from households import idnumbers  # noqa: E402
from households.choices import AssignmentRole, PovertyCause, Relation  # noqa: E402
from households.models import Assessment, Assignment, Household, IncomeRecord, Member, Town, Village  # noqa: E402
from reports.cards import household_cards, pdf  # noqa: E402
from visits.models import Visit, VisitorRole  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅"
RELATIONS = [Relation.SPOUSE, Relation.SON, Relation.DAUGHTER, Relation.GRANDSON, Relation.MOTHER]


def name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2)))


def seed(village: Village, count: int, rng: random.Random) -> None:
    people = User.objects.bulk_create(
        User(username=f"bench-card-{n}", last_name=name(rng)[0], first_name=name(rng)[1:]) for n in range(20)
    )
    households = Household.objects.bulk_create(
        Household(
            number=f"BENCHCARD{n:06d}",
            village=village,
            address=f"{village.name}{rng.randint(1, 8)}组{rng.randint(1, 99)}号",
            phone=f"139{rng.randint(10_000_000, 99_999_999)}",
            identified_year=2016,
            main_cause=rng.choice(PovertyCause.values),
        )
        for n in range(count)
    )
    members, assessments, incomes, plans, assignments, visits = [], [], [], [], [], []
    serial = 0
    for household in households:
        for index in range(rng.randint(2, 6)):
            serial += 1
            sex = rng.choice([idnumbers.MALE, idnumbers.FEMALE])
            born = dt.date(1940, 1, 1) + dt.timedelta(days=serial)
            members.append(
                Member(
                    household=household,
                    name=name(rng),
                    id_number=idnumbers.make("340321", born, sex, rng),
                    relation=Relation.HEAD if index == 0 else rng.choice(RELATIONS),
                    sex=sex,
                    birth_date=born,
                    medical_insurance=True,
                )
            )
        assessments.append(
            Assessment(household=household, assessed_on=dt.date(2024, 6, 1), housing_ok=rng.random() > 0.2)
        )
        for year in (2022, 2023, 2024):
            incomes.append(
                IncomeRecord(household=household, year=year, wage_income=rng.randint(8000, 40000), household_size=4)
            )
        plans.append(Plan(household=household, year=2024, cause_analysis="因病致贫，缺技术，家中主要劳动力长期患病。"))
        for role in (AssignmentRole.RESPONSIBLE, AssignmentRole.CONTACT):
            assignments.append(
                Assignment(household=household, person=rng.choice(people), role=role, start_date=dt.date(2020, 1, 1))
            )
        for month in range(24):
            visits.append(
                Visit(
                    client_key=uuid.uuid4(),
                    household=household,
                    visitor=rng.choice(people),
                    role=VisitorRole.RESPONSIBLE,
                    visited_on=dt.date(2023 + month // 12, month % 12 + 1, rng.randint(1, 28)),
                    findings="家中老人身体好转，子女外出务工收入稳定，已宣讲健康扶贫政策。",
                )
            )
    Member.objects.bulk_create(members)
    for household, assessment in zip(households, Assessment.objects.bulk_create(assessments), strict=True):
        household.latest_assessment = assessment
    Household.objects.bulk_update(households, ["latest_assessment"])
    IncomeRecord.objects.bulk_create(incomes)
    Measure.objects.bulk_create(
        Measure(
            plan=plan,
            category=rng.choice(MeasureCategory.values),
            description="发展肉牛养殖，落实产业奖补资金",
            planned_date=dt.date(2024, 4, 1),
            amount=rng.randint(0, 5000),
        )
        for plan in Plan.objects.bulk_create(plans)
        for _ in range(5)
    )
    Assignment.objects.bulk_create(assignments)
    Visit.objects.bulk_create(visits)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=300)
    options = parser.parse_args()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    with transaction.atomic(), translation.override("zh-hans"):
        town = Town.objects.create(code="bench-cards", name="基准镇")
        village = Village.objects.create(town=town, name="基准村")
        official = User.objects.create(username="bench-card-official", role=Role.OFFICIAL, town=town)
        started = time.perf_counter()
        seed(village, options.households, random.Random(2020))
        print(f"seed {options.households} households: {time.perf_counter() - started:.2f} s")

        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            cards = household_cards(user=official, households_qs=Household.objects.filter(village=village))
            loaded = time.perf_counter() - started
        print(f"load {len(cards)} cards: {loaded:.2f} s, {len(queries)} queries")
        started = time.perf_counter()
        content = pdf.cards_pdf(cards, title="bench")
        built = time.perf_counter() - started
        pages = len(PdfReader(BytesIO(content)).pages)
        print(f"build the PDF: {built:.2f} s, {len(content) / 1024:.0f} KB, {pages} pages")
        print(f"total: {loaded + built:.2f} s ({(loaded + built) / max(len(cards), 1) * 1000:.0f} ms a household)")
        transaction.set_rollback(True)
    print("rolled back")


if __name__ == "__main__":
    main()
