"""The assistance part of the county: the two-person guarantee, plans with their measures, small loans.

Measures and loans are drawn like the demo town's (assistance.demo and
assistance.demo_programmes); the instalment flags are then set by the
assistance app's own daily job, in three UPDATE statements.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.utils import translation

from accounts.models import User
from assistance.demo import COMMON_MEASURES, MEASURES_FOR
from assistance.demo_programmes import ABLE, BANKS, LOAN_AMOUNTS, LOAN_PURPOSES, LOAN_RATE, issue_date
from assistance.models import Instalment, Loan, Measure, MeasureStatus, Plan, Repayment, RepaymentMethod
from assistance.services.loans import instalments_flag, loan_schedule
from households.choices import AssignmentRole, HouseholdStatus, PovertyCause
from households.demo.town import pick
from households.models import Assignment
from reports.county import plan
from reports.county.shapes import County, Home

LOAN_TERM_MONTHS = 36


def plan_guarantee(county: County) -> None:
    """Give each household that needs one a responsible person, ten to a person (keyed in county.helper_ids).

    Households still poor and monitored ones all have one, and so do most exited
    ones ("four don't-removes"); the rest are the gap list. Households still poor
    also have their village's cadre as contact person.
    """
    rng, writer = county.rng("guarantee"), county.writer
    helpers = county.helper_ids
    for village in county.villages:
        needing = [
            h
            for h in village.homes
            if h.kind in ("unexited", "campaign", "monitored")
            or (h.kind == "exited" and rng.random() < plan.EXITED_ASSIGNED)
        ]
        for n, home in enumerate(needing):
            if n % plan.HOUSEHOLDS_PER_HELPER == 0:
                helpers.append(writer.next_pk(User))
            home.responsible_id = helpers[-1]
            home.unit_pk = village.unit_pks[n // plan.HOUSEHOLDS_PER_HELPER % len(village.unit_pks)]
            if home.kind == "unexited":
                home.contact_id = village.cadre_id


def write_assignments(county: County) -> None:
    def rows():
        for h in county.homes:
            start = max(plan.ASSIGNED_FROM, h.registered_on)
            if h.responsible_id:
                yield h.pk, h.responsible_id, AssignmentRole.RESPONSIBLE, h.unit_pk, start
            if h.contact_id:
                yield h.pk, h.contact_id, AssignmentRole.CONTACT, None, start

    county.writer.write(Assignment, ("household_id", "person_id", "role", "support_unit_id", "start_date"), rows())


# ---------------------------------------------------------------- one household, one plan


def write_plans(county: County) -> None:
    """A campaign-year plan for every household poor at its start, and this year's for those still poor."""
    rng, writer, today = county.rng("plans"), county.writer, county.today
    plans: list[tuple[int, int, Home]] = []
    for h in county.homes:
        if h.still_poor_in_campaign:
            plans.append((writer.next_pk(Plan), plan.CAMPAIGN_YEAR, h))
        if h.kind == "unexited" and today.year != plan.CAMPAIGN_YEAR:
            plans.append((writer.next_pk(Plan), today.year, h))
    # The analysis names the causes as cadres write them, whatever language the command runs in.
    with translation.override(settings.LANGUAGE_CODE):
        rows = [(pk, h.pk, year, analysis(h), goal(year), h.village.town.official_id) for pk, year, h in plans]
    writer.write(Plan, ("id", "household_id", "year", "cause_analysis", "goal", "created_by_id"), rows)
    fields = ("plan_id", "category", "description", "responsible_id", "planned_date", "actual_date", "amount", "status")
    writer.write(Measure, fields, (m for pk, year, h in plans for m in measures(pk, year, h, today, rng)))


def analysis(h: Home) -> str:
    causes = "、".join(str(PovertyCause(code).label) for code in [h.main_cause, *h.other_causes])
    return f"致贫原因：{causes}。家庭收入来源单一，需因户施策、精准帮扶。"


def goal(year: int) -> str:
    if year == plan.CAMPAIGN_YEAR:
        return f"{year}年底实现稳定脱贫，人均纯收入超过当年标准。"
    return f"{year}年巩固脱贫成果，防止返贫。"


def measures(plan_pk: int, year: int, h: Home, today: dt.date, rng):
    chosen = MEASURES_FOR.get(h.main_cause, []) + rng.sample(COMMON_MEASURES, rng.randint(1, 2))
    for n, (category, description, amount) in enumerate(chosen):
        planned = dt.date(year, 3 + 2 * n, 15)
        done = year < today.year or planned < today - dt.timedelta(days=30)
        status = MeasureStatus.DONE if done and rng.random() < 0.8 else MeasureStatus.IN_PROGRESS
        actual = planned + dt.timedelta(days=rng.randint(0, 20)) if status == MeasureStatus.DONE else None
        yield plan_pk, category, description, h.responsible_id, planned, actual, Decimal(amount), status


# ---------------------------------------------------------------- small loans


def write_loans(county: County) -> None:
    """Loans for a few households with an able member: some repaid, some overdue, some due soon; then the flags."""
    rng, writer, today = county.rng("loans"), county.writer, county.today
    loans, instalments, repayments = [], [], []
    for h in county.homes:
        borrower = next((folk for folk in h.members if folk.work_ability in ABLE), None)
        if borrower is None or h.status == HouseholdStatus.CLOSED or rng.random() >= plan.LOANS:
            continue
        kind = pick(plan.LOAN_KINDS, rng)
        pk = writer.next_pk(Loan)
        amount, issued_on = Decimal(rng.choice(LOAN_AMOUNTS)), issue_date(kind, today, rng)
        method = RepaymentMethod.QUARTERLY_INTEREST if rng.random() < 0.75 else RepaymentMethod.EQUAL_INSTALMENTS
        schedule = loan_schedule(
            amount=amount, issued_on=issued_on, term_months=LOAN_TERM_MONTHS, annual_rate=LOAN_RATE, method=method
        )
        repaid_on = schedule[-1].due_date if kind == "repaid" else None
        loans.append(
            (pk, h.pk, borrower.pk, rng.choice(BANKS), amount, issued_on, LOAN_TERM_MONTHS, LOAN_RATE,
             rng.random() < 0.9, method, rng.choice(LOAN_PURPOSES), repaid_on, h.village.town.official_id)
        )  # fmt: skip
        # Overdue loans stopped paying a few months ago; the others paid every instalment on its day.
        paid_until = today - dt.timedelta(days=rng.randint(100, 200)) if kind == "overdue" else today
        for row in schedule:
            paid = row.due_date < paid_until
            instalments.append(
                (pk, row.number, row.due_date, row.principal, row.interest, row.amount_due,
                 row.amount_due if paid else Decimal(0), row.due_date if paid else None)
            )  # fmt: skip
            if paid:
                repayments.append((pk, row.due_date, row.amount_due))
    fields = (
        "id", "household_id", "borrower_id", "bank", "amount", "issued_on", "term_months", "annual_rate",
        "interest_subsidised", "repayment_method", "purpose", "repaid_on", "created_by_id",
    )  # fmt: skip
    writer.write(Loan, fields, loans)
    fields = ("loan_id", "number", "due_date", "principal", "interest", "amount_due", "amount_paid", "paid_on")
    writer.write(Instalment, fields, instalments)
    writer.write(Repayment, ("loan_id", "paid_on", "amount"), repayments)
    flags = instalments_flag(today=today)
    county.say(f"  instalments flagged: {flags.overdue:,} overdue, {flags.due_soon:,} due soon")
