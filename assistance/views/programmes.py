"""Pages of the programmes besides loans: training, welfare jobs, PV income, industry support, motivation.

Every page follows one rhythm: access (visible_to to read, editable_by to
write, 404 otherwise) -> form -> service or ModelForm -> redirect or render.
A new record that lists one village's members or households first asks for the
village (a cadre of one village skips that step); one that belongs to a
household first asks for the household's number, unless the household page
passed it along.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistance import resources
from assistance import selectors as selectors
from assistance.forms import (
    ExampleFilter,
    FiveMutualActivityForm,
    FiveMutualFilter,
    HouseholdPickForm,
    IndustryFilter,
    IndustrySupportForm,
    PVIncomeForm,
    PVShareForm,
    PVStationFilter,
    PVStationForm,
    RewardFilter,
    RewardForm,
    TrainingFilter,
    TrainingSessionForm,
    TypicalExampleForm,
    VillagePickForm,
    WelfareJobFilter,
    WelfareJobForm,
)
from assistance.models import (
    FiveMutualActivity,
    IndustrySupport,
    PVIncome,
    PVShare,
    PVStation,
    Reward,
    TrainingSession,
    TypicalExample,
    WelfareJob,
)
from assistance.services import programmes as services
from common.pagination import paginate
from common.spreadsheets import export_response, wants_export
from households.models import Household, Village

PER_PAGE = 30
FORM_TEMPLATE = "assistance/programmes/programme_form.html"
PICK_TEMPLATE = "assistance/programmes/pick_form.html"


# ---------------------------------------------------------------- the shared rhythm


def list_page(request, *, filterset, template, resource, title, filename: str):
    """A filtered, paginated list, or all its rows as a workbook; the filter's queryset is already scoped and joined.

    `title` names the workbook's sheet: lazy, so that it follows the workbook's language.
    """
    if wants_export(request):
        return export_response(request, resource=resource, queryset=filterset.qs, title=title, filename=filename)
    page, query = paginate(request, filterset.qs, PER_PAGE)
    context = {"filter": filterset, "page": page, "query": query, "can_create": request.user.scope.can_edit}
    return render(request, template, context)


def form_page(request, *, form, save, title, cancel_url, context=None):
    """Show the form; on a valid POST call `save(form)` and go to what it returns."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(saved)
    return render(request, FORM_TEMPLATE, {"form": form, "title": title, "cancel_url": cancel_url, **(context or {})})


def add_errors(form, error: ValidationError) -> None:
    """Show a service's errors on the form: on their field when the form has it, above the form otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def require_editor(request) -> None:
    if not request.user.scope.can_edit:
        raise Http404


def _chosen(request, name: str, queryset):
    value = request.GET.get(name, "")
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    return get_object_or_404(queryset, pk=value)


def chosen_household(request) -> Household | None:
    """The household a new record is for, from ?household=<pk>; None when it is still to be asked for."""
    return _chosen(request, "household", Household.objects.editable_by(request.user))


def pick_household_page(request, *, title, cancel_url):
    form = HouseholdPickForm(request.GET or None, user=request.user)
    if form.is_valid():
        return redirect(f"{request.path}?household={form.household.pk}")
    return render(request, PICK_TEMPLATE, {"form": form, "title": title, "cancel_url": cancel_url})


def chosen_village(request) -> Village | None:
    """The village a new record is for: ?village=<pk>, or the user's only village; None when it is to be asked for."""
    villages = Village.objects.editable_by(request.user)
    village = _chosen(request, "village", villages)
    if village is None:
        only = list(villages[:2])
        village = only[0] if len(only) == 1 else None
    return village


def pick_village_page(request, *, title, cancel_url):
    """The village picker submits ?village=<pk>, which chosen_village reads on the way back."""
    form = VillagePickForm(user=request.user)
    return render(request, PICK_TEMPLATE, {"form": form, "title": title, "cancel_url": cancel_url})


def detail_or_404(select, request, pk, model):
    try:
        return select(user=request.user, pk=pk)
    except model.DoesNotExist:
        raise Http404 from None


def _detail(request, template, obj, **context):
    return render(request, template, {"object": obj, "can_edit": request.user.scope.can_edit, **context})


def _village_form_create(request, *, form_class, title, list_url, save=None):
    """Create a record that belongs to a village and lists its members or households."""
    require_editor(request)
    village = chosen_village(request)
    if village is None:
        return pick_village_page(request, title=title, cancel_url=list_url)
    form = form_class(request.POST or None, village=village, user=request.user)
    return form_page(
        request, form=form, save=save or _save_form, title=title, cancel_url=list_url, context={"village": village}
    )


def _village_form_edit(request, *, model, pk, form_class, title, save=None):
    obj = get_object_or_404(model.objects.editable_by(request.user).select_related("village"), pk=pk)
    form = form_class(request.POST or None, instance=obj, village=obj.village, user=request.user)
    return form_page(
        request,
        form=form,
        save=save or _save_form,
        title=title,
        cancel_url=obj.get_absolute_url(),
        context={"village": obj.village},
    )


