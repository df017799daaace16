"""Django admin for reference data, scoped through the same choke point as every page.

Every admin page that can write records its saves and deletes in the audit trail (AuditedMixin);
the histories, the trail and the access log are shown read-only (ReadOnlyHistoryAdmin).
"""

import json

from django import forms
from django.apps import apps
from django.contrib import admin
from django.db.models import Count, Q, Sum, prefetch_related_objects
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from audit import trail as audit
from audit.models import AccessEvent, AuditEvent, AuditRowChange
from households import services, summaries
from households.choices import HouseholdStatus
from households.models import (
    Assessment,
    Assignment,
    Classification,
    ExitStep,
    Household,
    ImportBatch,
    IncomeLine,
    IncomeRecord,
    Member,
    StatusChange,
    SupportUnit,
    Target,
    Town,
    Village,
    VillagerGroup,
    WorkTeam,
)


class ScopedAdmin(admin.ModelAdmin):
    """Lists and foreign-key choices limited to what the user may see."""

    def get_queryset(self, request):
        return self.model.objects.visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if hasattr(related.objects, "editable_by"):
            kwargs["queryset"] = related.objects.editable_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class AuditedMixin:
    """Every save and delete made on an admin page, its inlines' included, goes to the audit trail (via admin).

    Old values are read from the database before the save (one query per record, one per
    inline); deletions are recorded before the rows go, so that the events may still name them.
    Changes to many-to-many lists (attendees, households of an activity) are not compared.
    """

    # Related names of the children deleted along with a record, which the trail names one by one.
    audited_children: tuple[str, ...] = ()

    def audit_household(self, obj) -> Household | None:
        """The household a record of this page belongs to; None for a village's or the town's records."""
        return obj if isinstance(obj, Household) else getattr(obj, "household", None)

    def _trail(self, request) -> audit.AuditTrail:
        return audit.AuditTrail(actor=request.user, via=AuditEvent.Via.ADMIN)

    def save_model(self, request, obj, form, change):
        before = audit.snapshot(obj) if change else None
        self.write(request, obj, form, change)
        trail = self._trail(request)
        if before is None:
            trail.created(obj, household=self.audit_household(obj))
        else:
            trail.changed(before, obj, household=self.audit_household(obj))
        trail.record()
        self.refresh_figures([obj])

    def refresh_figures(self, objs) -> None:
        """Keep the dashboards' figures of the households whose records this page wrote (households.summaries)."""
        households = {household.pk for household in map(self.audit_household, objs) if household is not None}
        if households:
            summaries.refresh(households)

    def write(self, request, obj, form, change) -> None:
        """Save the record itself; a page whose records hold fields written by services only saves fewer."""
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        household = self.audit_household(form.instance)
        before = audit.snapshots(formset.model, (f.instance.pk for f in formset.initial_forms))
        trail = self._trail(request)
        for deleted in formset.deleted_forms:
            if deleted.instance.pk in before:
                trail.deleted(before[deleted.instance.pk], household=household)
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            trail.created(obj, household=household)
        for obj, _fields in formset.changed_objects:
            trail.changed(before[obj.pk], obj, household=household)
        trail.record()
        self.refresh_figures([form.instance])

    def delete_model(self, request, obj):
        self._record_deletions(request, [obj])
        super().delete_model(request, obj)
        self.refresh_figures([obj])

    def delete_queryset(self, request, queryset):
        objs = list(queryset)
        self._record_deletions(request, objs)
        super().delete_queryset(request, queryset)
        self.refresh_figures(objs)

    def _record_deletions(self, request, objs) -> None:
        prefetch_related_objects(objs, *self.audited_children)  # one query per kind of child, not per record
        trail = self._trail(request)
        for obj in objs:
            household = self.audit_household(obj)
            trail.deleted(obj, household=household)
            for name in self.audited_children:
                for child in getattr(obj, name).all():
                    trail.deleted(child, household=household)
        trail.record()


class AuditedAdmin(AuditedMixin, ScopedAdmin):
    """A scoped admin page whose every save and delete goes to the audit trail."""


class AuditedReferenceAdmin(AuditedMixin, admin.ModelAdmin):
    """An admin page of the deployment's reference data (rules, deadlines, types), its writes in the trail."""


