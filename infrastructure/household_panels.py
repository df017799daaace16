"""The household page's list of the infrastructure projects that benefit the household."""

from households import panels


def project_panel(household, user):
    """One query: the projects in scope with this household among their beneficiaries."""
    from infrastructure.selectors import household_projects

    return {"projects": household_projects(household=household, user=user)}


def register_all():
    panels.register(panels.Panel("infrastructure/includes/project_panel.html", project_panel, order=40))