def _household_form_create(request, *, form_class, title, list_url):
    require_editor(request)
    household = chosen_household(request)
    if household is None:
        return pick_household_page(request, title=title, cancel_url=list_url)
    form = form_class(request.POST or None, household=household)
    return form_page(
        request,
        form=form,
        save=_save_form,
        title=title,
        cancel_url=household.get_absolute_url(),
        context={"household": household},
    )


def _household_form_edit(request, *, model, pk, form_class, title):
    obj = get_object_or_404(model.objects.editable_by(request.user).select_related("household"), pk=pk)
    form = form_class(request.POST or None, instance=obj, household=obj.household)
    return form_page(
        request,
        form=form,
        save=_save_form,
        title=title,
        cancel_url=obj.get_absolute_url(),
        context={"household": obj.household},
    )


def _save_form(form):
    return form.save()


# ---------------------------------------------------------------- training


def training_list(request):
    sessions = TrainingFilter(request.GET, queryset=selectors.training_list(user=request.user), user=request.user)
    return list_page(
        request,
        filterset=sessions,
        template="assistance/programmes/training_list.html",
        resource=resources.TrainingResource(),
        title=gettext_lazy("Training sessions"),
        filename="training-sessions",
    )


def training_detail(request, pk):
    session = detail_or_404(selectors.training_detail, request, pk, TrainingSession)
    return _detail(request, "assistance/programmes/training_detail.html", session)


def training_create(request):
    return _village_form_create(
        request,
        form_class=TrainingSessionForm,
        title=_("New training session"),
        list_url=reverse("assistance:training-list"),
    )


def training_edit(request, pk):
    return _village_form_edit(
        request, model=TrainingSession, pk=pk, form_class=TrainingSessionForm, title=_("Edit training session")
    )


# ---------------------------------------------------------------- public-welfare jobs


def _save_welfare_job(form):
    return services.welfare_job_save(job=form.instance)


def welfare_job_list(request):
    jobs = WelfareJobFilter(request.GET, queryset=selectors.welfare_job_list(user=request.user), user=request.user)
    return list_page(
        request,
        filterset=jobs,
        template="assistance/programmes/welfare_job_list.html",
        resource=resources.WelfareJobResource(),
        title=gettext_lazy("Public-welfare jobs"),
        filename="welfare-jobs",
    )


def welfare_job_detail(request, pk):
    job = get_object_or_404(selectors.welfare_job_list(user=request.user), pk=pk)
    return _detail(request, "assistance/programmes/welfare_job_detail.html", job)


def welfare_job_create(request):
    return _village_form_create(
        request,
        form_class=WelfareJobForm,
        title=_("New public-welfare job"),
        list_url=reverse("assistance:welfare-job-list"),
        save=_save_welfare_job,
    )


def welfare_job_edit(request, pk):
    return _village_form_edit(
        request,
        model=WelfareJob,
        pk=pk,
        form_class=WelfareJobForm,
        title=_("Edit public-welfare job"),
        save=_save_welfare_job,
    )


# ---------------------------------------------------------------- photovoltaic income


def pv_station_list(request):
    stations = PVStationFilter(request.GET, queryset=selectors.pv_station_list(user=request.user), user=request.user)
    return list_page(
        request,
        filterset=stations,
        template="assistance/programmes/pv_station_list.html",
        resource=resources.PVStationResource(),
        title=gettext_lazy("Photovoltaic stations"),
        filename="pv-stations",
    )


def pv_station_detail(request, pk):
    station = detail_or_404(selectors.pv_station_detail, request, pk, PVStation)
    return _detail(request, "assistance/programmes/pv_station_detail.html", station)


def pv_station_create(request):
    require_editor(request)
    form = PVStationForm(request.POST or None, user=request.user)
    cancel_url = reverse("assistance:pv-station-list")
    return form_page(request, form=form, save=_save_form, title=_("New photovoltaic station"), cancel_url=cancel_url)


def pv_station_edit(request, pk):
    station = get_object_or_404(PVStation.objects.editable_by(request.user), pk=pk)
    form = PVStationForm(request.POST or None, instance=station, user=request.user)
    return form_page(
        request,
        form=form,
        save=_save_form,
        title=_("Edit photovoltaic station"),
        cancel_url=station.get_absolute_url(),
    )


def _save_income(form):
    return services.pv_income_save(income=form.instance)


def pv_income_create(request, station_pk):
    station = get_object_or_404(PVStation.objects.editable_by(request.user), pk=station_pk)
    form = PVIncomeForm(request.POST or None, station=station)
    return form_page(
        request,
        form=form,
        save=_save_income,
        title=_("Income of %(station)s") % {"station": station},
        cancel_url=station.get_absolute_url(),
    )