@admin.register(Town)
class TownAdmin(AuditedAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


class TargetForm(forms.ModelForm):
    """Town, year, name and day of a new target; the cohort itself is fixed by services.target_fix on saving."""

    class Meta:
        model = Target
        fields = ["town", "year", "name", "as_of"]

    def clean(self):
        cleaned = super().clean()
        town, as_of = cleaned.get("town"), cleaned.get("as_of")
        if town is not None and as_of is not None:
            refusal = services.target_refusal(town=town, as_of=as_of)
            if refusal:
                self.add_error("as_of", refusal)
        return cleaned


@admin.register(Target)
class TargetAdmin(AuditedAdmin):
    """A target is set once: the add page fixes its cohort through the service, then it is shown, never edited.

    Its households and people are those counted when it was set; a target set
    wrongly is deleted (the audit trail keeps both) and set again.
    """

    form = TargetForm
    list_display = ("town", "year", "name", "as_of", "cohort_households", "cohort_people", "created_by")
    list_filter = ("year",)
    list_select_related = ("town", "created_by")
    readonly_fields = ("cohort_households", "cohort_people", "created_by", "created_at")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(cohort_households=Count("cohort"), cohort_people=Sum("cohort__people"))
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return TargetForm._meta.fields
        return [*TargetForm._meta.fields, *self.readonly_fields]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("households to lift"), ordering="cohort_households")
    def cohort_households(self, obj):
        return obj.cohort_households

    @admin.display(description=_("people to lift"), ordering="cohort_people")
    def cohort_people(self, obj):
        return obj.cohort_people or 0

    def save_model(self, request, obj, form, change):
        target = services.target_fix(
            town=obj.town, year=obj.year, name=obj.name, as_of=obj.as_of, user=request.user, via=AuditEvent.Via.ADMIN
        )
        obj.pk, obj.created_by, obj.created_at = target.pk, target.created_by, target.created_at

    # Deletions go to the trail through AuditedMixin (a target belongs to no household).


@admin.register(Village)
class VillageAdmin(AuditedAdmin):
    list_display = ("name", "code", "town")
    list_filter = ("town",)
    search_fields = ("name", "code")


@admin.register(VillagerGroup)
class VillagerGroupAdmin(AuditedAdmin):
    list_display = ("name", "village")
    list_filter = ("village",)
    search_fields = ("name", "village__name")
    list_select_related = ("village",)


@admin.register(SupportUnit)
class SupportUnitAdmin(AuditedAdmin):
    list_display = ("name", "village", "contact_phone")
    list_filter = ("village",)
    search_fields = ("name",)
    list_select_related = ("village",)


@admin.register(WorkTeam)
class WorkTeamAdmin(AuditedAdmin):
    list_display = ("name", "village", "sent_by", "start_date", "end_date")
    list_filter = ("village",)
    list_select_related = ("village",)
    filter_horizontal = ("members",)


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0
    fields = ("name", "id_number", "relation", "sex", "birth_date", "health")


class HouseholdAdminForm(forms.ModelForm):
    def clean_identified_year(self):
        # The model names the exit year, which this form does not edit, in this error.
        year, exit_year = self.cleaned_data.get("identified_year"), self.instance.exit_year
        if year and exit_year and exit_year < year:
            raise forms.ValidationError(_("A household cannot leave poverty before it was identified as poor."))
        return year


# Written only by services.household_set_status, which checks an exit and keeps the history the targets read.
STATUS_FIELDS = ("status", "monitor_kind", "exit_year")


