"""Programmes as specs: one declaration per programme type, from which its pages are made.

A ProgrammeSpec names a programme's model, form, filter, list and detail
selectors, Excel columns, labels, menu entries and what a new record belongs to
(a village, a household, or neither). From the specs in PROGRAMMES come the
URLs (assistance/views/programme_urls.py), the list with filters, pages and
download, the detail, create and edit pages (assistance/views/programmes.py),
the two templates they render (templates/assistance/programmes/programme_list.html
and programme_detail.html), the main menu (templates/base.html), the programme
tabs (includes/programme_nav.html) and the household page's "New ..." buttons
for programmes that belong to a household. Scoping stays where it was: the
selectors read through `visible_to(user)`, edits load through `editable_by(user)`,
and out-of-scope and missing give the same 404.

Adding an eighth programme:
  1. the model in assistance/models/programmes.py (re-exported by assistance/models/__init__.py),
     with a VillageChildQuerySet or HouseholdChildQuerySet manager and a get_absolute_url that
     reverses "assistance:<slug>-detail", and its migration (`makemigrations --name ...`);
  2. one ProgrammeSpec appended to PROGRAMMES below: its ModelForm and FilterSet (usually a few lines
     in assistance/forms.py) and its list selector (assistance/selectors.py) are part of it;
  3. its tests: a builder in assistance/tests/test_specs.py::BUILDERS (test_specs fails for a spec
     without one, or whose URLs, pages, export or menu entry are missing) and tests of its own rules;
  4. its labels in locale/zh_Hans (makemessages, fill in msgstr, compilemessages).
Nothing else changes: no view, URL, template or menu is written by hand.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import models
from django.template import defaultfilters
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from assistance import forms, selectors
from assistance.models import (
    FiveMutualActivity,
    IndustrySupport,
    PVStation,
    Reward,
    TrainingSession,
    TypicalExample,
    WelfareJob,
)
from assistance.resources import (
    choice_field,
    column_map,
    date_field,
    masked_id_field,
    number_field,
    text_field,
)
from assistance.services import programmes as services

VILLAGE, HOUSEHOLD = "village", "household"
ACTIONS = ("list", "create", "detail", "edit")
EMPTY = "—"
FORMATS: dict[str, Callable[[object], str]] = {
    "": lambda value: conditional_escape(value),
    "date": lambda value: conditional_escape(defaultfilters.date(value, "Y-m-d")),
    "money": lambda value: conditional_escape(intcomma(value)),
    "short": lambda value: conditional_escape(defaultfilters.truncatechars(value, 40)),
    "lines": lambda value: defaultfilters.linebreaksbr(value, autoescape=True),
}


def resolve(obj, path: str):
    """Follow a dotted path as a template would (calling methods such as get_kind_display), None-safe.

    Unlike a template it does not swallow a wrong name: a spec that names a missing attribute fails loudly.
    """
    for name in path.split("."):
        if obj is None:
            return None
        obj = getattr(obj, name)
        if callable(obj) and not isinstance(obj, models.Manager):
            obj = obj()
    return obj


@dataclass(frozen=True)
class Field:
    """One value of a record as a page shows it: a list column, a line of the detail, a part of its heading.

    `path` is a dotted attribute path; `format` one of FORMATS; `link` "self" for the record's page or a
    path to an object whose page to link to; `note` a path shown small beside the value; `template` a
    partial (given `object`) for a value that needs more than that; `text` a fixed text instead of a value.
    `show_from` hides a list column below a Bootstrap breakpoint ("sm", "md", "lg"): a phone sees the first ones.
    """

    label: str | Promise = ""
    path: str = ""
    format: str = ""
    link: str = ""
    note: str = ""
    template: str = ""
    text: str | Promise = ""
    show_from: str = ""
    end: bool = False
    nowrap: bool = False
    css: str = ""

    @property
    def cell_class(self) -> str:
        classes = [
            f"d-none d-{self.show_from}-table-cell" if self.show_from else "",
            "text-end" if self.end else "",
            "text-nowrap" if self.nowrap else "",
            self.css,
        ]
        return " ".join(c for c in classes if c)

    def render(self, obj) -> SafeString:
        if self.template:
            return render_to_string(self.template, {"object": obj})
        if self.text:
            return conditional_escape(self.text)
        value = resolve(obj, self.path)
        if value is None or value == "":
            return SafeString(EMPTY)
        html = FORMATS[self.format](value)
        if self.link:
            target = obj if self.link == "self" else resolve(obj, self.link)
            html = format_html('<a href="{}">{}</a>', target.get_absolute_url(), html)
        note = resolve(obj, self.note) if self.note else None
        if note:
            html = format_html('{} <span class="small text-muted">{}</span>', html, note)
        return SafeString(html)


@dataclass(frozen=True)
class Section:
    """A part of the detail page below its fields: a partial given `object`, `can_edit` and `heading`."""

    template: str
    heading: str | Promise = ""


def save_form(form, *, user):
    return services.programme_save(form=form, user=user)


@dataclass(frozen=True)
class ProgrammeSpec:
    """Everything that makes one programme's pages; see the module docstring."""

    slug: str  # URL names: assistance:<slug>-list, -create, -detail, -edit
    path: str  # URL path: <path>/, <path>/new/, <path>/<pk>/, <path>/<pk>/edit/
    model: type[models.Model]
    form: type  # a ModelForm taking `user` and, per belongs_to, `village` or `household`
    filter: type  # a FilterSet taking `user`
    list_selector: Callable  # (user=) -> the scoped, joined, ordered queryset of the list and the download
    export: type  # the download's column map (resources.column_map)
    filename: str  # of the download, before its date
    title: str | Promise  # of the list, its menu entry and its workbook's sheet
    create_label: str | Promise
    edit_label: str | Promise
    empty_label: str | Promise  # an empty list's message
    nav_label: str | Promise  # the programme's tab above the lists
    columns: tuple[Field, ...]
    heading: tuple[Field, ...]  # of the detail page (and its title)
    crumb: Field  # the detail's last breadcrumb
    fields: tuple[Field, ...] = ()  # of the detail page
    sections: tuple[Section, ...] = ()
    belongs_to: str = ""  # VILLAGE (asked first, unless the user has one), HOUSEHOLD (asked by number), or ""
    detail_selector: Callable | None = None  # (user=, pk=) -> one record; the list selector's by default
    # (valid form, user=) -> the saved record, recorded in the audit trail; e.g. a service that checks more
    save: Callable = save_form
    menu_label: str | Promise = ""  # the main menu's entry; the title by default

    @property
    def url_names(self) -> dict[str, str]:
        return {action: f"assistance:{self.slug}-{action}" for action in ACTIONS}

    @property
    def list_url(self) -> str:
        return reverse(self.url_names["list"])

    @property
    def create_url(self) -> str:
        return reverse(self.url_names["create"])

    @property
    def menu(self) -> str | Promise:
        return self.menu_label or self.title

    def detail(self, *, user, pk: int):
        """One record the user may see; DoesNotExist when missing or out of scope."""
        if self.detail_selector is not None:
            return self.detail_selector(user=user, pk=pk)
        return self.list_selector(user=user).get(pk=pk)

    def editable(self, user):
        """The records the user may change, with what they belong to."""
        records = self.model.objects.editable_by(user)
        return records.select_related(self.belongs_to) if self.belongs_to else records


