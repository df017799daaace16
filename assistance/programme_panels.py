"""The household page's summary of its programmes: loans with their next instalment, jobs, PV shares, rewards."""

from households import panels


def programme_panel(household, user):
    """Five queries whatever the household holds: loans (with figures), jobs, PV shares, rewards, examples.

    Every programme whose records belong to a household (assistance.specs) gets its "New ..." button here.
    """
    from assistance.selectors import household_programmes
    from assistance.specs import HOUSEHOLD, PROGRAMMES

    household_specs = [spec for spec in PROGRAMMES if spec.belongs_to == HOUSEHOLD]
    return {**household_programmes(household=household), "can_edit": user.scope.can_edit, "specs": household_specs}


def register_all():
    panels.register(panels.Panel("assistance/includes/programme_panel.html", programme_panel, order=30))
