"""The programmes of the demo town: loans, training, welfare jobs, photovoltaic income, industry, motivation.

Loans are dated back from the day the demo is loaded, so that whenever it is
loaded some instalments are overdue and some are due soon; photovoltaic income
is shared out every year from 2019 to last year; the other programmes keep to
the plan's years (2019-2020). They go to households registered before 2020 (the
households found close to poverty later came after them), and the stations'
income to the households still poor in 2020 first. Everything is drawn from
the random stream handed in and bulk-created, so the same town always gets the
same programmes and loading stays quick.
"""

import datetime as dt
import random
from decimal import ROUND_DOWN, Decimal

from django.utils import timezone

from assistance.models import (
    ExampleKind,
    FiveMutualActivity,
    FiveMutualType,
    IndustryDrive,
    IndustrySupport,
    Instalment,
    Loan,
    PVIncome,
    PVShare,
    PVStation,
    Repayment,
    RepaymentMethod,
    Reward,
    TrainingKind,
    TrainingSession,
    TypicalExample,
    WelfareJob,
    WelfarePost,
)
from assistance.services.loans import add_months, instalments_flag, loan_schedule
from households.choices import PovertyCause, WorkAbility
from households.models import Household, Member, TargetHousehold, Town, Village

BATCH_SIZE = 500
AS_OF = dt.date(2020, 1, 1)  # the households demo reckons ages on this day

LOANS = 40
REPAID_LOANS = 8
OVERDUE_LOANS = 6
DUE_SOON_LOANS = 6
BANKS = ("县农商银行", "邮储银行固镇县支行", "农业银行固镇县支行")
LOAN_PURPOSES = ("肉牛养殖", "山羊养殖", "葡萄种植", "蔬菜大棚", "小龙虾养殖", "家禽养殖", "中药材种植", "农家乐经营")
LOAN_AMOUNTS = (10000, 20000, 30000, 30000, 50000)
LOAN_RATE = Decimal("4.35")

TRAININGS = (
    (TrainingKind.SKILLS, "电焊工技能培训", "县人社局"),
    (TrainingKind.SKILLS, "葡萄种植管理技术培训", "县农业农村局"),
    (TrainingKind.EMPLOYMENT, "外出务工岗前培训", "县人社局"),
    (TrainingKind.SKILLS, "家政服务员培训", "县妇联"),
    (TrainingKind.EMPLOYMENT, "就业政策宣讲与岗位对接会", "镇劳动保障所"),
    (TrainingKind.SKILLS, "肉牛科学养殖技术培训", "县畜牧兽医中心"),
)
WELFARE_JOBS = 20
ENDED_WELFARE_JOBS = 4
WELFARE_PAY = (400, 500, 500, 600, 800)

PV_STATIONS = 3
PV_FIRST_YEAR = 2019
PV_YIELD_YUAN_PER_KW = 850  # about 1,000 kWh per kW a year at 0.85 yuan
PV_SHARED_PART = Decimal("0.8")  # the rest pays upkeep and village public-welfare posts
PV_SHARE_HOUSEHOLDS = 12

INDUSTRIES = (
    (IndustryDrive.ENTERPRISE, "固镇县绿源农业发展有限公司", "葡萄种植"),
    (IndustryDrive.COOPERATIVE, "{village}肉牛养殖专业合作社", "肉牛养殖"),
    (IndustryDrive.FAMILY_FARM, "{village}丰收家庭农场", "蔬菜种植"),
    (IndustryDrive.LARGE_HOUSEHOLD, "{village}种植大户", "中药材种植"),
    (IndustryDrive.SELF, "", "庭院养殖"),
)
REWARD_REASONS = (
    "发展庭院经济，当年增收3000元以上",
    "主动外出务工，全家稳定增收",
    "孝老爱亲，被评为好媳妇",
    "改善人居环境，获评美丽庭院",
    "发展特色种植，带动邻里增收",
)
POSITIVE_EXAMPLES = ("自强不息，依靠养殖脱贫致富", "身残志坚，发展电商增收", "勤劳肯干，带头参加技能培训")
NEGATIVE_EXAMPLES = ("等靠要思想严重，不愿参加务工和产业发展",)
FIVE_MUTUAL_TYPES = (
    ("邻里互帮", "结对帮扶，邻里之间互帮互助"),
    ("家风互评", "评比家风家训，倡导孝老爱亲、移风易俗"),
    ("技能互学", "能人带学，交流种养技术"),
)
FIVE_MUTUAL_ACTIVITIES = 4
BEHAVIOURAL_CAUSES = (
    PovertyCause.LAZINESS,
    PovertyCause.GAMBLING,
    PovertyCause.MARRIAGE,
    PovertyCause.ELDER_NEGLECT,
    PovertyCause.MOTIVATION,
)
ABLE = (WorkAbility.NORMAL, WorkAbility.SKILLED)