# ---------------------------------------------------------------- shared pieces

HOUSEHOLD_NUMBER = Field(_("Household number"), "household.number", link="household")
HOUSEHOLD_VILLAGE = Field(_("Village"), "household.village", show_from="sm")
VILLAGE_COLUMN = Field(_("Village"), "village", show_from="sm")
VILLAGE_LINE = Field(_("Village"), "village")
HOUSEHOLD_LIST = "assistance/programmes/includes/household_list.html"
EXAMPLE_BADGE = "assistance/programmes/includes/example_badge.html"


# ---------------------------------------------------------------- the programmes, in menu order

TRAINING = ProgrammeSpec(
    slug="training",
    path="training",
    model=TrainingSession,
    form=forms.TrainingSessionForm,
    filter=forms.TrainingFilter,
    list_selector=selectors.training_list,
    detail_selector=selectors.training_detail,
    belongs_to=VILLAGE,
    export=column_map(
        TrainingSession,
        held_on=date_field("held_on", _("Date")),
        topic=text_field("topic", _("Topic")),
        kind=choice_field("kind", _("Kind")),
        village=text_field("village__name", _("Village")),
        organiser=text_field("organiser", _("Organiser")),
        location=text_field("location", _("Location")),
        attendee_count=number_field("attendee_count", _("Attendees")),
    ),
    filename="training-sessions",
    title=_("Training sessions"),
    nav_label=_("Training"),
    create_label=_("New training session"),
    edit_label=_("Edit training session"),
    empty_label=_("No training session matches these filters."),
    columns=(
        Field(_("Date"), "held_on", "date", nowrap=True),
        Field(_("Topic"), "topic", link="self"),
        Field(_("Kind"), "get_kind_display", show_from="md"),
        VILLAGE_COLUMN,
        Field(_("Organiser"), "organiser", show_from="lg"),
        Field(_("Attendees"), "attendee_count", end=True),
    ),
    heading=(Field(path="topic"),),
    crumb=Field(path="held_on", format="date"),
    fields=(
        Field(_("Kind"), "get_kind_display"),
        Field(_("Date"), "held_on", "date"),
        VILLAGE_LINE,
        Field(_("Organiser"), "organiser"),
        Field(_("Location"), "location"),
    ),
    sections=(Section("assistance/programmes/includes/attendee_list.html"),),
)

