"""The monitoring part of the demo town: the yearly lines, a case for every monitored episode, today's open cases.

Registered with households.demo after the other apps, it reads the status history the story wrote and makes it
a register that agrees with it, as the services would have left it (dates in order, one open case per household,
deadline = reported + MONITORING_IDENTIFY_DAYS, confirmation on the day of the change to monitored):

- each change to monitored is a case confirmed that day: reported a week or two before (an exited
  household: 脱贫不稳定户) or the day the household applied and was registered as an ordinary household (never
  poor: 边缘易致贫户), verified by the village and reviewed by the town in between. How it was found follows the
  hardship: a medical insurance bill, a disability or an emergency comes on a department's list (with its
  DepartmentWarning and WarningUpload), a lost job through the income ledger, the rest from the household or
  its cadre;
- its monthly follow-ups run below the line while struck; a risk removed had its last MONITORING_STABLE_MONTHS
  months and more at or above it, then its appraisal and its publicity (at least
  MONITORING_REMOVAL_PUBLICITY_DAYS) before the change back to exited; the one or two still monitored whose
  risk has settled (households.demo.story.settling) are in removal today;
- the measures of their plans that answer the hardship name the risk;
- today, besides: a candidate from a department's list, one verified and one reviewed, a candidate from the
  income ledger now past its deadline (the late one), and one found not at risk;
- a department warning workbook for an administrator to upload (settings.DEMO_WARNINGS_WORKBOOK): members with
  an open case, new ones, and two valid ID numbers the registry does not hold.
"""

import datetime as dt
import hashlib
import io
import os
import random
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from assistance.demo import MEASURES_FOR_RISK
from assistance.models import Measure
from households import idnumbers
from households.choices import HouseholdStatus, MonitoringRisk, MonitorKind, Relation
from households.demo.plan import MARGINAL_REASON, MARGINAL_RISKS, REGION_CODE, RISK_FOUND_DAYS, RISKS, income_line
from households.demo.story import settling
from households.demo.town import moment, recorded_as_given
from households.models import Household, IncomeRecord, Member, StatusChange
from monitoring.models import (
    CaseState,
    Department,
    DepartmentWarning,
    FollowUp,
    MonitoringCase,
    MonitoringLine,
    Origin,
    WarningUpload,
)
from monitoring.services import identification_deadline

SEED = 2021_16
FIRST_YEAR = 2021
RIGID_EXPENSE_THRESHOLD = 10_000
COLUMNS = ("身份证号", "姓名", "预警类型", "金额", "日期")
RECORDED_AT = dt.time(17, 0)
UPLOADED_AT = dt.time(9, 30)

EXITED, MONITORED, GENERAL = HouseholdStatus.EXITED, HouseholdStatus.MONITORED, HouseholdStatus.GENERAL
# The story's hardships (households.demo.plan.RISKS, by key) as the register's risks, and how each was found.
RISK_OF = {"work": MonitoringRisk.LOST_WORK, "business": MonitoringRisk.FAILED_BUSINESS}
FOUND_THROUGH = {
    "illness": (Origin.DEPARTMENT, Department.HEALTH_INSURANCE, "住院医疗费用个人自付超过1万元"),
    "disability": (Origin.DEPARTMENT, Department.DISABILITY, "新增重度残疾人员"),
    "disaster": (Origin.DEPARTMENT, Department.EMERGENCY, "农作物受灾绝收"),
    "work": (Origin.INCOME, "", ""),
    "accident": (Origin.APPLICATION, "", ""),
    "schooling": (Origin.APPLICATION, "", ""),
}
LIST_NAMES = {
    Department.HEALTH_INSURANCE: "县医保局",
    Department.DISABILITY: "县残联",
    Department.EMERGENCY: "县应急管理局",
}
# The removal steps of a risk removed: appraised, publicised from (days before the removal).
PUBLICISED_BEFORE = (8, 12)
APPRAISED_BEFORE_PUBLICITY = (1, 4)
ABOVE_LINE = (1.08, 1.35)
BELOW_LINE = (0.62, 0.94)
NOT_AT_RISK = "经村入户核实，家庭人均纯收入高于监测线，医疗费用已由大病保险和医疗救助报销，无返贫致贫风险"


