"""The demo town's figures and shapes: villages, users, sizes, causes, names, income targets."""

import datetime as dt
from dataclasses import dataclass

from accounts.models import Role
from households import idnumbers
from households.choices import (
    AssessmentItem,
    PovertyCause,
    Relation,
)
from households.models import (
    Town,
    Village,
)

TOWN_NAME = "固镇"
TOWN_CODE = "340321001"
REGION_CODE = "340321"
SEED = 2020
DEMO_PASSWORD = "townaid-demo"
AS_OF = dt.date(2020, 1, 1)
BATCH_SIZE = 500

EXITED_PEOPLE = 4425
UNEXITED_PEOPLE = 70
UNEXITED_ASSESSED_FROM = dt.date(2020, 1, 5)
UNEXITED_ASSESSED_UNTIL = dt.date(2020, 3, 31)
ASSIGNED_FROM = dt.date(2020, 1, 1)
ASSIGNED_EXITED_HOUSEHOLDS = 5

IDENTIFIED_REASON = "建档立卡识别"
EXIT_REASON = "经村评议、乡镇审核、县级审定，达到脱贫标准"

# Income: 2019 and 2020 for every household, judged against the plan's 2020 line.
# Its own random stream, so that adding income left every earlier draw unchanged.
INCOME_SEED = SEED * 10 + 1
INCOME_YEARS = (2019, 2020)
LINE_YEAR, LINE_YUAN = 2020, 5000
EXITED_BELOW_LINE = 6  # exited households whose 2020 income fell to the line or below: the ones to watch
EXITED_SHARP_DROPS = 4  # still above the line, but down by far more than 30% on 2019
UNEXITED_READY = 10  # unexited households above the line in 2020 that also pass every 2W3G item
# Per-capita income as a multiple of the line, drawn from these ranges; the
# margins keep every household clearly on its side of the line after rounding.
EXITED_2020 = (1.2, 3.2)
EXITED_GROWTH = (0.9, 1.15)  # 2020 on 2019: at most a 10% fall, never a flag
BELOW_2020 = (0.72, 0.96)
BELOW_2019 = (1.05, 1.3)
DROP_2020 = (1.1, 1.6)
DROP_FACTOR = (0.45, 0.62)  # 2020 on 2019: a fall of 38-55%
UNEXITED_2019 = (0.5, 0.9)
UNEXITED_ABOVE_2020 = (1.04, 1.4)
UNEXITED_BELOW_2020 = (0.7, 0.97)
CLASSIFIED_ON = dt.date(2020, 12, 31)
CLASSIFIED_AT = (2020, 12, 31, 10, 0)
OVERRIDES = (
    ("stable", "consolidation", "主要劳动力务工收入不稳定，经村评议继续巩固提升"),
    ("stable", "consolidation", "种植业受灾风险大，暂列巩固提升户"),
    ("consolidation", "stable", "产业稳定、务工收入有保障，经村评议列为稳定脱贫户"),
    ("consolidation", "stable", "子女均已就业并按月赡养，家庭收入稳定"),
)


@dataclass(frozen=True)
class VillagePlan:
    name: str
    groups: int
    exited: int
    unexited: int


# Unequal but plausible: the exited column sums to 1,654 and the unexited one to 25.
VILLAGES = (
    VillagePlan("东风村", 6, 182, 4),
    VillagePlan("红旗村", 5, 165, 3),
    VillagePlan("新集村", 7, 198, 2),
    VillagePlan("王庄村", 4, 121, 3),
    VillagePlan("李圩村", 6, 143, 1),
    VillagePlan("张湖村", 8, 176, 2),
    VillagePlan("刘集村", 5, 139, 3),
    VillagePlan("陈桥村", 6, 154, 2),
    VillagePlan("杨楼村", 4, 112, 1),
    VillagePlan("赵圩村", 7, 150, 2),
    VillagePlan("孙岗村", 5, 114, 2),
)
ASSIGNED_VILLAGE = "东风村"
NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class UserPlan:
    username: str
    role: str
    last_name: str
    first_name: str
    superuser: bool = False
    in_town: bool = False
    village: str = ""