WELFARE_JOB = ProgrammeSpec(
    slug="welfare-job",
    path="welfare-jobs",
    model=WelfareJob,
    form=forms.WelfareJobForm,
    filter=forms.WelfareJobFilter,
    list_selector=selectors.welfare_job_list,
    belongs_to=VILLAGE,
    save=lambda form, *, user: services.welfare_job_save(job=form.instance, user=user),
    export=column_map(
        WelfareJob,
        member=text_field("member__name", _("Member")),
        member_id_number=masked_id_field("member", _("ID number")),
        household_number=text_field("member__household__number", _("Household number")),
        village=text_field("village__name", _("Village")),
        post=choice_field("post", _("Post")),
        monthly_pay=number_field("monthly_pay", _("Monthly pay (yuan)")),
        start_date=date_field("start_date", _("Start date")),
        end_date=date_field("end_date", _("End date")),
    ),
    filename="welfare-jobs",
    title=_("Public-welfare jobs"),
    nav_label=_("Public-welfare jobs"),
    create_label=_("New public-welfare job"),
    edit_label=_("Edit public-welfare job"),
    empty_label=_("No public-welfare job matches these filters."),
    columns=(
        Field(_("Member"), "member.name", link="self", note="member.household.number", nowrap=True),
        Field(_("Post"), "get_post_display"),
        VILLAGE_COLUMN,
        Field(_("Monthly pay (yuan)"), "monthly_pay", "money", end=True),
        Field(_("Start date"), "start_date", "date", show_from="md", nowrap=True),
        Field(_("End date"), "end_date", "date", show_from="md", nowrap=True),
    ),
    heading=(Field(path="get_post_display"), Field(text="·"), Field(path="member.name")),
    crumb=Field(path="member.name"),
    fields=(
        Field(_("Member"), "member.name"),
        Field(_("Household number"), "member.household.number", link="member.household"),
        VILLAGE_LINE,
        Field(_("Monthly pay (yuan)"), "monthly_pay", "money"),
        Field(_("Start date"), "start_date", "date"),
        Field(_("End date"), "end_date", "date"),
    ),
)