def seed(*, town, rng: random.Random) -> None:
    today = timezone.localdate()
    users = User.objects.in_bulk(["official", "cadre", "cadre2"], field_name="username")
    lines = monitoring_lines(today)
    households = {h.pk: h for h in Household.objects.filter(village__town=town).select_related("village")}
    heads = {
        m.household_id: m
        for m in Member.objects.filter(household__in=households.values(), relation=Relation.HEAD).exclude(id_number="")
    }
    register = Register(today=today, rng=rng, users=users, lines=lines, households=households, heads=heads)
    register.from_history()
    register.of_today()
    register.save()
    tag_measures(register.cases)
    write_workbook(register, rng)


def monitoring_lines(today: dt.date) -> dict[int, MonitoringLine]:
    """The lines from 2021 to this year: the demo's lines of those years (an administrator's are kept)."""
    MonitoringLine.objects.bulk_create(
        [
            MonitoringLine(year=year, income_line=income_line(year), rigid_expense_threshold=RIGID_EXPENSE_THRESHOLD)
            for year in range(FIRST_YEAR, today.year + 1)
        ],
        ignore_conflicts=True,
    )
    return MonitoringLine.objects.in_bulk(field_name="year")


@dataclass
class Episode:
    """A case being built, with the rows that hang off it."""

    case: MonitoringCase
    follow_ups: list
    warning: DepartmentWarning | None = None
    story_key: str = ""


