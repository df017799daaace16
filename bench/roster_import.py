"""Time the roster import on the current database: generate a realistic roster, then read, check and apply it.

    DATABASE_URL=postgres://user@host/db .venv/bin/python bench/roster_import.py [--people 20000] [--keep]

It makes a bench town with 11 villages, writes an .xlsx of about --people people
in households of 1-6 (household columns on every row, a title row above the
header, IDs as text), and prints how long each step takes and how many queries
it ran: reading the file, checking it against the registry, applying it, checking
it again once applied (everything unchanged), and checking and applying a copy in
which one household in ten has a new phone number. Everything is rolled back at
the end unless --keep is given.
"""

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townaid.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from households import idnumbers  # noqa: E402
from households.models import ImportBatch, Town, Village  # noqa: E402
from households.roster import batches, columns  # noqa: E402
from households.roster.apply import apply_plan  # noqa: E402

VILLAGES = [
    "东风村",
    "红旗村",
    "向阳村",
    "胜利村",
    "光明村",
    "团结村",
    "新华村",
    "前进村",
    "和平村",
    "幸福村",
    "建设村",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅"
RELATIONS = ["配偶", "之子", "之女", "之儿媳", "之孙子", "之孙女", "之父", "之母"]


class Stopwatch:
    def __init__(self):
        self.rows = []

    @contextmanager
    def step(self, name: str):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            yield
            took = time.perf_counter() - started
        self.rows.append((name, took, len(queries)))
        print(f"{name:<46} {took:8.2f} s {len(queries):6d} queries", flush=True)


def generate(path: Path, people: int, rng: random.Random, *, phone_changes: set[str] = frozenset()) -> int:
    """Write a roster of about `people` people; returns how many it holds. Same rng seed, same roster."""
    book = Workbook()  # not write-only: like Excel, it writes the sheet's dimension first, which readers rely on
    sheet = book.active
    sheet.title = "花名册"
    keys = [column.key for column in columns.COLUMNS]
    sheet.append(["固镇建档立卡贫困人口明细表（基准）"])
    sheet.append([column.zh for column in columns.COLUMNS])
    written, number = 0, 0
    causes = [zh for zh, _en, _value in columns.CAUSES.entries]
    while written < people:
        number += 1
        household_number = f"BENCH{number:08d}"
        size = min(rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5, 6]), people - written)
        village = rng.choice(VILLAGES)
        main = rng.choice(causes)
        exit_year = rng.choice([None, 2016, 2017, 2018, 2019])
        shared = {
            "village": village,
            "group": f"第{rng.randint(1, 8)}组",
            "number": household_number,
            "attribute": rng.choice(["一般贫困户", "低保贫困户", "特困供养贫困户"]),
            "main_cause": main,
            "other_causes": "、".join(rng.sample([c for c in causes if c != main], rng.randint(0, 2))),
            "exit_year": exit_year,
            "identified_year": rng.choice([2014, 2015, 2016]),
            "phone": f"139{rng.randint(10_000_000, 99_999_999)}",
            "housing_grade": rng.choice("AABBC"),
        }
        if household_number in phone_changes:
            shared["phone"] = "0552-0000000"
        for index in range(size):
            sex = rng.choice([idnumbers.MALE, idnumbers.FEMALE])
            born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 70))
            disabled = rng.random() < 0.05
            row = {
                **shared,
                "name": rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2))),
                "id_number": idnumbers.make(f"3403{rng.randint(10, 99)}", born, sex, rng),
                "relation": "户主" if index == 0 else rng.choice(RELATIONS),
                "sex": "男" if sex == idnumbers.MALE else "女",
                "birth_date": born.isoformat(),
                "ethnicity": "汉族",
                "education": rng.choice(["文盲或半文盲", "小学", "初中", "高中", "大专及以上"]),
                "student_status": "",
                "health": "残疾" if disabled else rng.choice(["健康", "健康", "长期慢性病", "患有大病"]),
                "disability_grade": rng.randint(1, 4) if disabled else None,
                "work_ability": rng.choice(["普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "无劳动力"]),
                "migrant_work": rng.choice(["", "", "县内", "省外"]),
                "work_months": rng.randint(0, 12),
                "medical_insurance": rng.choice(["是", "是", "否"]),
            }
            sheet.append([row[key] for key in keys])
        written += size
    book.save(path)
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--keep", action="store_true", help="commit what the bench imported instead of rolling back")
    options = parser.parse_args()
    watch = Stopwatch()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.xlsx"
        with watch.step(f"generate {options.people:,} people"):
            people = generate(path, options.people, random.Random(2020))
        print(f"file: {path.stat().st_size / 1048576:.1f} MB, {people:,} people")
        with transaction.atomic():
            town, _created = Town.objects.get_or_create(code="bench-roster", defaults={"name": "基准镇"})
            for name in VILLAGES:
                Village.objects.get_or_create(town=town, name=name)
            batch = ImportBatch.objects.create(original_name="bench.xlsx", size=0, sha256="0" * 64, file="bench.xlsx")

            with watch.step("read (open, stream and parse every row)"), path.open("rb") as file:
                reading = batches.read(file)
            with watch.step("check against the registry (new roster)"):
                plan = batches.check(reading, town=town, lock=True)
            assert plan.ok, [(i.row, i.header, i.code, i.params) for i in plan.errors[:10]]
            print(f"  plan: {plan.counts()}")
            with watch.step("apply (create)"):
                apply_plan(plan, batch=batch, user=None)

            with watch.step("read + check again (everything unchanged)"), path.open("rb") as file:
                plan = batches.check(batches.read(file), town=town, lock=True)
            print(f"  plan: {plan.counts()['households']} {plan.counts()['members']}")

            changed = {f"BENCH{n:08d}" for n in range(1, 100_000, 10)}
            generate(path, options.people, random.Random(2020), phone_changes=changed)
            with watch.step("read + check a changed roster (1 in 10 phones)"), path.open("rb") as file:
                plan = batches.check(batches.read(file), town=town, lock=True)
            print(f"  plan: {plan.counts()['households']} {plan.counts()['members']}")
            second = ImportBatch.objects.create(original_name="bench.xlsx", size=0, sha256="1" * 64, file="bench.xlsx")
            with watch.step("apply (update)"):
                apply_plan(plan, batch=second, user=None)
            if not options.keep:
                transaction.set_rollback(True)
    print("rolled back" if not options.keep else "kept")


if __name__ == "__main__":
    main()
