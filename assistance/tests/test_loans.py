"""Small poverty-alleviation loans: the schedule, the limits, repayments and the due/overdue flags."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from assistance.models import Instalment, InstalmentFlag, Loan, RepaymentMethod
from assistance.services import loans as services
from assistance.tests.factories_programmes import LoanFactory
from households.tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

D = Decimal


def schedule(amount, months, rate, method, issued_on=dt.date(2020, 3, 1)):
    return services.loan_schedule(
        amount=D(amount), issued_on=issued_on, term_months=months, annual_rate=D(rate), method=method
    )


# ---------------------------------------------------------------- the schedule


def test_quarterly_interest_pays_a_quarter_of_the_yearly_interest_and_the_principal_at_the_end():
    rows = schedule("30000", 36, "4.35", RepaymentMethod.QUARTERLY_INTEREST)
    # 30,000 yuan at 4.35% is 1,305 yuan a year, 326.25 a quarter.
    assert len(rows) == 12
    assert {row.interest for row in rows} == {D("326.25")}
    assert [row.principal for row in rows[:-1]] == [D("0")] * 11
    assert rows[-1].principal == D("30000")
    assert rows[-1].amount_due == D("30326.25")
    assert [row.due_date for row in rows[:3]] == [dt.date(2020, 6, 1), dt.date(2020, 9, 1), dt.date(2020, 12, 1)]
    assert rows[-1].due_date == dt.date(2023, 3, 1)


def test_a_term_of_broken_quarters_ends_with_a_shorter_period():
    rows = schedule("30000", 8, "4.35", RepaymentMethod.QUARTERLY_INTEREST)
    assert [row.due_date for row in rows] == [dt.date(2020, 6, 1), dt.date(2020, 9, 1), dt.date(2020, 11, 1)]
    assert rows[-1].interest == D("217.50")  # two months: 30,000 x 4.35% x 2/12


def test_equal_instalments_pay_the_same_each_month_and_repay_the_principal_exactly():
    rows = schedule("10000", 12, "4.35", RepaymentMethod.EQUAL_INSTALMENTS)
    assert len(rows) == 12
    assert {row.amount_due for row in rows[:-1]} == {D("853.10")}
    assert abs(rows[-1].amount_due - D("853.10")) <= D("0.05")
    assert rows[0].interest == D("36.25")  # 10,000 x 4.35% / 12
    assert sum(row.principal for row in rows) == D("10000")


def test_equal_principal_repays_the_same_principal_with_interest_on_what_is_left():
    rows = schedule("12000", 12, "4.35", RepaymentMethod.EQUAL_PRINCIPAL)
    assert {row.principal for row in rows} == {D("1000")}
    assert rows[0].interest == D("43.50")
    assert rows[-1].interest == D("3.63")  # 1,000 x 4.35% / 12 = 3.625, rounded half up
    assert sum(row.principal for row in rows) == D("12000")


def test_an_interest_free_quarterly_loan_has_one_instalment_at_the_end():
    rows = schedule("5000", 36, "0", RepaymentMethod.QUARTERLY_INTEREST)
    assert [(row.number, row.principal, row.interest) for row in rows] == [(1, D("5000"), D("0"))]


def test_due_dates_keep_to_the_end_of_shorter_months():
    rows = schedule("1200", 3, "4.35", RepaymentMethod.EQUAL_PRINCIPAL, issued_on=dt.date(2020, 1, 31))
    assert [row.due_date for row in rows] == [dt.date(2020, 2, 29), dt.date(2020, 3, 31), dt.date(2020, 4, 30)]


def test_creating_a_loan_writes_its_schedule(dongfeng_household):
    loan = LoanFactory(household=dongfeng_household, amount=D("30000"), term_months=36)
    instalments = list(loan.instalments.order_by("number"))
    assert [i.number for i in instalments] == list(range(1, 13))
    assert sum(i.principal for i in instalments) == D("30000")
    assert all(i.amount_due == i.principal + i.interest for i in instalments)


# ---------------------------------------------------------------- limits


def loan_with(household, **terms):
    fields = {
        "household": household,
        "borrower": household.members.first(),
        "bank": "县农商银行",
        "amount": D("50000"),
        "issued_on": dt.date(2020, 3, 1),
        "term_months": 36,
        "annual_rate": D("4.35"),
        "repayment_method": RepaymentMethod.QUARTERLY_INTEREST,
        "purpose": "葡萄种植",
    }
    return Loan(**{**fields, **terms})


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [
        ("amount", D("50000.00"), True),
        ("amount", D("50000.01"), False),
        ("amount", D("0.01"), True),
        ("amount", D("0"), False),
        ("term_months", 1, True),
        ("term_months", 60, True),
        ("term_months", 61, False),
        ("term_months", 0, False),
    ],
)
def test_a_loan_is_at_most_50000_yuan_and_at_most_60_months(dongfeng_household, field, value, valid):
    loan = loan_with(dongfeng_household, **{field: value})
    if valid:
        services.loan_create(loan=loan, user=None)
        assert loan.instalments.exists()
    else:
        with pytest.raises(ValidationError) as error:
            services.loan_create(loan=loan, user=None)
        assert field in error.value.message_dict
        assert not Loan.objects.exists()


def test_the_database_refuses_a_loan_over_50000_yuan_whatever_the_path(dongfeng_household):
    with pytest.raises(IntegrityError), transaction.atomic():
        loan_with(dongfeng_household, amount=D("50001")).save()


def test_the_borrower_must_belong_to_the_household(dongfeng_household, hongqi_household):
    loan = loan_with(dongfeng_household, borrower=hongqi_household.members.first())
    with pytest.raises(ValidationError) as error:
        services.loan_create(loan=loan, user=None)
    assert "borrower" in error.value.message_dict


# ---------------------------------------------------------------- repayments


@pytest.fixture
def loan(dongfeng_household):
    """30,000 yuan over 36 months, interest quarterly (326.25), issued a year ago."""
    return LoanFactory(household=dongfeng_household, issued_on=timezone.localdate() - dt.timedelta(days=365))


def repay(loan, amount, paid_on=None):
    return services.loan_record_repayment(
        loan=loan, paid_on=paid_on or timezone.localdate(), amount=D(amount), user=None
    )


def test_a_repayment_pays_the_oldest_instalments_first(loan):
    repay(loan, "500")
    first, second, third = loan.instalments.order_by("number")[:3]
    assert (first.amount_paid, first.paid_on) == (D("326.25"), timezone.localdate())
    assert first.flag == InstalmentFlag.NONE
    assert (second.amount_paid, second.paid_on) == (D("173.75"), None)
    assert third.amount_paid == D("0")
    assert loan.repayments.get().amount == D("500")


def test_a_repayment_cannot_exceed_what_is_owed(loan):
    owed = services.loan_outstanding(loan)
    assert owed == D("30000") + 12 * D("326.25")
    with pytest.raises(ValidationError) as error:
        repay(loan, owed + D("0.01"))
    assert "amount" in error.value.message_dict
    assert not loan.repayments.exists()


def test_repaying_everything_that_is_owed_repays_the_loan(loan):
    repay(loan, "1000")
    repay(loan, services.loan_outstanding(loan))
    loan.refresh_from_db()
    assert loan.repaid_on == timezone.localdate()
    assert not loan.instalments.unpaid().exists()
    assert services.loan_outstanding(loan) == D("0")


@pytest.mark.parametrize(
    ("days_from_today", "message"),
    [(1, "future"), (-366, "issued")],
)
def test_a_repayment_is_dated_between_the_issue_and_today(loan, days_from_today, message):
    with pytest.raises(ValidationError) as error, translation.override("en"):
        repay(loan, "100", paid_on=timezone.localdate() + dt.timedelta(days=days_from_today))
    assert message in error.value.message_dict["paid_on"][0]


def test_a_repayment_cannot_be_dated_before_the_last_one(loan):
    today = timezone.localdate()
    repay(loan, "100", paid_on=today)
    with pytest.raises(ValidationError) as error:
        repay(loan, "100", paid_on=today - dt.timedelta(days=1))
    assert "paid_on" in error.value.message_dict


def test_changing_the_terms_before_any_repayment_rewrites_the_schedule(loan):
    loan.term_months, loan.repayment_method = 12, RepaymentMethod.EQUAL_PRINCIPAL
    services.loan_update(loan=loan)
    assert loan.instalments.count() == 12
    assert set(loan.instalments.values_list("principal", flat=True)) == {D("2500")}


def test_the_terms_are_fixed_once_a_repayment_is_recorded(loan):
    repay(loan, "100")
    loan.amount = D("20000")
    with pytest.raises(ValidationError) as error:
        services.loan_update(loan=loan)
    assert "amount" in error.value.message_dict
    assert Loan.objects.get(pk=loan.pk).amount == D("30000")
    assert loan.instalments.count() == 12


def test_other_details_may_change_after_a_repayment(loan):
    repay(loan, "100")
    loan = Loan.objects.get(pk=loan.pk)
    loan.bank, loan.purpose = "县邮储银行", "肉羊养殖"
    services.loan_update(loan=loan)
    assert Loan.objects.get(pk=loan.pk).bank == "县邮储银行"
    assert loan.instalments.filter(amount_paid__gt=0).count() == 1


# ---------------------------------------------------------------- flags


DAY = dt.date(2021, 6, 15)


@pytest.fixture
def instalments_around_day(dongfeng_household):
    """Unpaid instalments due on either side of the flagging day and its 30-day window, plus a paid one."""
    loan = LoanFactory(household=dongfeng_household, issued_on=dt.date(2020, 1, 1))
    # The loan was flagged against the real today when it was created: start from no flags, the rest far ahead.
    loan.instalments.update(flag=InstalmentFlag.NONE, due_date=DAY + dt.timedelta(days=400))
    offsets = {1: -1, 2: 0, 3: 30, 4: 31, 5: -40}
    for number, offset in offsets.items():
        Instalment.objects.filter(loan=loan, number=number).update(due_date=DAY + dt.timedelta(days=offset))
    paid = Instalment.objects.get(loan=loan, number=5)
    Instalment.objects.filter(pk=paid.pk).update(amount_paid=paid.amount_due, paid_on=DAY, flag=InstalmentFlag.OVERDUE)
    return {number: Instalment.objects.get(loan=loan, number=number) for number in offsets}


def flags(instalments):
    return {number: Instalment.objects.get(pk=i.pk).flag for number, i in instalments.items()}


def test_flags_mark_past_due_as_overdue_and_the_next_30_days_as_due_soon(instalments_around_day):
    services.instalments_flag(today=DAY)
    assert flags(instalments_around_day) == {
        1: InstalmentFlag.OVERDUE,  # yesterday
        2: InstalmentFlag.DUE_SOON,  # today
        3: InstalmentFlag.DUE_SOON,  # in 30 days
        4: InstalmentFlag.NONE,  # in 31 days
        5: InstalmentFlag.NONE,  # paid, so its old flag is cleared
    }


def test_the_due_soon_window_comes_from_the_setting(instalments_around_day, settings):
    settings.LOAN_DUE_SOON_DAYS = 31
    services.instalments_flag(today=DAY)
    assert flags(instalments_around_day)[4] == InstalmentFlag.DUE_SOON


def test_flagging_twice_changes_nothing_the_second_time(instalments_around_day):
    first = services.instalments_flag(today=DAY)
    second = services.instalments_flag(today=DAY)
    assert (first.newly_overdue, first.cleared) == (1, 1)
    assert (second.newly_overdue, second.newly_due_soon, second.cleared) == (0, 0, 0)
    assert (second.overdue, second.due_soon) == (first.overdue, first.due_soon)


def test_flagging_runs_the_same_few_queries_for_any_number_of_loans(dongfeng_household, django_assert_num_queries):
    LoanFactory(household=dongfeng_household, issued_on=dt.date(2019, 1, 1))
    # 1 overdue update, 2 due-soon update, 3 clearing update, 4 counts
    with django_assert_num_queries(4):
        services.instalments_flag(today=DAY)
    for _ in range(3):
        LoanFactory(household=dongfeng_household, issued_on=dt.date(2019, 1, 1))
    with django_assert_num_queries(4):
        counts = services.instalments_flag(today=DAY)
    # Issued 2019-01-01, interest quarterly: by 15 June 2021 nine instalments are past due (April 2019 to
    # April 2021) and the one of 1 July 2021 is due soon, for each of the four loans.
    assert (counts.overdue, counts.due_soon) == (4 * 9, 4 * 1)


def test_the_command_flags_as_of_a_date_and_prints_the_counts(instalments_around_day):
    out = io.StringIO()
    call_command("flag_loan_instalments", "--date", DAY.isoformat(), stdout=out)
    text = out.getvalue()
    assert "overdue:  1 (1 newly flagged)" in text
    assert "due soon: 2 (2 newly flagged)" in text
    assert "cleared:  1" in text
    assert flags(instalments_around_day)[1] == InstalmentFlag.OVERDUE

    out = io.StringIO()
    call_command("flag_loan_instalments", "--date", DAY.isoformat(), stdout=out)
    assert "overdue:  1 (0 newly flagged)" in out.getvalue()


def test_the_command_refuses_a_date_it_cannot_read():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("flag_loan_instalments", "--date", "15/06/2021")


def test_a_loan_created_with_past_instalments_is_flagged_at_once(dongfeng_household):
    today = timezone.localdate()
    loan = LoanFactory(household=dongfeng_household, issued_on=today - dt.timedelta(days=120))
    first = loan.instalments.get(number=1)
    assert first.flag == InstalmentFlag.OVERDUE
    assert loan.instalments.filter(flag=InstalmentFlag.NONE).count() >= 10


def test_repayment_clears_the_flag_of_what_it_pays_off(dongfeng_household):
    today = timezone.localdate()
    member = MemberFactory(household=dongfeng_household)
    loan = LoanFactory(household=dongfeng_household, borrower=member, issued_on=today - dt.timedelta(days=120))
    services.loan_record_repayment(loan=loan, paid_on=today, amount=D("326.25"), user=None)
    assert loan.instalments.get(number=1).flag == InstalmentFlag.NONE
    assert not loan.instalments.filter(flag=InstalmentFlag.OVERDUE).exists()


def test_loans_are_scoped_through_their_household(alice, bob, dongfeng_household):
    HouseholdFactory(village=dongfeng_household.village)
    loan = LoanFactory(household=dongfeng_household)
    assert list(Loan.objects.visible_to(alice)) == [loan]
    assert not Loan.objects.visible_to(bob).exists()
    assert Instalment.objects.visible_to(alice).count() == 12
    assert not Instalment.objects.visible_to(bob).exists()
