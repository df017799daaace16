import datetime as dt
from io import BytesIO

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from assistance.tests.factories import MeasureFactory, PlanFactory
from households.choices import AssignmentRole, HouseholdStatus, PovertyCause, Relation
from households.models import SupportUnit
from households.tests.factories import (
    AssessmentFactory,
    AssignmentFactory,
    HouseholdFactory,
    IncomeRecordFactory,
    MemberFactory,
    UserFactory,
)
from reports.cards import household_card
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db

# What a card costs whatever the household holds (listed in the tests that pin them).
CARD_PAGE_QUERIES = 11
CARD_PDF_QUERIES = 12
VILLAGE_CARDS_QUERIES = 13


def furnish(household, *, members=2, measures=2, visits=3, findings="家中老人身体好转"):
    """Give a household everything its card shows.

    Sons with basic medical insurance, two other poverty causes, a failing housing item,
    2019 and 2020 income (6,000.00 per person in 2020), a 2020 plan, a responsible
    person 李明 and a contact person, and visits in March 2020.
    """
    for _ in range(members):
        MemberFactory(household=household, relation=Relation.SON, medical_insurance=True)
    household.latest_assessment = AssessmentFactory(household=household, housing_ok=False, housing_note="C级危房")
    household.other_causes = [PovertyCause.SKILLS, PovertyCause.FUNDS]
    household.save(update_fields=["latest_assessment", "other_causes"])
    IncomeRecordFactory(household=household, year=2019, wage_income=9000, household_size=3)
    IncomeRecordFactory(household=household, year=2020, wage_income=18000, household_size=3)
    plan = PlanFactory(household=household, year=2020)
    for n in range(measures):
        MeasureFactory(plan=plan, description=f"发展肉牛养殖第{n + 1}项")
    responsible = UserFactory(last_name="李", first_name="明", phone="13800000000")
    unit, _ = SupportUnit.objects.get_or_create(village=household.village, name="县农业农村局")
    AssignmentFactory(household=household, person=responsible, role=AssignmentRole.RESPONSIBLE, support_unit=unit)
    AssignmentFactory(household=household, role=AssignmentRole.CONTACT)
    for day in range(visits):
        VisitFactory(household=household, visitor=responsible, visited_on=dt.date(2020, 3, 1 + day), findings=findings)
    return household


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def card_url(household, name="reports:card"):
    return reverse(name, args=[household.pk])


def village_cards_url(village, **query):
    url = reverse("reports:village-cards", args=[village.pk])
    return f"{url}?status={query['status']}" if query else url


def pdf_of(response) -> PdfReader:
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    return PdfReader(BytesIO(response.content))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def head_of(household):
    return household.members.get(relation=Relation.HEAD)


# ---------------------------------------------------------------- who may see a card


@pytest.mark.parametrize("name", ["reports:card", "reports:card-pdf"])
def test_a_cadre_opens_the_card_of_a_household_of_their_village(client, alice, dongfeng_household, name):
    client.force_login(alice)
    assert client.get(card_url(dongfeng_household, name)).status_code == 200


@pytest.mark.parametrize("name", ["reports:card", "reports:card-pdf"])
@pytest.mark.parametrize("user", ["bob", "charlie"])
def test_a_colleague_and_an_outsider_get_404_on_a_card(client, request, dongfeng_household, name, user):
    client.force_login(request.getfixturevalue(user))
    assert client.get(card_url(dongfeng_household, name)).status_code == 404


@pytest.mark.parametrize("name", ["reports:card", "reports:card-pdf"])
def test_a_missing_household_gives_404(client, official, name):
    client.force_login(official)
    assert client.get(reverse(name, args=[999_999])).status_code == 404