def seed_programmes(*, town: Town, rng: random.Random) -> None:
    """Add the programmes to the demo town built by households.demo."""
    villages = list(town.villages.order_by("code"))
    households = list(Household.objects.filter(village__town=town, registered_on__lt=AS_OF).order_by("number"))
    members = list(
        Member.objects.filter(household__village__town=town)
        .only("pk", "household_id", "relation", "birth_date", "work_ability")
        .order_by("household_id", "pk")
    )
    by_household: dict[int, list[Member]] = {}
    for member in members:
        by_household.setdefault(member.household_id, []).append(member)

    seed_loans(households, by_household, rng)
    seed_training(villages, households, by_household, rng)
    seed_welfare_jobs(households, by_household, rng)
    poor_in_2020 = set(
        TargetHousehold.objects.filter(target__town=town, target__year=AS_OF.year).values_list(
            "household_id", flat=True
        )
    )
    seed_photovoltaic(villages, households, poor_in_2020, rng)
    seed_industry(villages, households, rng)
    seed_motivation(villages, households, rng)


def age_of(member: Member) -> int:
    born = member.birth_date
    return AS_OF.year - born.year - ((AS_OF.month, AS_OF.day) < (born.month, born.day))


# ---------------------------------------------------------------- loans


def seed_loans(households, by_household, rng: random.Random) -> None:
    """Forty loans: some repaid, several with overdue instalments, several due soon, the rest paid to date."""
    today = timezone.localdate()
    able = [h for h in households if any(m.work_ability in ABLE for m in by_household.get(h.pk, []))]
    chosen = rng.sample(able, LOANS)
    current = LOANS - REPAID_LOANS - OVERDUE_LOANS - DUE_SOON_LOANS
    kinds = (
        ["repaid"] * REPAID_LOANS + ["overdue"] * OVERDUE_LOANS + ["due_soon"] * DUE_SOON_LOANS + ["current"] * current
    )
    loans, schedules = [], []
    for household, kind in zip(chosen, kinds, strict=True):
        borrower = next(m for m in by_household[household.pk] if m.work_ability in ABLE)
        loan = Loan(
            household=household,
            borrower=borrower,
            bank=rng.choice(BANKS),
            amount=Decimal(rng.choice(LOAN_AMOUNTS)),
            issued_on=issue_date(kind, today, rng),
            term_months=36,
            annual_rate=LOAN_RATE,
            interest_subsidised=rng.random() < 0.9,
            repayment_method=RepaymentMethod.QUARTERLY_INTEREST
            if rng.random() < 0.75
            else RepaymentMethod.EQUAL_INSTALMENTS,
            purpose=rng.choice(LOAN_PURPOSES),
        )
        schedule = loan_schedule(
            amount=loan.amount,
            issued_on=loan.issued_on,
            term_months=loan.term_months,
            annual_rate=loan.annual_rate,
            method=loan.repayment_method,
        )
        if kind == "repaid":
            loan.repaid_on = schedule[-1].due_date
        loans.append(loan)
        schedules.append((kind, schedule))
    Loan.objects.bulk_create(loans, batch_size=BATCH_SIZE)

    instalments, repayments = [], []
    for loan, (kind, schedule) in zip(loans, schedules, strict=True):
        # Overdue loans stopped paying a few months ago; the others paid every instalment on its day.
        paid_until = today - dt.timedelta(days=rng.randint(100, 200)) if kind == "overdue" else today
        for row in schedule:
            paid = row.due_date < paid_until
            instalments.append(
                Instalment(
                    loan=loan,
                    number=row.number,
                    due_date=row.due_date,
                    principal=row.principal,
                    interest=row.interest,
                    amount_due=row.amount_due,
                    amount_paid=row.amount_due if paid else Decimal("0"),
                    paid_on=row.due_date if paid else None,
                )
            )
            if paid:
                repayments.append(Repayment(loan=loan, paid_on=row.due_date, amount=row.amount_due))
    Instalment.objects.bulk_create(instalments, batch_size=BATCH_SIZE)
    Repayment.objects.bulk_create(repayments, batch_size=BATCH_SIZE)
    instalments_flag(today=today, instalments=Instalment.objects.filter(loan__in=loans))


