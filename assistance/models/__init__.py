"""The assistance app's models, one module per concern, re-exported here."""

from assistance.models.plans import Measure, MeasureCategory, MeasureStatus, Plan

__all__ = ["Measure", "MeasureCategory", "MeasureStatus", "Plan"]

# The programmes: loans, training, welfare jobs, photovoltaic income, industry support, motivation.
from assistance.models.loans import (
    Instalment,
    InstalmentFlag,
    Loan,
    LoanStatus,
    Repayment,
    RepaymentMethod,
)
from assistance.models.programmes import (
    ExampleKind,
    FiveMutualActivity,
    FiveMutualType,
    IndustryDrive,
    IndustrySupport,
    PVIncome,
    PVShare,
    PVStation,
    Reward,
    TrainingKind,
    TrainingSession,
    TypicalExample,
    WelfareJob,
    WelfarePost,
)

__all__ += [
    "ExampleKind",
    "FiveMutualActivity",
    "FiveMutualType",
    "IndustryDrive",
    "IndustrySupport",
    "Instalment",
    "InstalmentFlag",
    "Loan",
    "LoanStatus",
    "PVIncome",
    "PVShare",
    "PVStation",
    "Repayment",
    "RepaymentMethod",
    "Reward",
    "TrainingKind",
    "TrainingSession",
    "TypicalExample",
    "WelfareJob",
    "WelfarePost",
]