@admin.register(Household)
class HouseholdAdmin(AuditedAdmin):
    """Households' records, except their status: that changes on the household's page, through its service.

    A household added here starts unexited with its first line of history, as
    one added on the page does.
    """

    form = HouseholdAdminForm
    list_display = ("number", "village", "group", "status", "main_cause", "exit_year")
    list_filter = ("status", "main_cause", "village")
    search_fields = ("number",)
    list_select_related = ("village", "group")
    fields = (
        "number",
        "village",
        "group",
        "address",
        "phone",
        "registered_on",
        "identified_year",
        *STATUS_FIELDS,
        "status_change_link",
        "attribute",
        "main_cause",
        "other_causes",
        "housing_grade",
    )
    readonly_fields = (*STATUS_FIELDS, "status_change_link")
    inlines = [MemberInline]
    audited_children = ("members",)

    @admin.display(description=_("Change status"))
    def status_change_link(self, obj):
        if obj is None or obj.pk is None:
            return self.get_empty_value_display()
        return format_html('<a href="{}">{}</a>', reverse("households:status", args=[obj.pk]), _("Change status"))

    def write(self, request, obj, form, change):
        if change:
            # Only what the form edits, so that a status changed meanwhile on the page is never put back.
            obj.save(update_fields=[*audit.form_fields(form), "updated_at"])
            return
        obj.status, obj.monitor_kind, obj.exit_year = HouseholdStatus.UNEXITED, "", None
        obj.save()
        services.household_history_start(household=obj, user=request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # The members' inline shows whole ID numbers: opening it is a reveal, logged as on the household form.
        context = getattr(response, "context_data", None) or {}
        if request.method == "GET" and response.status_code == 200 and "adminform" in context:
            household = context["original"]
            services.id_numbers_reveal(members=list(household.members.all()), user=request.user, purpose="admin")
        return response


class ReadOnlyHistoryAdmin(ScopedAdmin):
    """Rows written by services only (history, schedules, repayments, shares): shown, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyHistoryAdmin):
    list_display = ("household", "from_status", "to_status", "changed_on", "changed_by")
    list_filter = ("to_status",)
    list_select_related = ("household", "changed_by")


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ("household", "assessed_on", "assessed_by")
    list_select_related = ("household", "assessed_by")


@admin.register(IncomeLine)
class IncomeLineAdmin(AuditedReferenceAdmin):
    """Reference data for the whole deployment: one line per year, kept by administrators."""

    list_display = ("year", "line", "drop_share", "consolidation_factor")
    ordering = ("-year",)

    def refresh_figures(self, objs) -> None:
        # A line for a new year moves the year whose income every household's kept figures hold.
        summaries.refresh_income()


@admin.register(ExitStep)
class ExitStepAdmin(AuditedReferenceAdmin):
    """The exit procedure's steps: a county adds, renames, reorders or deactivates (merges) them here.

    A step that has been recorded cannot be deleted (its records protect it); deactivate it instead.
    """

    list_display = (
        "position",
        "name",
        "code",
        "level",
        "publicity_days",
        "checks_exit_standard",
        "needs_document",
        "active",
    )
    list_display_links = ("name",)
    ordering = ("position",)


@admin.register(IncomeRecord)
class IncomeRecordAdmin(AuditedAdmin):
    list_display = ("household", "year", "net_income", "household_size", "recorded_by")
    list_filter = ("year",)
    search_fields = ("household__number",)
    list_select_related = ("household", "recorded_by")
    readonly_fields = ("net_income", "recorded_by")
    raw_id_fields = ("household",)


@admin.register(Classification)
class ClassificationAdmin(ReadOnlyHistoryAdmin):
    list_display = ("household", "classified_on", "suggested_class", "confirmed_class", "current", "decided_by")
    list_filter = ("confirmed_class", "current")
    search_fields = ("household__number",)
    list_select_related = ("household", "decided_by")


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyHistoryAdmin):
    """Assignments change through the household page, which ends the old one and keeps it."""

    list_display = ("household", "role", "person", "support_unit", "start_date", "end_date")
    list_filter = ("role",)
    search_fields = ("household__number", "person__username", "person__last_name")
    list_select_related = ("household", "person", "support_unit")


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyHistoryAdmin):
    """Every roster import is kept, with who uploaded and who confirmed it; batches change only by importing."""

    list_display = ("pk", "original_name", "status", "uploaded_by", "uploaded_at", "confirmed_by", "confirmed_at")
    list_filter = ("status",)
    search_fields = ("original_name", "sha256")
    list_select_related = ("uploaded_by", "confirmed_by")


# ---------------------------------------------------------------- the audit trail and the access log


class _OneValueFilter(admin.SimpleListFilter):
    """A filter set by following a link in the list (?household=, ?actor=), never by listing every choice.

    Listing the households or users that appear in millions of rows would scan them all on each
    page; the filter shows only the value chosen, so that it can be seen and cleared.
    """

    def label_for(self, value: int) -> str | None:
        raise NotImplementedError

    def lookups(self, request, model_admin):
        value = self.value()
        if not (value and value.isascii() and value.isdigit()):
            return []
        label = self.label_for(int(value))
        return [(value, label)] if label is not None else []

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isascii() and value.isdigit():
            return queryset.filter(**{f"{self.parameter_name}_id": int(value)})
        return queryset


class HouseholdEventFilter(_OneValueFilter):
    title = _("household")
    parameter_name = "household"

    def label_for(self, value):
        return Household.objects.filter(pk=value).values_list("number", flat=True).first()

    def queryset(self, request, queryset):
        """A household's events, and those of the imports that changed it (their rows name it)."""
        value = self.value()
        if queryset.model is AuditEvent and value and value.isascii() and value.isdigit():
            rows = AuditRowChange.objects.filter(household_id=int(value)).values("event_id")
            return queryset.filter(Q(household_id=int(value)) | Q(pk__in=rows))
        return super().queryset(request, queryset)


class EventFilter(_OneValueFilter):
    title = _("change history entry")
    parameter_name = "event"

    def label_for(self, value):
        event = AuditEvent.objects.filter(pk=value).first()
        return str(event) if event is not None else None


class _UserFilter(_OneValueFilter):
    title = _("user")

    def label_for(self, value):
        from accounts.models import User

        return User.objects.filter(pk=value).values_list("username", flat=True).first()


class ActorFilter(_UserFilter):
    parameter_name = "actor"


class UserFilter(_UserFilter):
    parameter_name = "user"


def _filter_link(parameter: str, value, text) -> str:
    if value is None:
        return text or "—"
    return format_html('<a href="?{}={}">{}</a>', parameter, value, text)


class TrailAdmin(ReadOnlyHistoryAdmin):
    """Read-only for everyone, superusers included: no add, change or delete, and so no action either."""

    date_hierarchy = "at"
    show_full_result_count = False  # no count of the whole trail on every page
    list_per_page = 50
    search_help_text = _("A whole household number or username.")
    user_field = "actor"

    def get_search_results(self, request, queryset, search_term):
        """Exact matches on the household number or the username, each served by an index.

        The admin's own search would compare upper-cased text, which no index serves on a
        trail of millions of rows; search_fields only names what the box looks for.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        from accounts.models import User

        users = list(User.objects.filter(username=term).values_list("pk", flat=True))
        return queryset.filter(Q(household_number=term) | Q(**{f"{self.user_field}_id__in": users})), False

    @admin.display(description=_("household"), ordering="household_number")
    def household_link(self, obj):
        return _filter_link("household", obj.household_id, obj.household_number)


@admin.register(AuditEvent)
class AuditEventAdmin(TrailAdmin):
    list_display = (
        "at",
        "action",
        "record_type",
        "object_repr",
        "household_link",
        "actor_link",
        "via",
        "import_batch_id",
    )
    list_filter = ("via", "action", ActorFilter, HouseholdEventFilter)
    search_fields = ("=household_number", "=actor__username")
    list_select_related = ("actor",)
    fields = (
        "at",
        "actor",
        "via",
        "household_link",
        "object_type",
        "object_id",
        "object_repr",
        "action",
        "changes_table",
        "reason",
        "import_batch",
        "rows_link",
    )
    readonly_fields = fields

    @admin.display(description=_("records changed"))
    def rows_link(self, obj):
        """A bulk change's rows (each record it changed), listed on their own page."""
        url = reverse("admin:audit_auditrowchange_changelist")
        return format_html('<a href="{}?event={}">{}</a>', url, obj.pk, _("Each record it changed"))

    @admin.display(description=_("record type"), ordering="object_type")
    def record_type(self, obj):
        try:
            return str(apps.get_model(obj.object_type)._meta.verbose_name)
        except (LookupError, ValueError):
            return obj.object_type

    @admin.display(description=_("by"), ordering="actor__username")
    def actor_link(self, obj):
        return _filter_link("actor", obj.actor_id, obj.actor.username if obj.actor_id else "")

    @admin.display(description=_("changes"))
    def changes_table(self, obj):
        rows = audit.readable_changes(obj)
        if not rows:
            return "—"
        header = format_html("<tr><th>{}</th><th>{}</th><th>{}</th></tr>", _("field"), _("before"), _("after"))
        cells = ((row.label, row.old, row.new) for row in rows)
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", cells)
        return format_html("<table>{}{}</table>", header, body)


@admin.register(AuditRowChange)
class AuditRowChangeAdmin(TrailAdmin):
    """What a bulk change (a roster import) changed, record by record; a household's rows by ?household=."""

    list_display = ("at", "action", "record_type", "object_repr", "household_link", "event_link")
    list_filter = ("action", HouseholdEventFilter, EventFilter)
    search_fields = ("=household_number",)
    user_field = "event__actor"
    fields = ("at", "event", "household_link", "object_type", "object_id", "object_repr", "action", "changes_table")
    readonly_fields = fields
    record_type = AuditEventAdmin.record_type
    changes_table = AuditEventAdmin.changes_table

    @admin.display(description=_("change history entry"), ordering="event")
    def event_link(self, obj):
        return _filter_link("event", obj.event_id, f"#{obj.event_id}")


@admin.register(AccessEvent)
class AccessEventAdmin(TrailAdmin):
    list_display = ("at", "kind", "user_link", "household_link", "member_id", "purpose", "detail_text")
    list_filter = ("kind", UserFilter, HouseholdEventFilter)
    search_fields = ("=household_number", "=user__username")
    list_select_related = ("user",)
    user_field = "user"
    fields = ("at", "user", "kind", "household_link", "member", "purpose", "detail_text")
    readonly_fields = fields

    @admin.display(description=_("user"), ordering="user__username")
    def user_link(self, obj):
        return _filter_link("user", obj.user_id, obj.user.username)

    @admin.display(description=_("detail"))
    def detail_text(self, obj):
        return json.dumps(obj.detail, ensure_ascii=False, sort_keys=True) if obj.detail else "—"
