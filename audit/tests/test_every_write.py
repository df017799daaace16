"""Every write service of every app leaves an event in the audit trail.

The service functions are found by introspection: every public function defined in an app's
`services.py` or `services/*.py`. Each must have a row in WRITES (how to call it with records built
by the factories, and the record and action it must leave in the trail) or in EXEMPT (why it
writes no event). A new service function with neither fails test_every_service_is_listed, so that
a write cannot be added without saying how it is audited.
"""

import datetime as dt
import importlib
import inspect
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.utils import timezone

from accounts.models import Role
from assistance import specs
from assistance.forms import PVIncomeForm
from assistance.models import PVShare
from assistance.services import guarantee, loans, plans, programmes
from assistance.tests import factories_programmes as programme_factories
from assistance.tests.factories import PlanFactory
from audit.models import AccessEvent, AuditEvent
from households import services as households
from households.choices import AssignmentRole, HouseholdStatus, Relation
from households.forms import HouseholdForm, MemberFormSet
from households.models import Assessment, Household
from households.tests.factories import UserFactory, poor_household, valid_id_number
from households.tests.test_classification import exited_household
from households.tests.test_views import household_post, member_data
from infrastructure import services as infrastructure
from infrastructure.models import DocumentKind, Status
from infrastructure.tests.factories import ProjectFactory
from monitoring import services as monitoring
from monitoring.tests import warning_lists
from visits import services as visits
from visits.models import Visit

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def service_functions() -> list[str]:
    """Every public function of every app's services module or package, as "module.function"."""
    names = []
    root = settings.BASE_DIR
    paths = [*root.glob("*/services.py"), *root.glob("*/services/*.py")]
    for path in sorted(paths):
        if path.name == "__init__.py":
            continue
        module = importlib.import_module(".".join(path.relative_to(root).with_suffix("").parts))
        for name, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_"):
                names.append(f"{module.__name__}.{name}")
    return names


# ---------------------------------------------------------------- the world the writes run in


@dataclass
class World:
    cadre: object  # alice, a cadre of Dongfeng
    official: object
    admin: object
    village: object
    household: Household


