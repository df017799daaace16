import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from audit.models import AuditEvent
from common.pagination import paginate
from common.spreadsheets import export_response, wants_export
from households.models import Household, Village
from households.selectors import head_name, household_find
from visits import selectors, services, sync
from visits.forms import HouseholdSearchForm, SyncChoiceForm, VisitForm
from visits.models import FlagKind, Visit, VisitPhoto
from visits.resources import ComplianceResource, DueVisitResource, VisitFlagResource, VisitResource, compliance_lines


def due_list(request):
    today = timezone.localdate()
    due = selectors.visits_due(user=request.user, on=today)
    if wants_export(request):
        return export_response(
            request,
            resource=DueVisitResource(),
            queryset=due,
            title=gettext_lazy("My visits due"),
            filename="visits-due",
        )
    return render(request, "visits/due_list.html", {"due": due, "today": today})


def visit_log(request):
    household_pk = request.GET.get("household", "")
    if not household_pk.isdigit():
        return _choose_household(request)
    households = Household.objects.visible_to(request.user).select_related("village", "group")
    households = households.annotate(head_name=head_name())
    household = get_object_or_404(households, pk=household_pk)
    form = VisitForm(request.POST or None, request.FILES or None, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            visit, created = services.visit_log(
                visit=form.visit(), user=request.user, verdicts=form.verdicts(), photos=form.cleaned_data["photos"]
            )
        except services.VisitConflictError as conflict:
            form.add_error(None, _stored_version_error(conflict.visit, household))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            level = messages.INFO if not created else messages.WARNING if visit.late else messages.SUCCESS
            messages.add_message(request, level, sync.logged_message(visit, household, created=created))
            return redirect(_next(request) or visit.get_absolute_url())
    today = timezone.localdate()
    role = services.visitor_role(household=household, person=request.user, day=today)
    counts_from = services.counts_from(household=household, person=request.user, on=today)
    return render(
        request,
        "visits/visit_form.html",
        {
            "form": form,
            "household": household,
            "cancel_url": _next(request) or reverse("visits:due"),
            "next_url": _next(request) or "",
            "role": role,
            "role_text": selectors.role_text(role),
            "counts_from": counts_from,
            "counts_from_text": selectors.counts_from_text(counts_from) if counts_from else "",
        },
    )


def _stored_version_error(visit, household):
    """Without JavaScript there is no choosing: the page says so and links to the version stored."""
    return format_html(
        '{} <a href="{}">{}</a>',
        sync.conflict_message(visit, household, choosing=False),
        visit.get_absolute_url(),
        _("Open the stored visit"),
    )


@login_not_required  # an ended session answers JSON the phone understands, not the login page
@require_http_methods(["GET", "POST"])
def visit_sync(request):
    """The phone's outbox: GET says who is logged in (and gives a CSRF token), POST sends one visit (visits.sync)."""
    if not request.user.is_authenticated:
        return sync.login_needed()
    if request.method == "GET":
        return sync.answer(200, user=request.user.pk, csrf_token=get_token(request))
    household_pk = request.POST.get("household", "")
    household = (
        Household.objects.visible_to(request.user).select_related("village").filter(pk=household_pk).first()
        if household_pk.isascii() and household_pk.isdigit()
        else None
    )
    if household is None:
        return sync.not_found()
    choice = SyncChoiceForm(request.POST)
    if not choice.is_valid():
        return sync.invalid(choice)
    if choice.cleaned_data["resolve"] == "keep":
        return _keep(request, household, choice.cleaned_data["client_key"])
    form = VisitForm(request.POST, request.FILES, household=household)
    valid = form.is_valid()
    village = form.cleaned_data.get("village")
    if village is not None and village != household.village_id and not _sent_before(request, household, form):
        return sync.moved(household, Village.objects.visible_to(request.user).filter(pk=household.village_id).first())
    if not valid:
        return sync.invalid(form)
    return _store(
        request, household, form, replaces=choice.cleaned_data["replaces"], resolve=choice.cleaned_data["resolve"]
    )


def _sent_before(request, household, form) -> bool:
    """A visit already stored under this key before the household moved: the phone is told what became of it."""
    key = form.cleaned_data.get("client_key")
    return key is not None and Visit.objects.filter(client_key=key, household=household, visitor=request.user).exists()


def _store(request, household, form, *, resolve: str, replaces: str):
    sent = form.visit()
    stored = Visit.objects.filter(client_key=sent.client_key).first() if resolve == "replace" else None
    try:
        if stored is None:
            visit, created = services.visit_log(
                visit=sent,
                user=request.user,
                verdicts=form.verdicts(),
                photos=form.cleaned_data["photos"],
                via=AuditEvent.Via.SYNC,
            )
            return sync.stored(visit, household, created=created)
        visit, _changed = services.visit_replace(
            visit=stored,
            user=request.user,
            sent=sent,
            verdicts=form.verdicts(),
            photos=form.cleaned_data["photos"],
            replaces=replaces,
        )
        return sync.replaced(visit, household)
    except services.VisitConflictError as conflict:
        return sync.conflict(conflict.visit, household, conflict.conflict.content)
    except ValidationError as error:
        if getattr(error, "code", None) == "key_used":
            return sync.key_used(error)
        form.add_error(None, error)
        return sync.invalid(form)


def _keep(request, household, client_key):
    visit = Visit.objects.filter(client_key=client_key, household=household, visitor=request.user).first()
    if visit is None:
        return sync.not_stored()
    services.visit_conflict_keep(visit=visit, user=request.user)
    return sync.kept(visit, household)


@login_not_required  # as visit_sync: the phone is told to log in, in JSON
@require_GET
def working_set(request):
    """What a phone keeps for working without a connection: my visits due and a snapshot of each household.

    Sent with an ETag: a phone that has this version already gets 304 and no body.
    """
    if not request.user.is_authenticated:
        return sync.login_needed()
    body = selectors.working_set(user=request.user, on=timezone.localdate())
    etag = f'"{body["version"]}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = sync.answer(200, **body)
    response["ETag"] = etag
    return response


CHOICES_SHOWN = 20  # a list a thumb can scroll; more matches ask for more of the name or number


def _choose_household(request):
    """Find the household by its head's name or its number's last digits; one match opens its visit form."""
    form = HouseholdSearchForm(request.GET if "q" in request.GET else None)
    matches = []
    if form.is_valid():
        text = form.cleaned_data["q"]
        matches = household_find(user=request.user, text=text, limit=CHOICES_SHOWN + 1)
        if len(matches) == 1 or (matches and matches[0].number == text):
            return redirect(f"{reverse('visits:log')}?household={matches[0].pk}")
        if not matches:
            form.add_error("q", _("No household you may see matches this."))
    context = {"form": form, "matches": matches[:CHOICES_SHOWN], "more": len(matches) > CHOICES_SHOWN}
    return render(request, "visits/choose_household.html", context)


def _next(request) -> str | None:
    target = request.GET.get("next", "")
    allowed = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
    return target if target and allowed else None


def flag_list(request):
    flags = selectors.open_flags(user=request.user)
    kind = request.GET.get("kind", FlagKind.OVERDUE)
    if kind in FlagKind.values:
        flags = flags.filter(kind=kind)
    villages = Village.objects.visible_to(request.user)
    village = request.GET.get("village", "")
    if village.isdigit():
        flags = flags.filter(household__village_id=village)
    if wants_export(request):
        return export_response(
            request,
            resource=VisitFlagResource(),
            queryset=flags,
            title=gettext_lazy("Visits not logged in time"),
            filename="visit-flags",
        )
    page, query = paginate(request, flags)
    return render(
        request,
        "visits/flag_list.html",
        {
            "page": page,
            "query": query,
            "kind": kind,
            "kinds": FlagKind.choices,
            "villages": villages,
            "village": village,
        },
    )


def visit_list(request):
    visits = selectors.visit_list(user=request.user)
    number = request.GET.get("household", "").strip()
    if number:
        visits = visits.filter(household__number=number)
    month = _month(request)
    if month is not None:
        visits = visits.filter(visited_on__year=month.year, visited_on__month=month.month)
    if wants_export(request):
        return export_response(
            request,
            resource=VisitResource(),
            queryset=visits,
            title=gettext_lazy("Visits"),
            filename="visits",
        )
    page, query = paginate(request, visits)
    return render(request, "visits/visit_list.html", {"page": page, "query": query, "number": number, "month": month})


def visit_detail(request, pk):
    try:
        visit = selectors.visit_detail(user=request.user, pk=pk)
    except Visit.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "visits/visit_detail.html",
        {"visit": visit, "show_location": selectors.location_visible(visit, request.user)},
    )