def issue_date(kind: str, today: dt.date, rng: random.Random) -> dt.date:
    if kind == "repaid":  # a 36-month term that ended before today
        return today - dt.timedelta(days=rng.randint(37 * 31, 48 * 31))
    if kind == "due_soon":  # whole quarters before a day in the coming weeks: an instalment falls due then
        return add_months(today + dt.timedelta(days=rng.randint(1, 25)), -3 * rng.randint(2, 9))
    return today - dt.timedelta(days=rng.randint(200, 30 * 31))


# ---------------------------------------------------------------- training and welfare jobs


def seed_training(villages, households, by_household, rng: random.Random) -> None:
    sessions, attendance = [], []
    for kind, topic, organiser in TRAININGS:
        village = rng.choice(villages)
        session = TrainingSession(
            kind=kind,
            held_on=dt.date(2020, rng.randint(3, 11), rng.randint(1, 28)),
            topic=topic,
            organiser=organiser,
            location=f"{village.name}党群服务中心",
            village=village,
        )
        candidates = [
            m
            for h in households
            if h.village_id == village.pk
            for m in by_household.get(h.pk, [])
            if m.work_ability in ABLE and 18 <= age_of(m) <= 55
        ]
        sessions.append(session)
        attendance.append(rng.sample(candidates, min(len(candidates), rng.randint(8, 20))))
    TrainingSession.objects.bulk_create(sessions)
    through = TrainingSession.attendees.through
    through.objects.bulk_create(
        through(trainingsession_id=session.pk, member_id=member.pk)
        for session, attendees in zip(sessions, attendance, strict=True)
        for member in attendees
    )


def seed_welfare_jobs(households, by_household, rng: random.Random) -> None:
    """Posts for members who can work a little but not leave home: weak labour or older able adults."""
    village_of = {h.pk: h.village_id for h in households}
    candidates = [
        m
        for h in households
        for m in by_household.get(h.pk, [])
        if m.work_ability == WorkAbility.WEAK or (m.work_ability in ABLE and age_of(m) >= 45)
    ]
    chosen = rng.sample(candidates, WELFARE_JOBS)
    ended = set(rng.sample(range(WELFARE_JOBS), ENDED_WELFARE_JOBS))
    jobs = []
    for index, member in enumerate(chosen):
        start = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(540))
        jobs.append(
            WelfareJob(
                post=rng.choice(WelfarePost.values),
                member=member,
                village_id=village_of[member.household_id],
                monthly_pay=Decimal(rng.choice(WELFARE_PAY)),
                start_date=start,
                end_date=start + dt.timedelta(days=rng.randint(180, 360)) if index in ended else None,
            )
        )
    WelfareJob.objects.bulk_create(jobs)


# ---------------------------------------------------------------- photovoltaic income