PV_STATION = ProgrammeSpec(
    slug="pv-station",
    path="pv-stations",
    model=PVStation,
    form=forms.PVStationForm,
    filter=forms.PVStationFilter,
    list_selector=selectors.pv_station_list,
    detail_selector=selectors.pv_station_detail,
    export=column_map(
        PVStation,
        name=text_field("name", _("Station")),
        village=text_field("village__name", _("Village")),
        capacity_kw=number_field("capacity_kw", _("Capacity (kW)")),
        built_year=number_field("built_year", _("Year built")),
        latest_year=number_field("latest_year", _("Year of the latest income")),
        latest_income=number_field("latest_income", _("Latest income (yuan)")),
    ),
    filename="pv-stations",
    title=_("Photovoltaic stations"),
    nav_label=_("Photovoltaic"),
    create_label=_("New photovoltaic station"),
    edit_label=_("Edit photovoltaic station"),
    empty_label=_("No photovoltaic station matches these filters."),
    columns=(
        Field(_("Station"), "name", link="self"),
        VILLAGE_COLUMN,
        Field(_("Capacity (kW)"), "capacity_kw", "money", end=True),
        Field(_("Year built"), "built_year", show_from="md"),
        Field(_("Latest income (yuan)"), "latest_income", "money", note="latest_year", end=True, nowrap=True),
    ),
    heading=(Field(path="name"),),
    crumb=Field(path="name"),
    fields=(
        VILLAGE_LINE,
        Field(_("Capacity (kW)"), "capacity_kw", "money"),
        Field(_("Year built"), "built_year"),
    ),
    sections=(Section("assistance/programmes/includes/pv_incomes.html"),),
)

INDUSTRY = ProgrammeSpec(
    slug="industry",
    path="industry",
    model=IndustrySupport,
    form=forms.IndustrySupportForm,
    filter=forms.IndustryFilter,
    list_selector=selectors.industry_list,
    detail_selector=selectors.industry_detail,
    belongs_to=VILLAGE,
    export=column_map(
        IndustrySupport,
        year=number_field("year", _("Year")),
        industry=text_field("industry", _("Industry")),
        drive=choice_field("drive", _("Drive")),
        partner=text_field("partner", _("Enterprise or cooperative")),
        village=text_field("village__name", _("Village")),
        household_count=number_field("household_count", _("Households")),
        description=text_field("description", _("Description")),
    ),
    filename="industry-support",
    title=_("Industry support"),
    nav_label=_("Industry"),
    create_label=_("New industry support"),
    edit_label=_("Edit industry support"),
    empty_label=_("No industry support matches these filters."),
    columns=(
        Field(_("Year"), "year"),
        Field(_("Industry"), "industry", link="self"),
        Field(_("Drive"), "get_drive_display", show_from="md"),
        Field(_("Enterprise or cooperative"), "partner", show_from="lg"),
        VILLAGE_COLUMN,
        Field(_("Households"), "household_count", end=True),
    ),
    heading=(Field(path="industry"), Field(path="year", css="text-muted")),
    crumb=Field(path="industry"),
    fields=(
        Field(_("Drive"), "get_drive_display"),
        Field(_("Enterprise or cooperative"), "partner"),
        VILLAGE_LINE,
        Field(_("Description"), "description", "lines"),
    ),
    sections=(Section(HOUSEHOLD_LIST, _("Households supported")),),
)

REWARD = ProgrammeSpec(
    slug="reward",
    path="rewards",
    model=Reward,
    form=forms.RewardForm,
    filter=forms.RewardFilter,
    list_selector=selectors.reward_list,
    belongs_to=HOUSEHOLD,
    export=column_map(
        Reward,
        awarded_on=date_field("awarded_on", _("Date")),
        household_number=text_field("household__number", _("Household number")),
        village=text_field("household__village__name", _("Village")),
        amount=number_field("amount", _("Amount (yuan)")),
        reason=text_field("reason", _("Reason")),
    ),
    filename="rewards",
    title=_("Rewards instead of subsidies"),
    menu_label=_("Rewards"),
    nav_label=_("Rewards"),
    create_label=_("New reward"),
    edit_label=_("Edit reward"),
    empty_label=_("No reward matches these filters."),
    columns=(
        Field(_("Date"), "awarded_on", "date", link="self", nowrap=True),
        HOUSEHOLD_NUMBER,
        HOUSEHOLD_VILLAGE,
        Field(_("Amount (yuan)"), "amount", "money", end=True),
        Field(_("Reason"), "reason", "short", show_from="md"),
    ),
    heading=(Field(text=_("Reward instead of subsidy")),),
    crumb=Field(path="household.number"),
    fields=(
        HOUSEHOLD_NUMBER,
        Field(_("Village"), "household.village"),
        Field(_("Date"), "awarded_on", "date"),
        Field(_("Amount (yuan)"), "amount", "money"),
        Field(_("Reason"), "reason", "lines"),
    ),
)

