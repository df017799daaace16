"""Pages of the programmes besides loans, made from their specs (assistance.specs), and the PV income forms.

Every page follows one rhythm: access (visible_to to read, editable_by to
write, 404 otherwise) -> form -> service or ModelForm -> redirect or render.
A new record that lists one village's members or households first asks for the
village (a cadre of one village skips that step); one that belongs to a
household first asks for the household's number, unless the household page
passed it along. The loan pages share the list and form rhythm.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from assistance import selectors as selectors
from assistance.forms import HouseholdPickForm, PVIncomeForm, PVShareForm, VillagePickForm
from assistance.models import PVIncome, PVShare, PVStation
from assistance.services import programmes as services
from assistance.specs import HOUSEHOLD, VILLAGE, ProgrammeSpec
from common.pagination import paginate
from common.spreadsheets import export_response, wants_export
from households.models import Household, Village

PER_PAGE = 30
LIST_TEMPLATE = "assistance/programmes/programme_list.html"
DETAIL_TEMPLATE = "assistance/programmes/programme_detail.html"
FORM_TEMPLATE = "assistance/programmes/programme_form.html"
PICK_TEMPLATE = "assistance/programmes/pick_form.html"


# ---------------------------------------------------------------- the shared rhythm


def list_page(request, *, filterset, template, resource, title, filename: str, context=None):
    """A filtered, paginated list, or all its rows as a workbook; the filter's queryset is already scoped and joined.

    `title` names the workbook's sheet: lazy, so that it follows the workbook's language.
    """
    if wants_export(request):
        return export_response(request, resource=resource, queryset=filterset.qs, title=title, filename=filename)
    page, query = paginate(request, filterset.qs, PER_PAGE)
    can_create = request.user.scope.can_edit
    return render(
        request,
        template,
        {"filter": filterset, "page": page, "query": query, "can_create": can_create, **(context or {})},
    )


def form_page(request, *, form, save, title, cancel_url, context=None):
    """Show the form; on a valid POST call `save(form, user=)` (a service, which records) and go to what it returns."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form, user=request.user)
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


# ---------------------------------------------------------------- a programme's four pages, from its spec


def programme_list(request, *, spec: ProgrammeSpec):
    rows = spec.filter(request.GET, queryset=spec.list_selector(user=request.user), user=request.user)
    return list_page(
        request,
        filterset=rows,
        template=LIST_TEMPLATE,
        resource=spec.export(),
        title=spec.title,
        filename=spec.filename,
        context={"spec": spec},
    )


def programme_detail(request, pk, *, spec: ProgrammeSpec):
    record = detail_or_404(spec.detail, request, pk, spec.model)
    context = {"object": record, "spec": spec, "can_edit": request.user.scope.can_edit}
    return render(request, DETAIL_TEMPLATE, context)


def programme_create(request, *, spec: ProgrammeSpec):
    require_editor(request)
    owner = new_record_owner(request, spec)
    if owner is None:
        pick_page = pick_village_page if spec.belongs_to == VILLAGE else pick_household_page
        return pick_page(request, title=spec.create_label, cancel_url=spec.list_url)
    form = spec.form(request.POST or None, user=request.user, **owner)
    cancel_url = owner[HOUSEHOLD].get_absolute_url() if HOUSEHOLD in owner else spec.list_url
    return form_page(request, form=form, save=spec.save, title=spec.create_label, cancel_url=cancel_url, context=owner)


def programme_edit(request, pk, *, spec: ProgrammeSpec):
    record = get_object_or_404(spec.editable(request.user), pk=pk)
    owner = {spec.belongs_to: getattr(record, spec.belongs_to)} if spec.belongs_to else {}
    form = spec.form(request.POST or None, instance=record, user=request.user, **owner)
    cancel_url = record.get_absolute_url()
    return form_page(request, form=form, save=spec.save, title=spec.edit_label, cancel_url=cancel_url, context=owner)


def new_record_owner(request, spec: ProgrammeSpec) -> dict | None:
    """What a new record belongs to, as the form's keyword ({"village": ...}); None while it is to be asked for."""
    if not spec.belongs_to:
        return {}
    owner = chosen_village(request) if spec.belongs_to == VILLAGE else chosen_household(request)
    return None if owner is None else {spec.belongs_to: owner}


# ---------------------------------------------------------------- photovoltaic income, shared out by station-year


def _save_income(form, *, user):
    return services.pv_income_save(income=form.instance, user=user)


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


def _save_share(form, *, user):
    return services.pv_share_save(share=form.instance, user=user).income


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