def seed_photovoltaic(villages, households, poor_in_2020: set[int], rng: random.Random) -> None:
    """Three village stations; each year 80% of the income is shared out to a dozen households of the village."""
    stations = [
        PVStation(
            name=f"{village.name}光伏扶贫电站",
            village=village,
            capacity_kw=Decimal(rng.choice((60, 100, 200, 300))),
            built_year=rng.choice((2016, 2017, 2018)),
        )
        for village in rng.sample(villages, PV_STATIONS)
    ]
    PVStation.objects.bulk_create(stations)
    incomes = [
        PVIncome(
            station=station,
            year=year,
            income=(station.capacity_kw * PV_YIELD_YUAN_PER_KW * Decimal(rng.uniform(0.9, 1.1))).quantize(Decimal("1")),
        )
        for station in stations
        for year in range(PV_FIRST_YEAR, max(AS_OF.year, timezone.localdate().year - 1) + 1)
    ]
    PVIncome.objects.bulk_create(incomes)
    shares = []
    for station in stations:
        # Households still poor in 2020 first, then others of the village: the same ones every year.
        in_village = [h for h in households if h.village_id == station.village_id]
        in_village.sort(key=lambda h: (h.pk not in poor_in_2020, h.number))
        receivers = in_village[:PV_SHARE_HOUSEHOLDS]
        for income in (i for i in incomes if i.station is station):
            each = (income.income * PV_SHARED_PART / len(receivers)).quantize(Decimal("10"), rounding=ROUND_DOWN)
            shares += [PVShare(income=income, household=household, amount=each) for household in receivers]
    PVShare.objects.bulk_create(shares)


# ---------------------------------------------------------------- industry and motivation


def seed_industry(villages: list[Village], households, rng: random.Random) -> None:
    supports, supported = [], []
    for drive, partner, industry in INDUSTRIES:
        village = rng.choice(villages)
        supports.append(
            IndustrySupport(
                drive=drive,
                partner=partner.format(village=village.name),
                industry=industry,
                year=2020,
                village=village,
                description=f"{industry}带动贫困户发展产业，签订帮带协议，保底收购。",
            )
        )
        in_village = [h for h in households if h.village_id == village.pk]
        supported.append(rng.sample(in_village, min(len(in_village), rng.randint(3, 8))))
    IndustrySupport.objects.bulk_create(supports)
    through = IndustrySupport.households.through
    through.objects.bulk_create(
        through(industrysupport_id=support.pk, household_id=household.pk)
        for support, chosen in zip(supports, supported, strict=True)
        for household in chosen
    )


def seed_motivation(villages, households, rng: random.Random) -> None:
    exited = [h for h in households if h.exit_year and h.exit_year < AS_OF.year]  # out of poverty before 2020
    behavioural = [h for h in households if h.main_cause in BEHAVIOURAL_CAUSES]
    Reward.objects.bulk_create(
        Reward(
            household=household,
            awarded_on=dt.date(2020, rng.randint(4, 12), rng.randint(1, 28)),
            amount=Decimal(rng.choice((500, 800, 1000, 2000))),
            reason=rng.choice(REWARD_REASONS),
        )
        for household in rng.sample(exited, len(REWARD_REASONS))
    )
    examples = [
        *((h, ExampleKind.POSITIVE, text) for h, text in zip(rng.sample(exited, 3), POSITIVE_EXAMPLES, strict=True)),
        *(
            (h, ExampleKind.NEGATIVE, text)
            for h, text in zip(rng.sample(behavioural, 1), NEGATIVE_EXAMPLES, strict=True)
        ),
    ]
    TypicalExample.objects.bulk_create(
        TypicalExample(household=h, kind=kind, noted_on=dt.date(2020, rng.randint(5, 11), 15), description=text)
        for h, kind, text in examples
    )

    types = FiveMutualType.objects.bulk_create(
        FiveMutualType(name=name, description=description) for name, description in FIVE_MUTUAL_TYPES
    )
    activities, participants = [], []
    for _ in range(FIVE_MUTUAL_ACTIVITIES):
        village = rng.choice(villages)
        kind = rng.choice(types)
        activities.append(
            FiveMutualActivity(
                type=kind,
                village=village,
                held_on=dt.date(2020, rng.randint(4, 11), rng.randint(1, 28)),
                description=f"{village.name}组织“{kind.name}”活动，党员和帮扶责任人参加。",
            )
        )
        in_village = [h for h in households if h.village_id == village.pk]
        # Households poor through behaviour come first: the activities are meant for them.
        in_village.sort(key=lambda h: (h.main_cause not in BEHAVIOURAL_CAUSES, rng.random()))
        participants.append(in_village[: rng.randint(5, 10)])
    FiveMutualActivity.objects.bulk_create(activities)
    through = FiveMutualActivity.households.through
    through.objects.bulk_create(
        through(fivemutualactivity_id=activity.pk, household_id=household.pk)
        for activity, chosen in zip(activities, participants, strict=True)
        for household in chosen
    )
