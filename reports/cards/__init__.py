"""The household card (一户一档): what it shows (selectors) and its PDF (pdf)."""

from reports.cards.selectors import HouseholdCard, household_card, household_cards

__all__ = ["HouseholdCard", "household_card", "household_cards"]
