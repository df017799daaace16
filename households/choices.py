"""The registry's value lists, with the labels cadres know (translated in locale/)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class HouseholdStatus(models.TextChoices):
    UNEXITED = "unexited", _("Not yet out of poverty")
    EXITED = "exited", _("Out of poverty")
    MONITORED = "monitored", _("Monitored for risk")
    CLOSED = "closed", _("Closed")
    # 一般农户: never registered poor. Kept so that a household close to poverty (边缘易致贫户) or struck by a
    # sudden hardship can be a monitoring case, and so that one whose risk is removed has a status to return to.
    GENERAL = "general", _("Ordinary rural household")


class MonitorKind(models.TextChoices):
    UNSTABLE = "unstable", _("Exited but unstable")
    MARGINAL = "marginal", _("Marginal, prone to poverty")
    SUDDEN = "sudden", _("Sudden severe hardship")


class MonitoringRisk(models.TextChoices):
    """风险类型: what may bring a household (back) into poverty; a monitoring case has one or several."""

    ILLNESS = "illness", _("Illness")
    DISABILITY = "disability", _("Disability")
    ACCIDENT = "accident", _("Accident")
    DISASTER = "disaster", _("Natural disaster")
    SCHOOLING = "schooling", _("Schooling costs")
    LOST_WORK = "lost_work", _("Loss of work")
    FAILED_BUSINESS = "failed_business", _("Failed business")
    HOUSING = "housing", _("Housing safety")
    WATER = "water", _("Drinking water")
    OTHER = "other", pgettext_lazy("risk", "Other")


class Attribute(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary poor household")
    LOW_INCOME = "low_income", _("Minimum-living-allowance household")
    EXTREME_SUPPORT = "extreme_support", _("Extreme-poverty support household")


class PovertyCause(models.TextChoices):
    ILLNESS = "illness", _("Illness")
    DISABILITY = "disability", _("Disability")
    SCHOOLING = "schooling", _("Schooling costs")
    DISASTER = "disaster", _("Disaster")
    LAND = "land", _("Lack of land")
    WATER = "water", _("Lack of water")
    SKILLS = "skills", _("Lack of skills")
    LABOUR = "labour", _("Lack of labour")
    FUNDS = "funds", _("Lack of funds")
    TRANSPORT = "transport", _("Poor transport")
    MOTIVATION = "motivation", _("Lack of self-motivation")
    # Behavioural causes the town plan singles out for "five mutual" activities.
    LAZINESS = "laziness", _("Laziness")
    GAMBLING = "gambling", _("Gambling")
    MARRIAGE = "marriage", _("Marriage costs")
    ELDER_NEGLECT = "elder_neglect", _("Children not supporting the elderly")


class HousingGrade(models.TextChoices):
    A = "A", _("A (safe)")
    B = "B", _("B (safe)")
    C = "C", _("C (dilapidated)")
    D = "D", _("D (dilapidated)")


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    SON = "son", _("Son")
    DAUGHTER = "daughter", _("Daughter")
    DAUGHTER_IN_LAW = "daughter_in_law", _("Daughter-in-law")
    SON_IN_LAW = "son_in_law", _("Son-in-law")
    GRANDSON = "grandson", _("Grandson")
    GRANDDAUGHTER = "granddaughter", _("Granddaughter")
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")
    OTHER = "other", pgettext_lazy("relation", "Other")


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Education(models.TextChoices):
    ILLITERATE = "illiterate", _("Illiterate or semi-literate")
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior middle school")
    SENIOR = "senior", _("Senior middle school")
    COLLEGE = "college", _("College or above")


class StudentStatus(models.TextChoices):
    PRESCHOOL = "preschool", _("Preschool")
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior middle school")
    SENIOR = "senior", _("Senior middle school")
    VOCATIONAL = "vocational", _("Secondary vocational")
    HIGHER_VOCATIONAL = "higher_vocational", _("Higher vocational")
    COLLEGE = "college", _("Junior college")
    UNIVERSITY = "university", _("University or above")


class Health(models.TextChoices):
    HEALTHY = "healthy", _("Healthy")
    CHRONIC = "chronic", _("Long-term chronic illness")
    SERIOUS = "serious", _("Serious illness")
    DISABLED = "disabled", _("Disabled")


class WorkAbility(models.TextChoices):
    NORMAL = "normal", _("Ordinary labour")
    SKILLED = "skilled", _("Skilled labour")
    WEAK = "weak", _("Weak or half labour")
    LOST = "lost", _("Lost the ability to work")
    NONE = "none", _("No labour (child, student or elderly)")


class MigrantWork(models.TextChoices):
    IN_TOWN = "in_town", _("Within the town")
    IN_COUNTY = "in_county", _("Within the county")
    IN_PROVINCE = "in_province", _("In the province, outside the county")
    OUT_OF_PROVINCE = "out_of_province", _("Outside the province")


class AssessmentItem(models.TextChoices):
    """The exit standard: two no-worries, three guarantees, and safe drinking water."""

    FOOD = "food", _("No worry about food")
    CLOTHING = "clothing", _("No worry about clothing")
    EDUCATION = "education", _("Compulsory education guaranteed")
    MEDICAL = "medical", _("Basic medical care guaranteed")
    HOUSING = "housing", _("Safe housing guaranteed")
    WATER = "water", _("Safe drinking water")

    @property
    def verdict_field(self) -> str:
        return f"{self.value}_ok"

    @property
    def note_field(self) -> str:
        return f"{self.value}_note"


class AssignmentRole(models.TextChoices):
    RESPONSIBLE = "responsible", _("Responsible person")
    CONTACT = "contact", _("Contact person")
