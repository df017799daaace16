"""Sections that apps above the registry add to the household page.

The household page lives here, but its plan, visits and programmes belong to
apps that import households, never the other way round. Those apps register a
panel in their AppConfig.ready(); the page renders each with the context its
loader returns. A loader runs a fixed number of queries, whatever the data.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    template: str
    load: Callable  # (household, user) -> dict: the template's context
    order: int = 100


_registry: list[Panel] = []


def register(panel: Panel) -> None:
    if panel not in _registry:
        _registry.append(panel)
        _registry.sort(key=lambda p: p.order)


def rendered_for(household, user) -> list[tuple[str, dict]]:
    """Each registered panel's template and context for this household and user."""
    return [(panel.template, {"household": household, **panel.load(household, user)}) for panel in _registry]