@pytest.fixture
def world(alice, official, dongfeng, dongfeng_household, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    admin = UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    return World(alice, official, admin, dongfeng, dongfeng_household)


@dataclass(frozen=True)
class Write:
    """How to call a service, and the record (model label) and action it must leave in the trail."""

    call: Callable[[World], object]
    record: str
    action: str = Action.CREATED


def _valid(form):
    assert form.is_valid(), form.errors
    return form


def _household_save(w: World):
    data = household_post(
        w.village, member_data(0, name="张三", relation=Relation.HEAD, id_number=valid_id_number()), number="3403219"
    )
    form = _valid(HouseholdForm(data, instance=Household(), user=w.cadre))
    members = _valid(MemberFormSet(data, instance=form.instance, prefix="members", form_kwargs={"user": w.cadre}))
    return households.household_save(household=None, values=form.values(), members=members.writes(), user=w.cadre)


def _assessment_record(w: World):
    assessment = Assessment(household=w.household, assessed_on=dt.date(2020, 3, 1))
    return households.assessment_record(assessment=assessment, user=w.cadre)


def _household_set_status(w: World):
    return households.household_set_status(
        household=w.household,
        to_status=HouseholdStatus.MONITORED,
        monitor_kind="unstable",
        changed_on=dt.date(2020, 3, 1),
        reason="因病",
        user=w.official,
    )


def _income_record_save(w: World):
    return households.income_record_save(
        household=w.household,
        year=2020,
        wage_income=12000,
        production_income=0,
        property_income=0,
        transfer_income=1500,
        production_costs=0,
        household_size=1,
        user=w.cadre,
    )


def _classification_confirm(w: World):
    household = exited_household(w.village)
    return households.classification_confirm(
        household=household, confirmed_class="bottom_line", reason="户主重病", user=w.official
    )


def _target_fix(w: World):
    poor_household(w.village)  # a target counts the households still poor on its day
    return households.target_fix(town=w.village.town, year=2020, name="计划", as_of=dt.date(2020, 1, 1), user=w.admin)


def _assignment_set(w: World):
    return guarantee.assignment_set(
        household=w.household,
        role=AssignmentRole.CONTACT,
        person=w.cadre,
        start_date=dt.date(2020, 1, 1),
        user=w.cadre,
    )


def _plan_save(w: World):
    return plans.plan_save(household=w.household, year=2020, cause_analysis="因病", goal="", user=w.cadre)


def _measure_save(w: World):
    plan = PlanFactory(household=w.household)
    return plans.measure_save(
        plan=plan,
        category="health",
        description="签约家庭医生",
        planned_date=dt.date(2020, 4, 1),
        amount=0,
        status="planned",
        user=w.cadre,
    )


def _loan(w: World):
    return programme_factories.LoanFactory(household=w.household, issued_on=dt.date(2020, 1, 15))


def _loan_create(w: World):
    loan = programme_factories.LoanFactory.build(
        household=w.household, borrower=w.household.members.get(), created_by=None
    )
    return loans.loan_create(loan=loan, user=w.cadre)


def _loan_update(w: World):
    loan = _loan(w)
    AuditEvent.objects.all().delete()  # the factory creates through loan_create
    loan.bank = "农商银行"
    return loans.loan_update(loan=loan, user=w.cadre)


def _loan_record_repayment(w: World):
    loan = _loan(w)
    first = loan.instalments.order_by("number").first()
    return loans.loan_record_repayment(loan=loan, paid_on=first.due_date, amount=first.amount_due, user=w.cadre)


def _welfare_job_save(w: World):
    job = programme_factories.WelfareJobFactory.build(member=w.household.members.get(), village=w.village)
    return programmes.welfare_job_save(job=job, user=w.cadre)


def _pv_income_save(w: World):
    station = programme_factories.PVStationFactory(village=w.village)
    form = _valid(PVIncomeForm({"year": 2020, "income": "5000"}, station=station))
    return programmes.pv_income_save(income=form.instance, user=w.cadre)


def _pv_share_save(w: World):
    income = programme_factories.PVIncomeFactory(station__village=w.village, income=Decimal("5000"))
    share = PVShare(income=income, household=w.household, amount=Decimal("800"))
    return programmes.pv_share_save(share=share, user=w.cadre)


def _project_save(w: World):
    project = ProjectFactory.build(village=w.village)
    return infrastructure.project_save(project=project, beneficiaries=[w.household], user=w.official)


def _project_advance(w: World):
    project = ProjectFactory(village=w.village)
    return infrastructure.project_advance(
        project=project, to_status=Status.DECLARED, on=dt.date(2020, 3, 1), user=w.official
    )


def _upload():
    upload = SimpleUploadedFile("验收报告.pdf", PDF, content_type="application/pdf")
    upload.kind = DocumentKind.PDF
    return upload


def _document_add(w: World):
    return infrastructure.document_add(project=ProjectFactory(village=w.village), upload=_upload(), user=w.official)


def _document_delete(w: World):
    document = infrastructure.document_add(project=ProjectFactory(village=w.village), upload=_upload(), user=None)
    return infrastructure.document_delete(document=document, user=w.official)


def _visit_log(w: World):
    today = timezone.localdate()  # the household was registered today
    visit = Visit(household=w.household, client_key=uuid.uuid4(), visited_on=today, method="home")
    return visits.visit_log(visit=visit, user=w.cadre)


def _visit_in_conflict(w: World):
    """A visit logged, then sent again under its key saying something else: a conflict to settle."""
    visit, _created = _visit_log(w)
    other = Visit(household=w.household, client_key=visit.client_key, visited_on=visit.visited_on, method="phone")
    with pytest.raises(visits.VisitConflictError):
        visits.visit_log(visit=other, user=w.cadre)
    return visit, other


def _visit_replace(w: World):
    visit, other = _visit_in_conflict(w)
    return visits.visit_replace(visit=visit, user=w.cadre, sent=other, replaces=visit.content_digest)


def _visit_conflict_keep(w: World):
    visit, _other = _visit_in_conflict(w)
    return visits.visit_conflict_keep(visit=visit, user=w.cadre)


def _programme_save(w: World):
    """One programme through the generic path its spec's form takes (every spec: test_every_programme_records)."""
    return _save_through_spec(specs.REWARD, w)


def _case(w: World, **kwargs):
    from monitoring.tests.factories import MonitoringCaseFactory

    return MonitoringCaseFactory(household=w.household, reported_on=timezone.localdate(), **kwargs)


def _case_report(w: World):
    from monitoring import services as monitoring

    return monitoring.case_report(
        household=w.household,
        origin="cadre",
        risks=["illness"],
        description="因病",
        reported_on=timezone.localdate(),
        user=w.cadre,
    )


def _case_step(name: str, state: str, user: str = "official", **kwargs):
    def call(w: World):
        from monitoring import services as monitoring

        today = timezone.localdate()
        dates = {"verified_on": today, "reviewed_on": today, "confirmed_on": today, "removal_appraised_on": today}
        dates["removal_publicised_on"] = today - dt.timedelta(days=settings.MONITORING_REMOVAL_PUBLICITY_DAYS)
        case = _case(w, state=state, **dates)
        with _removable(monitoring):
            return getattr(monitoring, name)(case=case, on=today, user=getattr(w, user), **kwargs)

    return call


def _removable(monitoring):
    from unittest import mock

    return mock.patch.object(monitoring, "removal_blockers", return_value=[])


def _follow_up_record(w: World):
    from monitoring import services as monitoring

    case = _case(w, state="identified", confirmed_on=timezone.localdate())
    return monitoring.follow_up_record(
        case=case, month=timezone.localdate().replace(day=1), per_capita_income=8000, user=w.cadre
    )


def _candidates_from_income(w: World):
    from households.tests.factories import IncomeRecordFactory
    from monitoring import services as monitoring
    from monitoring.tests.factories import MonitoringLineFactory

    MonitoringLineFactory(year=2020, income_line=6000)
    w.household.status = HouseholdStatus.EXITED
    w.household.exit_year = 2019
    w.household.save()
    IncomeRecordFactory(household=w.household, year=2020, wage_income=100)
    return monitoring.candidates_from_income(year=2020)


def _warning_list(w: World):
    head = w.household.members.first()
    return monitoring.warning_upload_receive(
        file=warning_lists.uploaded(warning_lists.workbook([warning_lists.row(head.id_number, name=head.name)])),
        original_name="医保预警.xlsx",
        department="health_insurance",
        user=w.official,
    )


def _warning_upload_apply(w: World):
    return monitoring.warning_upload_apply(upload=_warning_list(w), user=w.official)


WRITES: dict[str, Write] = {
    "monitoring.services.case_report": Write(_case_report, "monitoring.MonitoringCase"),
    "monitoring.services.case_verify": Write(
        _case_step("case_verify", "candidate", "cadre"), "monitoring.MonitoringCase", Action.CHANGED
    ),
    "monitoring.services.case_review": Write(
        _case_step("case_review", "verified"), "monitoring.MonitoringCase", Action.CHANGED
    ),
    "monitoring.services.case_confirm": Write(
        _case_step("case_confirm", "reviewed"), "monitoring.MonitoringCase", Action.CHANGED
    ),
    "monitoring.services.case_dismiss": Write(
        _case_step("case_dismiss", "candidate", "cadre", reason="收入稳定"), "monitoring.MonitoringCase", Action.CHANGED
    ),
    "monitoring.services.follow_up_record": Write(_follow_up_record, "monitoring.FollowUp"),
    "monitoring.services.removal_appraise": Write(
        _case_step("removal_appraise", "identified", "cadre"), "monitoring.MonitoringCase", Action.CHANGED
    ),
    "monitoring.services.removal_publicise": Write(
        _case_step("removal_publicise", "removal_appraised", "cadre"), "monitoring.MonitoringCase", Action.CHANGED
    ),
    "monitoring.services.removal_sign_off": Write(
        _case_step("removal_sign_off", "removal_publicised"), "monitoring.MonitoringCase", Action.CHANGED
    ),
    "monitoring.services.candidates_from_income": Write(_candidates_from_income, "monitoring.MonitoringCase"),
    "households.services.household_save": Write(_household_save, "households.Household"),
    "households.services.assessment_record": Write(_assessment_record, "households.Assessment"),
    "households.services.household_set_status": Write(
        _household_set_status, "households.Household", Action.STATUS_CHANGED
    ),
    "households.services.income_record_save": Write(_income_record_save, "households.IncomeRecord"),
    "households.services.classification_confirm": Write(_classification_confirm, "households.Classification"),
    "households.services.target_fix": Write(_target_fix, "households.Target"),
    "assistance.services.guarantee.assignment_set": Write(_assignment_set, "households.Assignment"),
    "assistance.services.plans.plan_save": Write(_plan_save, "assistance.Plan"),
    "assistance.services.plans.measure_save": Write(_measure_save, "assistance.Measure"),
    "assistance.services.loans.loan_create": Write(_loan_create, "assistance.Loan"),
    "assistance.services.loans.loan_update": Write(_loan_update, "assistance.Loan", Action.CHANGED),
    "assistance.services.loans.loan_record_repayment": Write(_loan_record_repayment, "assistance.Repayment"),
    "assistance.services.programmes.programme_save": Write(_programme_save, "assistance.Reward"),
    "assistance.services.programmes.welfare_job_save": Write(_welfare_job_save, "assistance.WelfareJob"),
    "assistance.services.programmes.pv_income_save": Write(_pv_income_save, "assistance.PVIncome"),
    "assistance.services.programmes.pv_share_save": Write(_pv_share_save, "assistance.PVShare"),
    "infrastructure.services.project_save": Write(_project_save, "infrastructure.Project"),
    "infrastructure.services.project_advance": Write(_project_advance, "infrastructure.Project", Action.STATUS_CHANGED),
    "infrastructure.services.document_add": Write(_document_add, "infrastructure.ProjectDocument"),
    "infrastructure.services.document_delete": Write(
        _document_delete, "infrastructure.ProjectDocument", Action.DELETED
    ),
    "visits.services.visit_log": Write(_visit_log, "visits.Visit"),
    "visits.services.visit_replace": Write(_visit_replace, "visits.Visit", Action.CHANGED),
    "visits.services.visit_conflict_keep": Write(_visit_conflict_keep, "visits.VisitConflict", Action.CHANGED),
    "monitoring.services.warning_upload_receive": Write(_warning_list, "monitoring.WarningUpload"),
    "monitoring.services.warning_upload_apply": Write(_warning_upload_apply, "monitoring.DepartmentWarning"),
}

READS = "reads or computes only; writes nothing"
NOTIFIES = "sends or marks notifications only: messages to people, not records of the registry"
# The daily jobs raise and clear flags: machine state derived from the visits, deadlines and
# instalments that are themselves in the trail. A flag row keeps its own history (raised_at,
# cleared_at, cleared_by, notified_kind), and a county's jobs touch ~100,000 of them a day, set-based
# (INSERT ... ON CONFLICT, UPDATE): an event per flag would double that and need a read per batch.
JOB = "daily flag job: flags are derived machine state that keeps its own raised/cleared history"
EXEMPT: dict[str, str] = {
    "accounts.services.notify": NOTIFIES,
    "accounts.services.notify_flags_once": NOTIFIES,
    "accounts.services.notifications_mark_read": NOTIFIES,
    # accounts sits below the trail (audit imports accounts), so it cannot record into it; enabling
    # and disabling users is logged by name in the townaid.audit log instead.
    "accounts.services.user_set_active": "accounts lies below the audit app; logged in the townaid.audit log",
    "households.services.household_conflict": READS,
    "households.services.household_history_start": (
        "the first status line of a new household, written with it: the household's CREATED event holds its status"
    ),
    "households.services.exit_blockers": READS,
    "households.services.assessment_blockers": READS,
    "households.services.classification_suggest": READS,
    "households.services.target_cohort": READS,
    "households.services.target_refusal": READS,
    "households.services.id_numbers_reveal": "records an AccessEvent (the access log), tested below",
    "households.services.out_of_scope_values_record": "records an AccessEvent (the access log), tested below",
    "assistance.services.loans.money": READS,
    "assistance.services.loans.add_months": READS,
    "assistance.services.loans.loan_schedule": READS,
    "assistance.services.loans.due_soon_days": READS,
    "assistance.services.loans.loan_outstanding": READS,
    "assistance.services.loans.instalments_flag": JOB,
    "assistance.services.plans.plan_default_analysis": READS,
    "visits.services.visitor_role": READS,
    "visits.services.visit_standing": READS,
    "visits.services.counts_from": READS,
    "visits.services.visits_flag": JOB,
    "infrastructure.services.infrastructure_flag": JOB,
    "monitoring.services.identification_deadline": READS,
    "monitoring.services.default_kind": READS,
    "monitoring.services.may_act_for_village": READS,
    "monitoring.services.may_act_for_town": READS,
    "monitoring.services.removal_blockers": READS,
    "monitoring.services.publicity_ends": READS,
}


def test_every_service_is_listed():
    found = set(service_functions())
    assert found, "no service function found: the walker is broken"
    assert sorted(found - set(WRITES) - set(EXEMPT)) == [], "a service writes without a row in WRITES or EXEMPT"
    assert sorted((set(WRITES) | set(EXEMPT)) - found) == [], "a row names a service that no longer exists"
    assert set(WRITES).isdisjoint(EXEMPT)


def test_the_walker_finds_functions_of_modules_and_packages_alike():
    found = service_functions()
    assert "households.services.household_save" in found
    assert "assistance.services.loans.loan_create" in found
    assert "visits.services.assessment_record" not in found  # imported there, defined in households
    assert not any(name.rsplit(".", 1)[1].startswith("_") for name in found)


@pytest.mark.parametrize("name", sorted(WRITES))
def test_each_write_leaves_an_event_for_the_record_it_wrote(name, world):
    write = WRITES[name]
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    write.call(world)
    events = AuditEvent.objects.exclude(pk__in=before)
    assert events.filter(object_type=write.record, action=write.action).exists(), list(
        events.values_list("object_type", "action")
    )
    for event in events:
        assert event.via in AuditEvent.Via.values
        assert event.object_repr


# ---------------------------------------------------------------- the programmes, every spec


SPEC_FACTORIES = {
    "assistance.TrainingSession": programme_factories.TrainingSessionFactory,
    "assistance.WelfareJob": programme_factories.WelfareJobFactory,
    "assistance.PVStation": programme_factories.PVStationFactory,
    "assistance.IndustrySupport": programme_factories.IndustrySupportFactory,
    "assistance.Reward": programme_factories.RewardFactory,
    "assistance.TypicalExample": programme_factories.TypicalExampleFactory,
    "assistance.FiveMutualActivity": programme_factories.FiveMutualActivityFactory,
}


def _save_through_spec(spec, w: World):
    """Fill the spec's form as a browser would from a record the factory made, then save a new one through it."""
    owner_of = {"village": {"village": w.village}, "household": {"household": w.household}}
    made = SPEC_FACTORIES[spec.model._meta.label](**_factory_kwargs(spec, w))
    data = {k: v for k, v in model_to_dict(made).items() if v is not None and k != "id"}
    data = {k: [item.pk for item in v] if isinstance(v, list) else v for k, v in data.items()}
    made.delete()  # the copy takes its place: a member's one post, a station's name in its village
    form = _valid(spec.form(data, user=w.admin, **owner_of.get(spec.belongs_to, {})))
    return spec.save(form, user=w.admin)


def _factory_kwargs(spec, w: World) -> dict:
    fields = {f.name for f in spec.model._meta.get_fields()}
    kwargs = {}
    if "village" in fields:
        kwargs["village"] = w.village
    if "household" in fields:
        kwargs["household"] = w.household
    if "member" in fields:
        kwargs["member"] = w.household.members.get()
    return kwargs


def test_the_table_of_programmes_covers_every_spec():
    assert {spec.model._meta.label for spec in specs.PROGRAMMES} == set(SPEC_FACTORIES)


@pytest.mark.parametrize("spec", specs.PROGRAMMES, ids=lambda spec: spec.slug)
def test_every_programme_records_what_its_form_saves(spec, world):
    record = _save_through_spec(spec, world)
    event = AuditEvent.objects.get(object_type=spec.model._meta.label, object_id=record.pk)
    assert (event.action, event.actor, event.via) == (Action.CREATED, world.admin, AuditEvent.Via.WEB)


# ---------------------------------------------------------------- the access log


def test_revealing_and_refusing_values_leave_access_events(world):
    head = world.household.members.get()
    households.id_numbers_reveal(members=[head], user=world.cadre, purpose="view")
    assert AccessEvent.objects.filter(kind=AccessEvent.Kind.ID_REVEALED, member_id=head.pk).exists()


def test_every_admin_page_of_the_apps_that_can_write_records_its_writes_in_the_trail():
    """Reference data (rules, deadlines, types) and the programmes edited in the Django admin leave events too.

    A page is exempt only when it cannot write: the trail's own pages and the histories shown read-only.
    """
    from django.contrib import admin

    from households.admin import AuditedMixin, ReadOnlyHistoryAdmin

    unaudited = sorted(
        model._meta.label
        for model, page in admin.site._registry.items()
        if model._meta.app_label in {"households", "assistance", "visits", "infrastructure", "audit"}
        and not isinstance(page, AuditedMixin | ReadOnlyHistoryAdmin)
    )
    assert unaudited == []