def pv_income_edit(request, pk):
    income = get_object_or_404(PVIncome.objects.editable_by(request.user).select_related("station"), pk=pk)
    form = PVIncomeForm(request.POST or None, instance=income, station=income.station)
    return form_page(
        request,
        form=form,
        save=_save_income,
        title=_("Income of %(station)s") % {"station": income.station},
        cancel_url=income.station.get_absolute_url(),
    )


def _save_share(form):
    return services.pv_share_save(share=form.instance).income


def _share_form(request, *, income, share=None):
    form = PVShareForm(request.POST or None, instance=share, income=income, user=request.user)
    return form_page(
        request,
        form=form,
        save=_save_share,
        title=_("Share of %(station)s income in %(year)s") % {"station": income.station, "year": income.year},
        cancel_url=income.station.get_absolute_url(),
        context={"income": income},
    )


def pv_share_create(request, income_pk):
    income = detail_or_404(selectors.pv_income_for_share, request, income_pk, PVIncome)
    return _share_form(request, income=income)


def pv_share_edit(request, pk):
    share = get_object_or_404(PVShare.objects.editable_by(request.user), pk=pk)
    income = detail_or_404(selectors.pv_income_for_share, request, share.income_id, PVIncome)
    return _share_form(request, income=income, share=share)


# ---------------------------------------------------------------- industry support


def industry_list(request):
    supports = IndustryFilter(request.GET, queryset=selectors.industry_list(user=request.user), user=request.user)
    return list_page(
        request,
        filterset=supports,
        template="assistance/programmes/industry_list.html",
        resource=resources.IndustryResource(),
        title=gettext_lazy("Industry support"),
        filename="industry-support",
    )


def industry_detail(request, pk):
    support = detail_or_404(selectors.industry_detail, request, pk, IndustrySupport)
    return _detail(request, "assistance/programmes/industry_detail.html", support)


def industry_create(request):
    return _village_form_create(
        request,
        form_class=IndustrySupportForm,
        title=_("New industry support"),
        list_url=reverse("assistance:industry-list"),
    )


def industry_edit(request, pk):
    return _village_form_edit(
        request, model=IndustrySupport, pk=pk, form_class=IndustrySupportForm, title=_("Edit industry support")
    )


# ---------------------------------------------------------------- rewards and examples


def reward_list(request):
    rewards = RewardFilter(request.GET, queryset=selectors.reward_list(user=request.user), user=request.user)
    return list_page(
        request,
        filterset=rewards,
        template="assistance/programmes/reward_list.html",
        resource=resources.RewardResource(),
        title=gettext_lazy("Rewards instead of subsidies"),
        filename="rewards",
    )


def reward_detail(request, pk):
    reward = get_object_or_404(selectors.reward_list(user=request.user), pk=pk)
    return _detail(request, "assistance/programmes/reward_detail.html", reward)


def reward_create(request):
    return _household_form_create(
        request, form_class=RewardForm, title=_("New reward"), list_url=reverse("assistance:reward-list")
    )


def reward_edit(request, pk):
    return _household_form_edit(request, model=Reward, pk=pk, form_class=RewardForm, title=_("Edit reward"))


def example_list(request):
    examples = ExampleFilter(request.GET, queryset=selectors.example_list(user=request.user), user=request.user)
    return list_page(
        request,
        filterset=examples,
        template="assistance/programmes/example_list.html",
        resource=resources.ExampleResource(),
        title=gettext_lazy("Positive and negative examples"),
        filename="examples",
    )


def example_detail(request, pk):
    example = get_object_or_404(selectors.example_list(user=request.user), pk=pk)
    return _detail(request, "assistance/programmes/example_detail.html", example)


def example_create(request):
    return _household_form_create(
        request, form_class=TypicalExampleForm, title=_("New example"), list_url=reverse("assistance:example-list")
    )


def example_edit(request, pk):
    return _household_form_edit(
        request, model=TypicalExample, pk=pk, form_class=TypicalExampleForm, title=_("Edit example")
    )


# ---------------------------------------------------------------- five-mutual activities


def five_mutual_list(request):
    activities = FiveMutualFilter(
        request.GET, queryset=selectors.five_mutual_list(user=request.user), user=request.user
    )
    return list_page(
        request,
        filterset=activities,
        template="assistance/programmes/five_mutual_list.html",
        resource=resources.FiveMutualResource(),
        title=gettext_lazy("Five-mutual activities"),
        filename="five-mutual-activities",
    )


def five_mutual_detail(request, pk):
    activity = detail_or_404(selectors.five_mutual_detail, request, pk, FiveMutualActivity)
    return _detail(request, "assistance/programmes/five_mutual_detail.html", activity)


def five_mutual_create(request):
    return _village_form_create(
        request,
        form_class=FiveMutualActivityForm,
        title=_("New five-mutual activity"),
        list_url=reverse("assistance:five-mutual-list"),
    )


def five_mutual_edit(request, pk):
    return _village_form_edit(
        request,
        model=FiveMutualActivity,
        pk=pk,
        form_class=FiveMutualActivityForm,
        title=_("Edit five-mutual activity"),
    )