EXAMPLE = ProgrammeSpec(
    slug="example",
    path="examples",
    model=TypicalExample,
    form=forms.TypicalExampleForm,
    filter=forms.ExampleFilter,
    list_selector=selectors.example_list,
    belongs_to=HOUSEHOLD,
    export=column_map(
        TypicalExample,
        noted_on=date_field("noted_on", _("Date")),
        household_number=text_field("household__number", _("Household number")),
        kind=choice_field("kind", _("Kind")),
        village=text_field("household__village__name", _("Village")),
        description=text_field("description", _("Description")),
    ),
    filename="examples",
    title=_("Positive and negative examples"),
    nav_label=_("Examples"),
    create_label=_("New example"),
    edit_label=_("Edit example"),
    empty_label=_("No example matches these filters."),
    columns=(
        Field(_("Date"), "noted_on", "date", link="self", nowrap=True),
        HOUSEHOLD_NUMBER,
        Field(_("Kind"), template=EXAMPLE_BADGE),
        HOUSEHOLD_VILLAGE,
        Field(_("Description"), "description", "short", show_from="md"),
    ),
    heading=(Field(template=EXAMPLE_BADGE), Field(path="household.number")),
    crumb=Field(path="household.number"),
    fields=(
        HOUSEHOLD_NUMBER,
        Field(_("Village"), "household.village"),
        Field(_("Date"), "noted_on", "date"),
        Field(_("Description"), "description", "lines"),
    ),
)

FIVE_MUTUAL = ProgrammeSpec(
    slug="five-mutual",
    path="five-mutual",
    model=FiveMutualActivity,
    form=forms.FiveMutualActivityForm,
    filter=forms.FiveMutualFilter,
    list_selector=selectors.five_mutual_list,
    detail_selector=selectors.five_mutual_detail,
    belongs_to=VILLAGE,
    export=column_map(
        FiveMutualActivity,
        held_on=date_field("held_on", _("Date")),
        activity_type=text_field("type__name", _("Activity type")),
        village=text_field("village__name", _("Village")),
        description=text_field("description", _("Description")),
        household_count=number_field("household_count", _("Households")),
    ),
    filename="five-mutual-activities",
    title=_("Five-mutual activities"),
    nav_label=_("Five mutual"),
    create_label=_("New five-mutual activity"),
    edit_label=_("Edit five-mutual activity"),
    empty_label=_("No five-mutual activity matches these filters."),
    columns=(
        Field(_("Date"), "held_on", "date", link="self", nowrap=True),
        Field(_("Activity type"), "type"),
        VILLAGE_COLUMN,
        Field(_("Description"), "description", "short", show_from="md"),
        Field(_("Households"), "household_count", end=True),
    ),
    heading=(Field(path="type"), Field(path="held_on", format="date", css="text-muted")),
    crumb=Field(path="held_on", format="date"),
    fields=(
        Field(_("Activity type"), "type", note="type.description"),
        VILLAGE_LINE,
        Field(_("Description"), "description", "lines"),
    ),
    sections=(Section(HOUSEHOLD_LIST, _("Participating households")),),
)

PROGRAMMES: tuple[ProgrammeSpec, ...] = (TRAINING, WELFARE_JOB, PV_STATION, INDUSTRY, REWARD, EXAMPLE, FIVE_MUTUAL)
