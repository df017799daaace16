"""The assistance app's models, one module per concern, re-exported here."""

from assistance.models.plans import Measure, MeasureCategory, MeasureStatus, Plan

__all__ = ["Measure", "MeasureCategory", "MeasureStatus", "Plan"]
