"""The exit procedures of the demo town's 2020 cohort: each of the 25 went through every step before its exit.

Dated backwards from the day the story lifts the household (its status change to exited), which is the
day of the last step, the county's announcement: the steps run in order, the publicity lasts its days,
the village's steps are recorded by the village's demo cadre (by the town official where the village has
none) and the town's and county's by the town official. The repairs of failing 2W3G items come at least
plan.FIXED_BEFORE_EXIT before the exit, so the verification finds the household meeting the standard.
Households lifted before 2020 predate the system and have no procedure.
"""

import datetime as dt

from django.utils import timezone

from accounts.models import Role, User
from households.choices import HouseholdStatus
from households.demo.plan import AS_OF
from households.models import ExitProcedure, ExitStep, ExitStepRecord, StatusChange, StepLevel, Town

# Days before the exit on which each step (by code) is done; a step the county added is done the day
# after the step before it. The publicity (acknowledged 12 days before, done 5 days before) lasts its 7.
DAYS_BEFORE_EXIT = {
    "appraisal": 15,
    "verification": 13,
    "acknowledgement": 12,
    "publicity": 5,
    "town_review": 4,
    "county_approval": 2,
    "announcement": 0,
}
NOTES = {
    "appraisal": "村民代表大会民主评议通过",
    "verification": "入户核实收入和“两不愁三保障”均达标",
    "acknowledgement": "户主签字认可",
    "publicity": "公示期满无异议",
    "town_review": "乡镇审核通过",
    "county_approval": "县扶贫开发领导小组审定",
    "announcement": "县政府公告退出",
}


def exit_dates(steps: list[ExitStep], exit_on: dt.date) -> list[dt.date]:
    """The day each step is done, in the steps' order, the last on the exit day."""
    dates = []
    for step in steps:
        before = DAYS_BEFORE_EXIT.get(step.code)
        day = exit_on - dt.timedelta(days=before) if before is not None else dates[-1] + dt.timedelta(days=1)
        if dates and day < dates[-1] + dt.timedelta(days=step.publicity_days):
            day = dates[-1] + dt.timedelta(days=max(1, step.publicity_days))
        dates.append(day)
    shift = dates[-1] - exit_on  # a step added by a county can push the chain past the exit: pull it back
    return [day - shift for day in dates]


def create_exit_procedures(*, town: Town) -> list[ExitProcedure]:
    """A completed procedure for each household of the town's 2020 target lifted in 2020."""
    steps = list(ExitStep.objects.active().order_by("position"))
    official = User.objects.filter(role=Role.OFFICIAL, town=town).order_by("pk").first()
    cadres = {}
    for cadre in User.objects.filter(role=Role.CADRE, villages__town=town).prefetch_related("villages").order_by("pk"):
        for village in cadre.villages.all():
            cadres.setdefault(village.pk, cadre)
    exits = (
        StatusChange.objects.filter(
            household__village__town=town,
            household__target_entries__target__year=AS_OF.year,
            to_status=HouseholdStatus.EXITED,
            changed_on__year=AS_OF.year,
        )
        .select_related("household")
        .order_by("household_id", "changed_on")
    )
    procedures, records = [], []
    for change in exits:
        household = change.household
        if procedures and procedures[-1].household_id == household.pk:
            continue  # the first exit of the year
        dates = exit_dates(steps, change.changed_on)
        procedure = ExitProcedure(
            household=household,
            year=change.changed_on.year,
            state=ExitProcedure.State.COMPLETED,
            started_on=dates[0] - dt.timedelta(days=1),
            started_by=cadres.get(household.village_id, official),
            ended_on=change.changed_on,
        )
        procedures.append(procedure)
        for step, day in zip(steps, dates, strict=True):
            actor = cadres.get(household.village_id, official) if step.level == StepLevel.VILLAGE else official
            records.append(
                (procedure, ExitStepRecord(step=step, done_on=day, actor=actor, note=NOTES.get(step.code, "")))
            )
    ExitProcedure.objects.bulk_create(procedures)
    for procedure, record in records:
        record.procedure = procedure
    ExitStepRecord.objects.bulk_create([record for _procedure, record in records])
    # When they were entered: the evening of their day, as the rest of the registry.
    for model, rows, day in (
        (ExitProcedure, procedures, lambda p: p.started_on),
        (ExitStepRecord, [r for _p, r in records], lambda r: r.done_on),
    ):
        for row in rows:
            row.created_at = min(timezone.make_aware(dt.datetime.combine(day(row), dt.time(17, 0))), timezone.now())
        model.objects.bulk_update(rows, ["created_at"], batch_size=500)
    return procedures
