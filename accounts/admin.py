from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import Reach, User, scope_of
from accounts.services import user_set_active


class AdministratorsOnly:
    """User management and login records are for administrators only, whatever Django permissions say."""

    def has_module_permission(self, request):
        # The admin's own login page asks too, for an anonymous visitor.
        return scope_of(request.user).reach is Reach.EVERYTHING

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)


@admin.register(User)
class UserAdmin(AdministratorsOnly, DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "town", "is_active")
    list_filter = ("role", "is_active", "town")
    filter_horizontal = ("villages", "groups", "user_permissions")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Role and scope"), {"fields": ("role", "town", "villages", "phone")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Role and scope"), {"fields": ("role", "town", "villages")}),
    )
    actions = ["disable_users"]

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_add_permission = has_delete_permission = has_change_permission

    def save_model(self, request, obj, form, change):
        """Save the form; a change of "active" then goes through the service, which ends the sessions."""
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data:
            user_set_active(user=obj, active=obj.is_active, by=request.user)

    @admin.action(description=_("Disable selected users and end their sessions"))
    def disable_users(self, request, queryset):
        if queryset.filter(pk=request.user.pk).exists():
            self.message_user(request, _("Your own account stays active."), messages.WARNING)
        users = list(queryset.filter(is_active=True).exclude(pk=request.user.pk))
        for user in users:
            user_set_active(user=user, active=False, by=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d user disabled; their sessions have ended.",
                "%(count)d users disabled; their sessions have ended.",
                len(users),
            )
            % {"count": len(users)},
        )


# The login records axes keeps. Administrators read them; nobody edits them. A lockout
# (AccessAttempt) may be deleted, which is how an administrator lifts it before its cool-off ends.
admin.site.unregister([AccessAttempt, AccessLog, AccessFailureLog])


@admin.register(AccessAttempt)
class LoginAttemptAdmin(AdministratorsOnly, AccessAttemptAdmin):
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)


@admin.register(AccessLog)
class LoginLogAdmin(AdministratorsOnly, AccessLogAdmin):
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessFailureLog)
class LoginFailureLogAdmin(AdministratorsOnly, AccessFailureLogAdmin):
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
