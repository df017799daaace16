"""The registry's models, one module per concern, re-exported here.

Geography (town, village, villager group) lives here with the households it
holds; accounts names it by string. Who is assigned to a household lives here
too, although the assistance app manages it, because the scoping choke point
needs it and arrows point one way (accounts <- households <- assistance).
"""

from households.models.exits import ExitProcedure, ExitStep, ExitStepRecord, StepLevel
from households.models.geography import (
    FIRST_REGISTRY_YEAR,
    LAST_PLAUSIBLE_YEAR,
    SupportUnit,
    Target,
    TargetHousehold,
    Town,
    Village,
    VillagerGroup,
    WorkTeam,
    year_validators,
)
from households.models.imports import HouseholdImport, ImportBatch, ImportIssue
from households.models.income import MAX_AMOUNT, Classification, IncomeLine, IncomeRecord
from households.models.registry import Assessment, Assignment, Household, Member, StatusChange

__all__ = [
    "FIRST_REGISTRY_YEAR",
    "LAST_PLAUSIBLE_YEAR",
    "MAX_AMOUNT",
    "Assessment",
    "Assignment",
    "Classification",
    "ExitProcedure",
    "ExitStep",
    "ExitStepRecord",
    "Household",
    "HouseholdImport",
    "ImportBatch",
    "ImportIssue",
    "IncomeLine",
    "IncomeRecord",
    "Member",
    "StatusChange",
    "StepLevel",
    "SupportUnit",
    "Target",
    "TargetHousehold",
    "Town",
    "Village",
    "VillagerGroup",
    "WorkTeam",
    "year_validators",
]
