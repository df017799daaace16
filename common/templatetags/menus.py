"""`{% main_menu %}`: the navigation bar's menu, rendered once per language and set of permissions.

The menu is the same on every page for everyone with the same permissions: some thirty links, each a reverse()
and a translation. Rendered for each request it was a tenth of a light page's CPU; kept per process here, keyed
by what it depends on (the language and four yes-or-no permissions), so at most a few dozen copies.
"""

import functools

from django import template
from django.template.loader import render_to_string
from django.utils.translation import get_language

register = template.Library()


@register.simple_tag(takes_context=True)
def main_menu(context):
    user = context["user"]
    scope = user.scope
    is_admin = user.is_superuser or user.role == "admin"  # accounts.Role.ADMIN: common imports no app
    return _menu(get_language(), scope.can_edit, scope.can_change_status, is_admin, user.is_staff)


@functools.lru_cache(maxsize=64)
def _menu(language: str, can_edit: bool, can_change_status: bool, is_admin: bool, is_staff: bool) -> str:
    flags = {"can_edit": can_edit, "can_change_status": can_change_status, "is_admin": is_admin, "is_staff": is_staff}
    return render_to_string("includes/main_menu.html", flags)