DEMO_USERS = (
    UserPlan("admin", Role.ADMIN, "周", "文斌", superuser=True, in_town=True),
    UserPlan("official", Role.OFFICIAL, "王", "志强", in_town=True),
    UserPlan("cadre", Role.CADRE, "李", "红梅", village="东风村"),
    UserPlan("cadre2", Role.CADRE, "张", "国庆", village="红旗村"),
    UserPlan("helper", Role.RESPONSIBLE, "陈", "晓东"),
)


@dataclass(frozen=True)
class Failure:
    """How a still-poor household falls short of the exit standard, and what the registry shows for it."""

    notes: dict[AssessmentItem, str]
    housing_grade: str = ""
    uninsured_member: bool = False


# No dropout among them: every child of compulsory-school age in the demo is at school.
FAILURES = (
    Failure({AssessmentItem.HOUSING: "C级危房，待改造"}, housing_grade="C"),
    Failure({AssessmentItem.MEDICAL: "家庭医生未签约"}),
    Failure({AssessmentItem.WATER: "饮水不便，自来水未入户"}),
    Failure(
        {
            AssessmentItem.HOUSING: "D级危房，已列入2020年危房改造计划",
            AssessmentItem.MEDICAL: "一名成员未参加城乡居民基本医疗保险",
        },
        housing_grade="D",
        uninsured_member=True,
    ),
)

SIZES = (1, 2, 3, 4, 5, 6)
SIZE_WEIGHTS = (20, 32, 20, 16, 9, 3)
EXIT_YEARS = {2014: 10, 2015: 16, 2016: 22, 2017: 24, 2018: 18, 2019: 10}
EXITED_IDENTIFIED_YEARS = {2013: 10, 2014: 55, 2015: 20, 2016: 15}
UNEXITED_IDENTIFIED_YEARS = {2014: 50, 2015: 12, 2016: 12, 2017: 10, 2018: 8, 2019: 8}
MAIN_CAUSES = {
    PovertyCause.ILLNESS: 30,
    PovertyCause.DISABILITY: 18,
    PovertyCause.SKILLS: 14,
    PovertyCause.LABOUR: 12,
    PovertyCause.FUNDS: 10,
    PovertyCause.SCHOOLING: 5,
    PovertyCause.MOTIVATION: 3,
    PovertyCause.DISASTER: 2,
    PovertyCause.LAND: 1,
    PovertyCause.WATER: 1,
    PovertyCause.TRANSPORT: 1,
    PovertyCause.LAZINESS: 1,
    PovertyCause.ELDER_NEGLECT: 1,
    PovertyCause.GAMBLING: 0.5,
    PovertyCause.MARRIAGE: 0.5,
}
OTHER_CAUSES = (
    PovertyCause.ILLNESS,
    PovertyCause.DISABILITY,
    PovertyCause.SCHOOLING,
    PovertyCause.SKILLS,
    PovertyCause.LABOUR,
    PovertyCause.FUNDS,
    PovertyCause.TRANSPORT,
    PovertyCause.MOTIVATION,
)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
MALE_NAME_CHARS = "伟强磊军勇杰涛明超刚平辉建国华志文斌鹏飞鑫宇浩俊峰海波东林德福贵成春山永庆"
FEMALE_NAME_CHARS = "芳娜敏静丽艳娟霞秀英玲桂兰红梅凤琴云莲玉珍婷雪慧燕萍洁翠"
MALE, FEMALE = idnumbers.MALE, idnumbers.FEMALE
CHILD = {MALE: Relation.SON, FEMALE: Relation.DAUGHTER}
GRANDCHILD = {MALE: Relation.GRANDSON, FEMALE: Relation.GRANDDAUGHTER}


@dataclass(eq=False)  # compared by identity: two plans may look alike
class HouseholdPlan:
    village: Village
    status: str
    size: int = 0
    failure: Failure | None = None


@dataclass(eq=False)
class Person:
    """A relative before it becomes a Member: who, and how old at the start of 2020."""

    relation: str
    sex: str
    age: int
    surname: str


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    password: str | None  # None: the user was already there and keeps its password


@dataclass(frozen=True)
class TownCounts:
    exited_households: int
    exited_people: int
    unexited_households: int
    unexited_people: int


@dataclass(frozen=True)
class SeedResult:
    town: Town
    created: bool
    logins: list[Login]
    counts: TownCounts