def test_a_responsible_person_opens_only_the_cards_of_households_assigned_to_them(client, helper, dongfeng):
    mine, other = HouseholdFactory(village=dongfeng), HouseholdFactory(village=dongfeng)
    AssignmentFactory(household=mine, person=helper)
    client.force_login(helper)
    assert client.get(card_url(mine)).status_code == 200
    assert client.get(card_url(other)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, dongfeng_household):
    response = client.get(card_url(dongfeng_household, "reports:card-pdf"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# ---------------------------------------------------------------- what the page shows


def test_the_card_shows_masked_id_numbers_and_never_a_whole_one(client, alice, dongfeng_household):
    furnish(dongfeng_household)
    client.force_login(alice)
    page = client.get(card_url(dongfeng_household)).text
    for member in dongfeng_household.members.all():
        assert member.masked_id_number in page
        assert member.id_number not in page


def test_the_card_shows_the_figures_that_matter(client, alice, dongfeng_household):
    furnish(dongfeng_household)
    client.force_login(alice)
    page = english(client).get(card_url(dongfeng_household)).text
    assert "6,000.00" in page  # 2020 per-capita net income: 18,000 / 3
    assert "Safe housing guaranteed" in page
    assert "Not met" in page
    assert "C级危房" in page
    assert "Lack of skills" in page
    assert "Medical insurance" in page
    assert "Pension insurance" not in page
    assert "发展肉牛养殖第2项" in page
    assert "李明" in page
    assert "县农业农村局" in page
    assert "2020-03-03" in page  # the last visit
    assert head_of(dongfeng_household).name in page


def test_the_card_keeps_the_latest_two_income_years_and_the_newest_plan(alice, dongfeng_household):
    furnish(dongfeng_household)
    IncomeRecordFactory(household=dongfeng_household, year=2018, household_size=3)
    PlanFactory(household=dongfeng_household, year=2019)
    card = household_card(user=alice, pk=dongfeng_household.pk)
    assert [row.record.year for row in card.income_years] == [2020, 2019]
    assert card.latest_income.record.per_capita == 6000
    assert card.plan.year == 2020
    assert len(card.measures) == 2


def test_the_card_keeps_the_latest_five_visits_newest_first(alice, dongfeng_household):
    furnish(dongfeng_household, visits=7)
    card = household_card(user=alice, pk=dongfeng_household.pk)
    assert [visit.visited_on.day for visit in card.visits] == [7, 6, 5, 4, 3]
    assert card.last_visited_on == dt.date(2020, 3, 7)


def test_the_card_names_only_the_persons_assigned_today(alice, dongfeng_household):
    furnish(dongfeng_household)
    today = timezone.localdate()
    AssignmentFactory(
        household=dongfeng_household,
        role=AssignmentRole.RESPONSIBLE,
        person=UserFactory(last_name="赵", first_name="旧"),
        start_date=dt.date(2018, 1, 1),
        end_date=today - dt.timedelta(days=1),
    )
    card = household_card(user=alice, pk=dongfeng_household.pk)
    assert str(card.responsible.person) == "李明"
    assert card.contact is not None
    assert [a.role for a in card.assignments] == [AssignmentRole.RESPONSIBLE, AssignmentRole.CONTACT]


def test_a_bare_household_has_a_card_that_says_what_is_missing(client, alice, dongfeng_household):
    client.force_login(alice)
    page = english(client).get(card_url(dongfeng_household)).text
    assert "No 2W3G assessment has been recorded." in page
    assert "No income has been recorded." in page
    assert "No plan has been written." in page
    assert "No one is assigned to this household." in page
    assert "No visit has been logged." in page


def test_the_card_page_has_print_and_pdf_buttons_and_no_inline_script(client, alice, dongfeng_household):
    client.force_login(alice)
    page = client.get(card_url(dongfeng_household)).text
    assert "data-print" in page
    assert card_url(dongfeng_household, "reports:card-pdf") in page
    assert "css/card.css" in page
    assert "js/card.js" in page
    assert "<script>" not in page
    assert "onclick" not in page


def test_the_household_page_links_to_its_card(client, alice, dongfeng_household):
    client.force_login(alice)
    page = client.get(reverse("households:detail", args=[dongfeng_household.pk])).text
    assert card_url(dongfeng_household) in page


def test_the_card_page_runs_a_fixed_number_of_queries(client, alice, dongfeng, django_assert_num_queries):
    household = furnish(HouseholdFactory(village=dongfeng), members=1, measures=1, visits=1)
    client.force_login(alice)
    # 1 session, 2 user, 3 cadre's villages, 4 household with village, town, group, latest assessment and
    # its assessor, 5 members, 6 latest income years, 7 current assignments with persons and support units,
    # 8 newest plan, 9 its measures with responsible persons and beneficiaries, 10 latest visits with
    # visitors, 11 income lines
    with django_assert_num_queries(CARD_PAGE_QUERIES):
        response = client.get(card_url(household))
    assert len(response.context["card"].visits) == 1
    for _ in range(4):
        MemberFactory(household=household)
        MeasureFactory(plan=household.plans.get())
        VisitFactory(household=household)
    IncomeRecordFactory(household=household, year=2018, household_size=5)
    with django_assert_num_queries(CARD_PAGE_QUERIES):
        response = client.get(card_url(household))
    assert len(response.context["card"].visits) == 5


# ---------------------------------------------------------------- the PDF


def test_the_pdf_is_one_page_with_the_household_number_the_head_and_the_figures(client, alice, dongfeng_household):
    furnish(dongfeng_household)
    client.force_login(alice)
    response = english(client).get(card_url(dongfeng_household, "reports:card-pdf"))
    reader = pdf_of(response)
    assert len(reader.pages) == 1
    text = text_of(reader)
    assert dongfeng_household.number in text
    assert head_of(dongfeng_household).name in text
    assert "6,000.00" in text  # 2020 per-capita net income
    assert "Safe housing guaranteed" in text
    assert "发展肉牛养殖第2项" in text
    assert "李明" in text
    assert "2020-03-03" in text
    assert f"card-{dongfeng_household.number}.pdf" in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")


def test_the_pdf_masks_id_numbers(client, alice, dongfeng_household):
    furnish(dongfeng_household)
    client.force_login(alice)
    text = text_of(pdf_of(client.get(card_url(dongfeng_household, "reports:card-pdf"))))
    for member in dongfeng_household.members.all():
        assert member.masked_id_number in text
        assert member.id_number not in text


def test_the_pdf_speaks_the_readers_language(client, alice, dongfeng_household):
    furnish(dongfeng_household)
    client.force_login(alice)
    chinese = text_of(pdf_of(client.get(card_url(dongfeng_household, "reports:card-pdf"))))
    assert "双人包保" in chinese
    english_text = text_of(pdf_of(english(client).get(card_url(dongfeng_household, "reports:card-pdf"))))
    assert "Two-person guarantee" in english_text
    assert "双人包保" not in english_text


def test_a_crowded_household_still_fits_on_one_page_and_says_what_was_left_out(client, alice, dongfeng_household):
    long_text = "因病致贫，家中主要劳动力长期患病，无法外出务工，" * 20
    furnish(dongfeng_household, members=24, measures=20, visits=9, findings=long_text)
    plan = dongfeng_household.plans.get()
    plan.cause_analysis = plan.goal = long_text
    plan.save()
    client.force_login(alice)
    reader = pdf_of(english(client).get(card_url(dongfeng_household, "reports:card-pdf")))
    assert len(reader.pages) == 1
    text = text_of(reader)
    assert "and 15 more" in text  # 25 members, 10 shown
    assert "and 12 more" in text  # 20 measures, 8 shown


def test_markup_in_a_note_is_printed_as_text(client, alice, dongfeng_household):
    furnish(dongfeng_household, findings="<b>低保 & 医保</b> <para>")
    plan = dongfeng_household.plans.get()
    plan.cause_analysis = "<i>因病</i> & <font>缺技术</font> " + "家中主要劳动力长期患病" * 8
    plan.save()
    client.force_login(alice)
    text = text_of(pdf_of(client.get(card_url(dongfeng_household, "reports:card-pdf"))))
    assert "<b>低保 & 医保</b> <para>" in text
    assert "<i>因病</i> & <font>缺技术</font>" in text


def test_the_pdf_runs_a_fixed_number_of_queries(client, alice, dongfeng, django_assert_num_queries):
    household = furnish(HouseholdFactory(village=dongfeng), members=1, measures=1, visits=1)
    client.force_login(alice)
    # 1 session, 2 user, 3 cadre's villages, then the card as on its page: 4 household with village, town,
    # group, latest assessment and its assessor, 5 members, 6 latest income years, 7 current assignments,
    # 8 newest plan, 9 its measures, 10 latest visits, 11 income lines, 12 the access log's row for the download
    with django_assert_num_queries(CARD_PDF_QUERIES):
        client.get(card_url(household, "reports:card-pdf"))
    for _ in range(4):
        MemberFactory(household=household)
        MeasureFactory(plan=household.plans.get())
        VisitFactory(household=household)
    with django_assert_num_queries(CARD_PDF_QUERIES):
        client.get(card_url(household, "reports:card-pdf"))


# ---------------------------------------------------------------- a village's cards


def test_a_village_batch_has_one_page_per_household_of_that_village_in_number_order(
    client, alice, dongfeng, hongqi_household
):
    households = [furnish(HouseholdFactory(village=dongfeng, number=number)) for number in ("B-002", "B-001", "B-003")]
    client.force_login(alice)
    response = client.get(village_cards_url(dongfeng))
    reader = pdf_of(response)
    assert len(reader.pages) == 3
    texts = [page.extract_text() for page in reader.pages]
    assert ["B-001" in texts[0], "B-002" in texts[1], "B-003" in texts[2]] == [True, True, True]
    assert all(hongqi_household.number not in text for text in texts)
    for household in households:
        assert head_of(household).name in "\n".join(texts)
    assert "attachment" in response["Content-Disposition"]


def test_a_village_batch_can_be_limited_to_one_status(client, alice, dongfeng):
    HouseholdFactory(village=dongfeng, status=HouseholdStatus.UNEXITED, number="S-1")
    HouseholdFactory(village=dongfeng, status=HouseholdStatus.EXITED, exit_year=2019, number="S-2")
    HouseholdFactory(village=dongfeng, status=HouseholdStatus.UNEXITED, number="S-3")
    client.force_login(alice)
    reader = pdf_of(client.get(village_cards_url(dongfeng, status=HouseholdStatus.UNEXITED)))
    assert len(reader.pages) == 2
    assert "S-2" not in text_of(reader)


def test_a_village_batch_refuses_an_unknown_status(client, alice, dongfeng):
    client.force_login(alice)
    assert client.get(village_cards_url(dongfeng, status="rich")).status_code == 400


@pytest.mark.parametrize("user", ["alice", "charlie"])
def test_a_village_out_of_scope_gives_404(client, request, hongqi, hongqi_household, user):
    client.force_login(request.getfixturevalue(user))
    assert client.get(village_cards_url(hongqi)).status_code == 404


def test_a_missing_village_gives_404(client, official):
    client.force_login(official)
    assert client.get(reverse("reports:village-cards", args=[999_999])).status_code == 404


def test_a_responsible_persons_batch_holds_only_the_households_assigned_to_them(client, helper, dongfeng):
    mine = HouseholdFactory(village=dongfeng, number="M-1")
    HouseholdFactory(village=dongfeng, number="M-2")
    AssignmentFactory(household=mine, person=helper)
    client.force_login(helper)
    reader = pdf_of(client.get(village_cards_url(dongfeng)))
    assert len(reader.pages) == 1
    assert "M-1" in text_of(reader)


def test_a_village_batch_with_no_household_is_one_page_saying_so(client, english_alice, dongfeng):
    reader = pdf_of(english_alice.get(village_cards_url(dongfeng, status=HouseholdStatus.CLOSED)))
    assert len(reader.pages) == 1
    assert "No household to print." in text_of(reader)


def test_a_village_batch_runs_a_fixed_number_of_queries(client, alice, dongfeng, django_assert_num_queries):
    furnish(HouseholdFactory(village=dongfeng))
    client.force_login(alice)
    # 1 session, 2 user, 3 cadre's villages, 4 the village, then for all its households at once:
    # 5 households with village, town, group, latest assessment and its assessor, 6 members,
    # 7 latest income years, 8 current assignments, 9 newest plans, 10 their measures, 11 latest visits,
    # 12 income lines, 13 the access log's rows for the download (one insert, a row per household)
    with django_assert_num_queries(VILLAGE_CARDS_QUERIES):
        response = client.get(village_cards_url(dongfeng))
    assert len(pdf_of(response).pages) == 1
    for _ in range(4):
        furnish(HouseholdFactory(village=dongfeng))
    with django_assert_num_queries(VILLAGE_CARDS_QUERIES):
        response = client.get(village_cards_url(dongfeng))
    assert len(pdf_of(response).pages) == 5


# ---------------------------------------------------------------- the link on the household list


def test_the_household_list_offers_the_village_cards_only_when_filtered_to_one_village(client, alice, dongfeng):
    HouseholdFactory(village=dongfeng)
    client.force_login(alice)
    assert reverse("reports:village-cards", args=[dongfeng.pk]) not in client.get(reverse("households:list")).text
    page = client.get(reverse("households:list"), {"village": dongfeng.pk, "status": HouseholdStatus.UNEXITED}).text
    assert f"{reverse('reports:village-cards', args=[dongfeng.pk])}?status=unexited" in page


@pytest.fixture
def english_alice(client, alice):
    client.force_login(alice)
    return english(client)
