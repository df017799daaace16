"""The base of every scoped queryset: visible_to / editable_by, each model saying how a scope reaches its rows.

It lives here, below every app, so that an app that may import accounts only (audit) scopes its rows the same
way as the registry does (households.querysets builds the registry's scopes on it).
"""

from django.db import models
from django.db.models import Q

from accounts.models import scope_of


class ScopedQuerySet(models.QuerySet):
    """visible_to / editable_by for a model; subclasses say how a scope reaches their rows."""

    def scope_filter(self, scope) -> Q | None:
        raise NotImplementedError

    def visible_to(self, user):
        q = self.scope_filter(scope_of(user))
        return self.none() if q is None else self.filter(q)

    def editable_by(self, user):
        return self.visible_to(user) if scope_of(user).can_edit else self.none()
