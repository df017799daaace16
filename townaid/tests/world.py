"""A small world of every kind of object, for the tests that walk every URL (the access matrix, personal data).

In each of 东风村 and 红旗村, a household with its head, income, plan and measure,
loan, programmes, visit and photo, and the village's own programmes and a project
with a document; a 东风村 household not assigned to the responsible person
("neighbour"); a roster import; and a logged-in session for each kind of user.
townaid/tests/conftest.py builds it once per module, in a transaction rolled back
at the module's end.
"""

import io

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from accounts.models import Notification, Role
from assistance.tests.factories import MeasureFactory, PlanFactory
from assistance.tests.factories_programmes import (
    FiveMutualActivityFactory,
    IndustrySupportFactory,
    LoanFactory,
    PVIncomeFactory,
    PVShareFactory,
    PVStationFactory,
    RewardFactory,
    TrainingSessionFactory,
    TypicalExampleFactory,
    WelfareJobFactory,
)
from households.choices import HouseholdStatus
from households.roster import batches
from households.tests import roster_workbooks
from households.tests.factories import (
    AssignmentFactory,
    HouseholdFactory,
    IncomeRecordFactory,
    TownFactory,
    UserFactory,
    VillageFactory,
)
from infrastructure.models import ProjectDocument
from infrastructure.tests.factories import ProjectFactory
from monitoring.services import warning_upload_receive
from monitoring.tests import warning_lists
from monitoring.tests.factories import MonitoringCaseFactory
from visits.models import FlagKind, VisitFlag, VisitPhoto, VisitRule
from visits.tests.factories import VisitFactory


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 120, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def household_objects(household, *, pv_income, visitor) -> dict:
    """A household and everything hung on it: member, income, plan and measure, programmes, a visit and its photo."""
    head = household.members.get()
    IncomeRecordFactory(household=household, year=2020, household_size=1, wage_income=12000)
    plan = PlanFactory(household=household)
    visit = VisitFactory(household=household, visitor=visitor)
    VisitFlag.objects.create(
        household=household,
        rule=VisitRule.objects.order_by("pk").first(),
        period_start=timezone.localdate().replace(day=1),
        period_end=timezone.localdate(),
        visitor=visitor,
        kind=FlagKind.OVERDUE,
        raised_at=timezone.now(),
    )
    return {
        "household": household,
        "member": head,
        "exited": HouseholdFactory(village=household.village, status=HouseholdStatus.EXITED, exit_year=2019),
        "plan": plan,
        "measure": MeasureFactory(plan=plan),
        "loan": LoanFactory(household=household),
        "welfare_job": WelfareJobFactory(member=head),
        "pv_share": PVShareFactory(income=pv_income, household=household),
        "reward": RewardFactory(household=household),
        "example": TypicalExampleFactory(household=household),
        "visit": visit,
        "photo": VisitPhoto.objects.create(visit=visit, image=ContentFile(_jpeg(), name="photo.jpg")),
        "case": MonitoringCaseFactory(household=household),
    }


def build_place(village, *, visitor, assign_to=None) -> dict:
    """One village's objects: a household with everything hung on it, and the village's own programmes."""
    household = HouseholdFactory(village=village)
    if assign_to is not None:
        AssignmentFactory(household=household, person=assign_to)
    station = PVStationFactory(village=village)
    pv_income = PVIncomeFactory(station=station)
    project = ProjectFactory(village=village)
    objects = household_objects(household, pv_income=pv_income, visitor=visitor)
    return {
        **objects,
        "village": village,
        "training": TrainingSessionFactory(village=village, attendees=[objects["member"]]),
        "pv_station": station,
        "pv_income": pv_income,
        "industry": IndustrySupportFactory(village=village, households=[household]),
        "five_mutual": FiveMutualActivityFactory(village=village, households=[household]),
        "project": project,
        "document": ProjectDocument.objects.create(
            project=project, file=ContentFile(PDF, name="report.pdf"), name="验收报告.pdf", kind="pdf", size=len(PDF)
        ),
    }


def build_world() -> dict:
    town = TownFactory()
    dongfeng = VillageFactory(town=town, name="东风村", code="01")
    hongqi = VillageFactory(town=town, name="红旗村", code="02")
    users = {
        "alice": UserFactory(username="alice", role=Role.CADRE, villages=[dongfeng]),
        "bob": UserFactory(username="bob", role=Role.CADRE, villages=[hongqi]),
        "helper": UserFactory(username="helper", role=Role.RESPONSIBLE),
        "official": UserFactory(username="official", role=Role.OFFICIAL, town=town),
        "admin": UserFactory(username="admin", role=Role.ADMIN, is_superuser=True, is_staff=True),
        "charlie": UserFactory(username="charlie", role=""),
    }
    places = {
        "dongfeng": build_place(dongfeng, visitor=users["helper"], assign_to=users["helper"]),
        "hongqi": build_place(hongqi, visitor=users["bob"]),
    }
    # A 东风村 household not assigned to helper, in the same village as the one that is.
    neighbour = household_objects(
        HouseholdFactory(village=dongfeng), pv_income=places["dongfeng"]["pv_income"], visitor=users["alice"]
    )
    places["neighbour"] = {**places["dongfeng"], **neighbour}
    Notification.objects.create(recipient=users["alice"], subject="走访逾期", url="/visits/flags/")
    roster = ContentFile(roster_workbooks.workbook(roster_workbooks.household()), name="花名册.xlsx")
    batch = batches.batch_receive(upload=roster, original_name="花名册.xlsx", user=users["admin"])
    batches.batch_start(batch, allow_background=False)
    head = places["dongfeng"]["household"].members.first()
    warning_upload = warning_upload_receive(
        file=warning_lists.uploaded(warning_lists.workbook([warning_lists.row(head.id_number, name=head.name)])),
        original_name="医保预警.xlsx",
        department="health_insurance",
        user=users["official"],
    )
    shared = {
        "batch": batch,
        "warning_upload": warning_upload,  # the official's own, so that the official and admin reach it
        "household_type": ContentType.objects.get(app_label="households", model="household"),
    }
    return {
        "users": users,
        "sessions": {name: session_of(user) for name, user in users.items()},
        "places": places,
        "shared": shared,
    }


def session_of(user) -> str:
    """A logged-in session, opened once for the module: a cell only presents its cookie."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value