def photo(request, pk):
    picture = get_object_or_404(VisitPhoto.objects.visible_to(request.user), pk=pk)
    return FileResponse(picture.image.open("rb"), content_type="image/jpeg")


def compliance(request):
    month = _month(request) or timezone.localdate().replace(day=1)
    villages, visitors, total = selectors.compliance(user=request.user, month=month)
    if wants_export(request):
        return export_response(
            request,
            resource=ComplianceResource(),
            queryset=compliance_lines(villages, visitors, total),
            title=format_lazy("{} {:%Y-%m}", gettext_lazy("Visit compliance"), month),
            filename=f"visit-compliance-{month:%Y-%m}",
        )
    return render(
        request,
        "visits/compliance.html",
        {
            "month": month,
            "villages": villages,
            "visitors": visitors,
            "total": total,
            # The month shown, even when it was the default, so that a download matches the page.
            "query": urlencode({"month": f"{month:%Y-%m}"}),
        },
    )


def household_months(request, pk):
    """Who was required to visit a household in each of the last twelve months, and who came."""
    households = Household.objects.visible_to(request.user).select_related("village").annotate(head_name=head_name())
    household = get_object_or_404(households, pk=pk)
    months = selectors.household_months(household, on=timezone.localdate())
    return render(request, "visits/household_months.html", {"household": household, "months": months})


def _month(request) -> dt.date | None:
    try:
        return dt.datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
    except ValueError:
        return None
