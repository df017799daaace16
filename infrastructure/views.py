"""Pages of infrastructure projects: the list with its traffic lights, a project and its timeline, its forms.

Everyone in scope reads (a cadre their village's projects); creating, editing,
advancing a project and deleting its documents is for town officials and
administrators (scope.can_change_status), and is a 404 for everyone else.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from common.pagination import paginate
from common.spreadsheets import export_response, wants_export
from households.models import Village
from infrastructure import selectors, services
from infrastructure.deadlines import Light, load_deadlines, milestone_states, project_light
from infrastructure.forms import AdvanceForm, ProjectFilter, ProjectForm, VillagePickForm
from infrastructure.models import DocumentKind, Milestone, MilestoneFlag, Project, ProjectDocument
from infrastructure.resources import ProjectResource


def project_list(request):
    today = timezone.localdate()
    deadlines = load_deadlines()
    filterset = ProjectFilter(
        request.GET,
        queryset=selectors.project_list(user=request.user, deadlines=deadlines, on=today),
        user=request.user,
        years=selectors.project_years(user=request.user),
    )
    projects = filterset.qs
    light = request.GET.get("light", "")
    listed = projects.filter(light=light) if light in Light.values else projects
    if wants_export(request):
        return export_response(
            request,
            resource=ProjectResource(),
            queryset=listed,
            title=gettext_lazy("Infrastructure projects"),
            filename="infrastructure-projects",
        )
    counts = selectors.light_counts(projects)
    page, query = paginate(request, listed)
    chosen = filterset.form.cleaned_data.get("year") if filterset.form.is_valid() else None
    year = int(chosen) if chosen else today.year
    return render(
        request,
        "infrastructure/project_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query,
            "rows": selectors.rows_of(page.object_list, deadlines, today),
            "lights": [(choice, counts.get(choice.value, 0)) for choice in Light],
            "light": light,
            "without_light": _without(request, "light"),
            "year": year,
            "year_deadlines": _deadline_list(deadlines, year),
            "can_create": request.user.scope.can_change_status,
        },
    )


def _without(request, name: str) -> str:
    query = request.GET.copy()
    query.pop(name, None)
    query.pop("page", None)
    return query.urlencode()


def _deadline_list(deadlines, year: int):
    due_by = deadlines.get(year, {})
    return [(milestone, due_by[milestone]) for milestone in Milestone if milestone in due_by]


def project_detail(request, pk):
    try:
        project = selectors.project_detail(user=request.user, pk=pk)
    except Project.DoesNotExist:
        raise Http404 from None
    today = timezone.localdate()
    deadlines = load_deadlines()
    states = milestone_states(project, deadlines, today)
    flags = {flag.milestone: flag for flag in MilestoneFlag.objects.open().filter(project=project)}
    return render(
        request,
        "infrastructure/project_detail.html",
        {
            "project": project,
            "timeline": [(state, flags.get(state.milestone)) for state in states],
            "light": project_light(project, states),
            "has_deadlines": project.year in deadlines,
            "can_change": request.user.scope.can_change_status,
        },
    )


def project_create(request):
    if not request.user.scope.can_change_status:
        raise Http404
    villages = Village.objects.visible_to(request.user)
    village = _chosen_village(request, villages)
    if village is None:
        form = VillagePickForm(villages=villages)
        cancel_url = reverse("infrastructure:list")
        return render(request, "infrastructure/village_pick.html", {"form": form, "cancel_url": cancel_url})
    return _project_form(request, Project(), village)


def _chosen_village(request, villages) -> Village | None:
    """?village=<pk> when it is in scope (404 otherwise), or the only village in scope, or None to ask."""
    value = request.GET.get("village", "")
    if value:
        if not value.isdigit():
            raise Http404
        return get_object_or_404(villages, pk=value)
    only = list(villages[:2])
    return only[0] if len(only) == 1 else None


def project_edit(request, pk):
    project = get_object_or_404(Project.objects.changeable_by(request.user).select_related("village"), pk=pk)
    return _project_form(request, project, project.village)


def _project_form(request, project: Project, village: Village):
    form = ProjectForm(
        request.POST or None, request.FILES or None, instance=project, village=village, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_save(
                project=form.instance,
                beneficiaries=list(form.cleaned_data["beneficiaries"]),
                documents=form.cleaned_data["documents"],
                user=request.user,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Project %(name)s saved.") % {"name": project.name})
            return redirect(project)
    cancel_url = project.get_absolute_url() if project.pk else reverse("infrastructure:list")
    return render(
        request,
        "infrastructure/project_form.html",
        {"form": form, "project": project, "village": village, "cancel_url": cancel_url},
    )


def _add_errors(form, error: ValidationError) -> None:
    """A service's errors on their field when the form has it, above the form otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def project_advance(request, pk):
    project = get_object_or_404(Project.objects.changeable_by(request.user).select_related("village"), pk=pk)
    if project.is_final:
        messages.info(request, _("This project takes no further step."))
        return redirect(project)
    form = AdvanceForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_advance(project=project, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, _("%(name)s: %(status)s.") % {"name": project.name, "status": project.get_status_display()}
            )
            return redirect(project)
    return render(request, "infrastructure/project_advance.html", {"form": form, "project": project})


def document(request, pk):
    doc = get_object_or_404(ProjectDocument.objects.visible_to(request.user), pk=pk)
    kind = DocumentKind(doc.kind)
    response = FileResponse(
        doc.file.open("rb"), content_type=kind.content_type, as_attachment=kind == DocumentKind.PDF, filename=doc.name
    )
    response["Content-Security-Policy"] = "sandbox"
    return response


@require_POST
def document_delete(request, pk):
    doc = get_object_or_404(ProjectDocument.objects.changeable_by(request.user).select_related("project"), pk=pk)
    services.document_delete(document=doc, user=request.user)
    messages.success(request, _("Document %(name)s deleted.") % {"name": doc.name})
    return redirect(doc.project)