class Register:
    def __init__(self, *, today, rng, users, lines, households, heads):
        self.today, self.rng, self.users, self.lines = today, rng, users, lines
        self.households, self.heads = households, heads
        self.episodes: list[Episode] = []
        self.uploads: list[WarningUpload] = []
        self.risks = {risk.monitored_reason: risk for risk in RISKS}
        self.risks |= {MARGINAL_REASON.format(reason=risk.reason): risk for risk in MARGINAL_RISKS}

    @property
    def cases(self) -> list[MonitoringCase]:
        return [episode.case for episode in self.episodes]

    def cadre_of(self, household):
        return self.users.get({"东风村": "cadre", "红旗村": "cadre2"}.get(household.village.name, "official"))

    # ------------------------------------------------------------ the monitored episodes of the story

    def from_history(self) -> None:
        history = defaultdict(list)
        for change in StatusChange.objects.filter(household__in=self.households.values()).order_by("changed_on", "pk"):
            history[change.household_id].append(change)
        settling_order = 0
        for household_id, changes in sorted(history.items()):
            for n, change in enumerate(changes):
                if change.to_status != MONITORED:
                    continue
                household = self.households[household_id]
                removed = next((c.changed_on for c in changes[n + 1 :] if c.from_status == MONITORED), None)
                risk = self.risks.get(change.reason)
                if change.from_status == GENERAL:
                    reported, kind, origin = changes[n - 1].changed_on, MonitorKind.MARGINAL, Origin.APPLICATION
                else:
                    # Reported a week or two before the confirmation, within the deadline, as the story's visit
                    # found it (households.demo.plan.RISK_FOUND_DAYS); visits sit above this app, so not read.
                    reported = change.changed_on - dt.timedelta(days=self.rng.randint(*RISK_FOUND_DAYS))
                    kind, origin = MonitorKind.UNSTABLE, FOUND_THROUGH.get(risk.key if risk else "", (Origin.CADRE,))[0]
                episode = self.identified(household, risk, reported, change.changed_on, kind, origin)
                if removed is not None:
                    self.remove(episode, removed)
                elif kind == MonitorKind.UNSTABLE and settling(change.changed_on, self.today):
                    self.in_removal(episode, publicised=settling_order == 0)
                    settling_order += 1
                else:
                    self.follow(episode, self.month_now(), stable=0)

    def identified(self, household, risk, reported, confirmed, kind, origin) -> Episode:
        rng = self.rng
        gap = (confirmed - reported).days
        verified = reported + dt.timedelta(days=rng.randint(1, max(1, gap // 3)))
        reviewed = verified + dt.timedelta(days=rng.randint(0, max(0, (confirmed - verified).days // 2)))
        key = risk.key if risk else "other"
        value = RISK_OF.get(key, key)
        risks = [value if value in MonitoringRisk.values else MonitoringRisk.OTHER]
        case = MonitoringCase(
            household=household,
            kind=kind,
            origin=origin,
            risks=risks,
            description=f"{risk.found}。{risk.income_change}。" if risk else "家庭收入下降。",
            state=CaseState.IDENTIFIED,
            reported_on=reported,
            reported_by=self.cadre_of(household) if origin == Origin.CADRE else None,
            deadline_on=identification_deadline(reported),
            verified_on=verified,
            verified_by=self.cadre_of(household),
            reviewed_on=reviewed,
            reviewed_by=self.users.get("official"),
            confirmed_on=confirmed,
            confirmed_by=self.users.get("official"),
        )
        episode = Episode(case=case, follow_ups=[], story_key=key)
        if origin == Origin.DEPARTMENT:
            _origin, department, warning_kind = FOUND_THROUGH[key]
            episode.warning = self.warning(household, department, warning_kind, reported)
        self.episodes.append(episode)
        return episode

    def remove(self, episode: Episode, removed: dt.date) -> None:
        rng, case = self.rng, episode.case
        case.state = CaseState.RISK_REMOVED
        case.removed_on, case.removed_by = removed, self.users.get("official")
        case.removal_publicised_on = removed - dt.timedelta(days=rng.randint(*PUBLICISED_BEFORE))
        case.removal_appraised_on = case.removal_publicised_on - dt.timedelta(
            days=rng.randint(*APPRAISED_BEFORE_PUBLICITY)
        )
        self.follow(episode, removed.replace(day=1), stable=settings.MONITORING_STABLE_MONTHS + rng.randint(1, 3))

    def in_removal(self, episode: Episode, *, publicised: bool) -> None:
        """Settled today: appraised by the village a few days ago, and (the first of them) publicised since."""
        case = episode.case
        case.removal_appraised_on = self.today - dt.timedelta(days=self.rng.randint(3, 5))
        case.state = CaseState.REMOVAL_APPRAISED
        if publicised:
            case.state = CaseState.REMOVAL_PUBLICISED
            case.removal_publicised_on = case.removal_appraised_on + dt.timedelta(days=1)
        self.follow(episode, self.month_now(), stable=settings.MONITORING_STABLE_MONTHS + 1)

    def month_now(self) -> dt.date:
        """The last month followed up: this one once its visit is likely done, else the one before."""
        first = self.today.replace(day=1)
        return first if self.today.day >= 20 else (first - dt.timedelta(days=1)).replace(day=1)

    def follow(self, episode: Episode, last: dt.date, *, stable: int) -> None:
        """A follow-up each month after the confirmation up to `last`: below the line, the last `stable` above it."""
        case, rng = episode.case, self.rng
        months, month = [], next_month(case.confirmed_on.replace(day=1))
        while month <= last:
            months.append(month)
            month = next_month(month)
        for n, month in enumerate(months):
            above = n >= len(months) - stable
            line = self.lines[month.year].income_line
            episode.follow_ups.append(
                FollowUp(
                    month=month,
                    per_capita_income=round(line * rng.uniform(*(ABOVE_LINE if above else BELOW_LINE))),
                    note="收入已稳定在监测线以上" if above else "收入仍低于监测线，帮扶措施落实中",
                    recorded_by=self.cadre_of(case.household),
                    created_at=moment(min(month + dt.timedelta(days=rng.randint(9, 25)), self.today), RECORDED_AT),
                )
            )

    def warning(self, household, department, kind, reported: dt.date) -> DepartmentWarning | None:
        """The department's row that reached the town: its list was applied the day the case was reported."""
        head = self.heads.get(household.pk)
        if head is None:
            return None
        upload = WarningUpload(
            department=department,
            original_name=f"{LIST_NAMES[department]}预警名单{reported:%Y%m}.xlsx",
            uploaded_by=self.users.get("official"),  # the town's official applied it (admin stays unreferenced)
            uploaded_at=moment(reported, UPLOADED_AT),
            status=WarningUpload.Status.APPLIED,
            applied_at=moment(reported, UPLOADED_AT),
        )
        warned_on = reported - dt.timedelta(days=self.rng.randint(3, 12))
        row = (head.id_number, head.name, kind, self.rng.randrange(12_000, 60_000, 100), warned_on)
        upload.rows = [row]
        self.uploads.append(upload)
        return DepartmentWarning(
            department=department,
            id_number=row[0],
            name=row[1],
            kind=kind,
            amount=row[3],
            warned_on=warned_on,
            member=head,
            household=household,
            upload=upload,
            created_at=moment(reported, UPLOADED_AT),
        )

    # ------------------------------------------------------------ today's cases outside the history

    def of_today(self) -> None:
        """A case in each identifying state, a late one and one dismissed, on exited households never monitored."""
        today, rng = self.today, self.rng
        taken = {episode.case.household_id for episode in self.episodes}
        free = [
            h
            for h in self.households.values()
            if h.status == EXITED and h.pk not in taken and h.pk in self.heads and h.exit_year is not None
        ]
        free.sort(key=lambda h: h.number)

        def pick(village=None, among=None):
            pool = [h for h in (among or free) if village is None or h.village.name == village] or free
            household = rng.choice(pool)
            free.remove(household)
            return household

        self.dropped = self.income_drops()
        dept = self.open_case(pick("东风村"), Origin.DEPARTMENT, MonitoringRisk.ILLNESS, today - dt.timedelta(days=2))
        dept.warning = self.warning(
            dept.case.household, Department.HEALTH_INSURANCE, FOUND_THROUGH["illness"][2], dept.case.reported_on
        )
        verified = self.open_case(pick("红旗村"), Origin.APPLICATION, MonitoringRisk.ACCIDENT, today - dt.timedelta(6))
        verified.case.state, verified.case.verified_on = CaseState.VERIFIED, today - dt.timedelta(days=3)
        verified.case.verified_by = self.cadre_of(verified.case.household)
        reviewed = self.open_case(pick("新集村"), Origin.CADRE, MonitoringRisk.SCHOOLING, today - dt.timedelta(10))
        reviewed.case.state = CaseState.REVIEWED
        reviewed.case.verified_on, reviewed.case.reviewed_on = today - dt.timedelta(8), today - dt.timedelta(5)
        reviewed.case.verified_by, reviewed.case.reviewed_by = self.users.get("official"), self.users.get("official")
        reviewed.case.reported_by = self.users.get("official")
        # The late one: flagged by the income ledger three weeks ago, and the village has not verified it yet.
        late_pool = [h for h in free if h.pk in self.dropped] or None
        self.open_case(pick("东风村", late_pool), Origin.INCOME, MonitoringRisk.LOST_WORK, today - dt.timedelta(21))
        dismissed = self.open_case(pick("红旗村"), Origin.CADRE, MonitoringRisk.ILLNESS, today - dt.timedelta(75))
        case = dismissed.case
        case.reported_by = case.verified_by = self.cadre_of(case.household)
        case.verified_on, case.dismissed_on = case.reported_on + dt.timedelta(3), case.reported_on + dt.timedelta(9)
        case.state, case.dismissal_reason = CaseState.DISMISSED, NOT_AT_RISK
        self.free = free

    def income_drops(self) -> set[int]:
        """Households whose income this year fell by far more than 30% on last year's (the ledger's flag)."""
        this, last = {}, {}
        records = IncomeRecord.objects.filter(household__in=self.households.values(), year__gte=self.today.year - 1)
        for household_id, year, net, size in records.values_list(
            "household_id", "year", F("net_income"), "household_size"
        ):
            (this if year == self.today.year else last)[household_id] = net / max(size, 1)
        return {pk for pk, income in this.items() if pk in last and income < 0.7 * last[pk]}

    def open_case(self, household, origin, risk, reported: dt.date) -> Episode:
        description = {
            MonitoringRisk.ILLNESS: "医保部门预警：家庭成员住院，个人自付医疗费用较大，待村入户核实。",
            MonitoringRisk.ACCIDENT: "农户申报：户主务工时受伤，近期不能务工，家庭收入减少。",
            MonitoringRisk.SCHOOLING: "走访发现：子女考入大学，学费和生活费支出较大。",
            MonitoringRisk.LOST_WORK: "收入台账预警：今年家庭人均纯收入较上年下降超过三成。",
        }[risk]
        case = MonitoringCase(
            household=household,
            kind=MonitorKind.UNSTABLE,
            origin=origin,
            risks=[risk],
            description=description,
            state=CaseState.CANDIDATE,
            reported_on=reported,
            reported_by=self.cadre_of(household) if origin == Origin.CADRE else None,
            deadline_on=identification_deadline(reported),
        )
        episode = Episode(case=case, follow_ups=[])
        self.episodes.append(episode)
        return episode

    # ------------------------------------------------------------ writing

    def save(self) -> None:
        for upload in self.uploads:
            upload.counts = {"rows": len(upload.rows), "matched": len(upload.rows), "unmatched": 0, "errors": 0}
            content = workbook_bytes(upload.rows)
            upload.size, upload.sha256 = len(content), sha256(content)
            upload.file.save("warnings.xlsx", ContentFile(content), save=False)
        with recorded_as_given(WarningUpload, "uploaded_at"):
            WarningUpload.objects.bulk_create(self.uploads)
        for episode in self.episodes:
            episode.case.created_at = moment(episode.case.reported_on, RECORDED_AT)
        with recorded_as_given(MonitoringCase, "created_at"):
            MonitoringCase.objects.bulk_create(self.cases)
        warnings = []
        for episode in self.episodes:
            if episode.warning is not None:
                episode.warning.case = episode.case
                warnings.append(episode.warning)
            for follow_up in episode.follow_ups:
                follow_up.case = episode.case
        with recorded_as_given(DepartmentWarning, "created_at"):
            DepartmentWarning.objects.bulk_create(warnings)
        with recorded_as_given(FollowUp, "created_at"):
            FollowUp.objects.bulk_create([f for episode in self.episodes for f in episode.follow_ups])


def next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def tag_measures(cases: list[MonitoringCase]) -> None:
    """The measures of a monitored household's plans that answer its hardship name the risk (one read, one write)."""
    answers = {}
    for case in cases:
        if case.confirmed_on is None:
            continue
        last = (case.removed_on or timezone.localdate()).year
        for key, measures in MEASURES_FOR_RISK.items():
            if RISK_OF.get(key, key) in case.risks:
                for category, description, _amount in measures:
                    for year in range(case.confirmed_on.year, last + 1):
                        answers[(case.household_id, year, category, description)] = case.risks[0]
    households = {household_id for household_id, *_rest in answers}
    tagged = []
    for measure in Measure.objects.filter(plan__household_id__in=households).select_related("plan"):
        risk = answers.get((measure.plan.household_id, measure.plan.year, measure.category, measure.description))
        if risk:
            measure.risk = risk
            tagged.append(measure)
    Measure.objects.bulk_update(tagged, ["risk"], batch_size=500)


# ---------------------------------------------------------------- the workbook for an administrator to try


def workbook_bytes(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "预警名单"
    sheet.append(COLUMNS)
    for id_number, name, kind, amount, day in rows:
        sheet.append([id_number, name, kind, amount, day])
        sheet.cell(row=sheet.max_row, column=5).number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def workbook_rows(register: Register, rng: random.Random) -> list[tuple]:
    """Members with an open case, members of households never at risk, and two ID numbers nobody in town has."""
    today = register.today
    kind, amounts = FOUND_THROUGH["illness"][2], (12_000, 45_000, 100)
    identified = [e.case for e in register.episodes if e.case.state == CaseState.IDENTIFIED]
    candidates = [e.case for e in register.episodes if e.case.state == CaseState.CANDIDATE]
    chosen = [identified[-1].household, candidates[0].household, *rng.sample(register.free, 3)]
    rows = []
    for household in chosen:
        head = register.heads[household.pk]
        rows.append((head.id_number, head.name, kind, rng.randrange(*amounts), today - dt.timedelta(rng.randint(1, 9))))
    used = set(Member.objects.values_list("id_number", flat=True))
    for name, sex, birth in (("孙立平", idnumbers.MALE, dt.date(1968, 3, 14)), ("吴桂芝", idnumbers.FEMALE, None)):
        birth = birth or dt.date(1955, 11, 2)
        number = idnumbers.make(REGION_CODE, birth, sex, rng)
        while number in used:
            number = idnumbers.make(REGION_CODE, birth, sex, rng)
        rows.append((number, name, kind, rng.randrange(*amounts), today - dt.timedelta(rng.randint(1, 9))))
    return rows


def write_workbook(register: Register, rng: random.Random) -> None:
    path = settings.DEMO_WARNINGS_WORKBOOK
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_bytes(workbook_bytes(workbook_rows(register, rng)))
    os.replace(partial, path)  # whole or not at all, even with two seeds at once
