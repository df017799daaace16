"""The demo town's figures and shapes: villages, users, sizes, causes, names, and what happens in which year."""

import datetime as dt
from dataclasses import dataclass, field

from accounts.models import Role
from households import idnumbers
from households.choices import (
    AssessmentItem,
    Health,
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
AS_OF = dt.date(2020, 1, 1)  # the plan's day: ages are reckoned on it, and the 2020 target counts who was poor then
BATCH_SIZE = 500

EXITED_PEOPLE = 4425
UNEXITED_PEOPLE = 70

IDENTIFIED_REASON = "建档立卡识别"
EXIT_REASON = "经村评议、乡镇审核、县级审定，达到脱贫标准"
EXIT_DAY = (12, 20)  # 2014-2019: the county announced each year's exits in December
EXIT_CHECKED_FROM, EXIT_CHECK_DAYS = (10, 1), 70  # ...after a 2W3G check in the autumn
# Status changes from 2020 on fall in the first half of a month, when the town's review meets: before the
# visit job's due-soon day, so a household owes that month's visits under its new status only.
CHANGE_DAYS = (5, 15)

# ---------------------------------------------------------------- 2020: the plan year

# The cohort's first check of the year, on the responsible person's first visit.
COHORT_CHECKED_FROM, COHORT_CHECKED_UNTIL = dt.date(2020, 1, 6), dt.date(2020, 1, 17)
# The months of 2020 in which the 25 left poverty (25 in all); those waiting for a repair go last.
COHORT_EXIT_MONTHS = {3: 2, 4: 2, 5: 2, 6: 3, 7: 2, 8: 2, 9: 3, 10: 3, 11: 3, 12: 3}
FIXED_BEFORE_EXIT = dt.timedelta(days=20)  # at least: the exit procedure verifies the repair

# ---------------------------------------------------------------- income lines and income

# Its own random stream, so that changing income leaves every other draw unchanged.
INCOME_SEED = SEED * 10 + 1
# Per-capita lines by year. Demo figures: 2020's 5,000 is the plan's; the years before rise to it as
# the province's exit standard did, and from 2021 they are the monitoring line, raised every year.
LINES = {
    2013: 2700, 2014: 2800, 2015: 3000, 2016: 3200, 2017: 3400, 2018: 3700, 2019: 4000, 2020: 5000,
    2021: 5600, 2022: 6000, 2023: 6400, 2024: 6800, 2025: 7200,
}  # fmt: skip
LINE_RAISE = 400  # a year, after the last year above
LINE_YEAR, LINE_YUAN = 2020, LINES[2020]


def income_line(year: int) -> int:
    last = max(LINES)
    return LINES[year] if year in LINES else LINES[last] + LINE_RAISE * (year - last)


# Per-capita income as a multiple of its year's line, drawn from these ranges; the margins keep every
# household clearly on its side of the line after rounding.
POOR = (0.55, 0.92)  # the years before a household left poverty
EXIT_YEAR_RATIO = (1.1, 1.6)  # the year it left, 2014-2019
COHORT_2020 = (1.06, 1.45)  # the 25 in 2020
YEARLY_CHANGE = (0.95, 1.15)  # after exit, on the year before
FLOOR, CEILING = (1.1, 1.25), 3.4  # an exited household drifting to the line is pulled back above it
HIT = (0.6, 0.92)  # the year a risk struck
RECOVERING = (0.8, 1.05)  # each later year still monitored
RECOVERED = (1.15, 1.5)  # the year the risk was removed
EXITED_SHARP_DROPS = 4  # still above the line this year, but down by far more than 30% on last year
DROP_FACTOR = (0.45, 0.62)
SHARP_DROP_FROM = 1.7  # last year's ratio, carried to this year's line, that a drop can take and stay above

# ---------------------------------------------------------------- after 2020: consolidation

RISKS_FROM = dt.date(2021, 3, 1)  # when monitoring found the first new risk
RISK_FOUND_DAYS = (7, 15)  # from the visit that found it to the county's confirmation: within the 15-day deadline
RISK_SETTLED = (240, 420)  # days of monitoring before the risk can be removed: half a year stable at least
REPAIRED_AFTER = (45, 150)  # days from the confirmation to the repair of what the risk broke
RISK_REMOVED_REASON = (
    "收入持续稳定超过监测线半年以上，“两不愁三保障”及饮水安全有保障，经村民主评议、公示和乡镇审核、县级确认，风险消除"
)
MONITORING_STEPS = "经村评议、乡镇审核、县级确认，纳入防返贫动态监测"
MARGINAL_FROM = dt.date(2022, 3, 1)  # never poor, registered as 边缘易致贫户 when found (MARGINAL_RISKS)
MARGINAL_VILLAGES = ("东风村", "红旗村")
REVIEW_DAY = (12, 15)  # the town's yearly review of the classes after exit
REVIEW_AT = dt.time(10, 0)
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
class Repair:
    """How a failing item was put right in 2020: the assessment's new note, between which days."""

    note: str
    earliest: dt.date
    latest: dt.date


@dataclass(frozen=True)
class Failure:
    """How a still-poor household falls short of the exit standard, what the registry shows, and its repair."""

    notes: dict[AssessmentItem, str]
    housing_grade: str = ""
    uninsured_member: bool = False
    repairs: dict[AssessmentItem, Repair] = field(default_factory=dict)
    repaired_grade: str = ""


# No dropout among them: every child of compulsory-school age in the demo is at school.
FAILURES = (
    Failure(
        {AssessmentItem.HOUSING: "C级危房，待改造"},
        housing_grade="C",
        repairs={
            AssessmentItem.HOUSING: Repair(
                "危房加固改造已完成，经鉴定为B级，住房安全有保障", dt.date(2020, 5, 11), dt.date(2020, 8, 28)
            )
        },
        repaired_grade="B",
    ),
    Failure(
        {AssessmentItem.MEDICAL: "家庭医生未签约"},
        repairs={AssessmentItem.MEDICAL: Repair("已签约家庭医生", dt.date(2020, 2, 10), dt.date(2020, 4, 30))},
    ),
    Failure(
        {AssessmentItem.WATER: "饮水不便，自来水未入户"},
        repairs={
            AssessmentItem.WATER: Repair(
                "供水管网延伸入户，自来水已入户，饮水安全有保障", dt.date(2020, 4, 1), dt.date(2020, 7, 31)
            )
        },
    ),
    Failure(
        {
            AssessmentItem.HOUSING: "D级危房，已列入2020年危房改造计划",
            AssessmentItem.MEDICAL: "一名成员未参加城乡居民基本医疗保险",
        },
        housing_grade="D",
        uninsured_member=True,
        repairs={
            AssessmentItem.MEDICAL: Repair(
                "全家均已参加城乡居民基本医疗保险", dt.date(2020, 2, 10), dt.date(2020, 3, 31)
            ),
            AssessmentItem.HOUSING: Repair(
                "危房拆除重建已完成，经鉴定为A级，住房安全有保障", dt.date(2020, 6, 1), dt.date(2020, 9, 18)
            ),
        },
        repaired_grade="A",
    ),
)


@dataclass(frozen=True)
class Risk:
    """A hardship that put an exited household at risk of returning to poverty (风险类型), and what it did.

    `found` is what the visit that found it says; `broke` the 2W3G items it made
    fail (with the assessment's note) and `repaired` their notes once put right;
    `member_health` what it did to one member, `member` which one.
    """

    key: str
    reason: str
    found: str
    follow_ups: tuple[str, ...]
    income_change: str
    broke: dict[AssessmentItem, str] = field(default_factory=dict)
    repaired: dict[AssessmentItem, str] = field(default_factory=dict)
    housing_grade: str = ""
    repaired_grade: str = ""
    member_health: str = ""
    member: str = "any"  # "head", "spouse", "worker" (able, 18-55), "young" (aged 10-17 in 2020), "any"
    cause: str = ""  # a household never poor: its main cause is the risk's

    @property
    def monitored_reason(self) -> str:
        return f"{self.reason}，{MONITORING_STEPS}"


RISKS = (
    Risk(
        "illness",
        "户主突发脑梗住院，自付医疗费用较大",
        "户主突发脑梗住院治疗，家中主要收入来源中断",
        ("户主出院后在家康复，按时服药复查", "协助办理大病保险和医疗救助报销"),
        "因住院治疗支出增加，家庭收入明显下降",
        member_health=Health.SERIOUS,
        member="head",
    ),
    Risk(
        "accident",
        "主要劳动力在工地务工时摔伤，半年内不能务工",
        "户主在建筑工地务工时摔伤腿部，需休养半年",
        ("伤情逐步好转，已能从事轻体力劳动", "协助申请临时救助"),
        "务工收入中断，家庭收入大幅减少",
        member="worker",
    ),
    Risk(
        "housing",
        "暴雨致房屋墙体开裂，经鉴定为C级危房",
        "暴雨过后房屋墙体开裂，已请县住建局鉴定",
        ("协助申请临时救助", "讲解防返贫动态监测和帮扶政策"),
        "修缮房屋支出较大，家庭收入有所下降",
        broke={AssessmentItem.HOUSING: "暴雨致墙体开裂，经鉴定为C级危房"},
        repaired={AssessmentItem.HOUSING: "房屋加固改造已完成，经鉴定为B级，住房安全有保障"},
        housing_grade="C",
        repaired_grade="B",
    ),
    Risk(
        "work",
        "务工企业停产，主要劳动力返乡待业",
        "务工企业停产，主要劳动力已返乡，暂无收入来源",
        ("推荐到县经济开发区企业应聘", "参加县人社局组织的招聘会"),
        "务工收入中断，家庭收入大幅减少",
        member="worker",
    ),
    Risk(
        "business",
        "养殖的生猪发生疫病，损失较大",
        "养殖的生猪发生疫病，已扑杀处理，损失较大",
        ("联系畜牧兽医站指导圈舍消毒", "协助申请养殖保险理赔"),
        "养殖损失较大，家庭收入明显下降",
    ),
    Risk(
        "schooling",
        "子女考入大学，学费和生活费支出较大",
        "孩子考入省外大学，学费和生活费支出较大",
        ("协助申请雨露计划和生源地助学贷款", "讲解教育资助政策"),
        "教育支出增加，家庭人均收入下降",
        member="young",
    ),
    Risk(
        "water",
        "水源井水量不足，饮水困难",
        "家中水源井水量不足，已向镇供水站反映",
        ("讲解农村供水工程管护政策", "协助申请临时救助"),
        "购买饮用水和打井支出增加",
        broke={AssessmentItem.WATER: "水源井水量不足，饮水困难"},
        repaired={AssessmentItem.WATER: "供水管网延伸入户，自来水已入户，饮水安全有保障"},
    ),
    Risk(
        "disability",
        "家庭成员因车祸致残，需长期照料",
        "家庭成员遭遇车祸致残，需家人长期照料",
        ("协助申请残疾人两项补贴", "联系镇卫生院上门康复指导"),
        "一名劳动力需在家照料病人，务工收入减少",
        member_health=Health.DISABLED,
        member="worker",
    ),
    Risk(
        "illness",
        "户主妻子确诊恶性肿瘤，治疗支出大",
        "户主妻子确诊恶性肿瘤，需长期治疗",
        ("户主妻子按期化疗，病情稳定", "协助办理门诊慢特病待遇"),
        "医疗支出较大，家庭收入明显下降",
        member_health=Health.SERIOUS,
        member="spouse",
    ),
    Risk(
        "disaster",
        "遭受冰雹灾害，种植的葡萄大幅减产",
        "冰雹过后葡萄园受灾严重，今年大幅减产",
        ("协助申请农业保险理赔", "联系县农业农村局技术员指导灾后管护"),
        "葡萄减产，种植收入大幅下降",
    ),
    Risk(
        "work",
        "主要劳动力患病，不能外出务工",
        "主要劳动力患病在家治疗，不能外出务工",
        ("安排村级保洁公益岗位", "督促按时服药、定期复查"),
        "不能外出务工，家庭收入大幅减少",
        member="worker",
    ),
    Risk(
        "illness",
        "户主患尿毒症需长期透析，医疗支出大",
        "户主确诊尿毒症，需每周透析",
        ("户主每周按时透析，病情稳定", "协助办理大病保险和医疗救助报销"),
        "医疗支出较大，家庭收入明显下降",
        member_health=Health.SERIOUS,
        member="head",
    ),
)
# The households never registered as poor that were found close to it (边缘易致贫户).
MARGINAL_RISKS = (
    Risk(
        "illness",
        "家庭成员患重病，医疗支出大，人均收入低于监测线",
        "户主母亲患重病住院，医疗支出大，家庭人均收入低于监测线",
        ("户主母亲出院后在家康复", "协助办理医疗救助"),
        "医疗支出较大，家庭收入明显下降",
        cause=PovertyCause.ILLNESS,
    ),
    Risk(
        "accident",
        "主要劳动力因意外受伤，家庭人均收入低于监测线",
        "户主在务工时受伤，家庭人均收入低于监测线",
        ("户主伤情好转，在家从事庭院种植", "协助申请临时救助"),
        "务工收入中断，家庭收入大幅减少",
        cause=PovertyCause.LABOUR,
    ),
)
MARGINAL_REASON = "边缘易致贫户：{reason}，经农户申报、村评议、乡镇审核、县级确认，纳入防返贫动态监测"
# A household never poor enters the registry as an ordinary rural household (一般农户) the day it applies.
MARGINAL_REGISTERED_REASON = "农户自主申报防返贫监测，登记为一般农户"
MARGINAL_REPORTED_DAYS = (6, 13)  # from its application to the county's confirmation


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


@dataclass(frozen=True)
class Change:
    """A line of a household's status history."""

    on: dt.date
    from_status: str
    to_status: str
    reason: str
    monitor_kind: str = ""


@dataclass(frozen=True)
class Check:
    """A 2W3G assessment: each item's verdict and note."""

    on: dt.date
    verdicts: dict[AssessmentItem, tuple[bool, str]]

    def failing(self) -> list[AssessmentItem]:
        return [item for item in AssessmentItem if not self.verdicts[item][0]]


EXITED_KIND, COHORT_KIND, MARGINAL_KIND = "exited", "cohort", "marginal"


@dataclass(eq=False)  # compared by identity: two plans may look alike
class HouseholdPlan:
    """One household and its story: who it is, then what happened to it and when (households.demo.story)."""

    village: Village
    kind: str  # out of poverty in 2014-2019, still poor at the start of 2020, or never poor (marginal)
    size: int = 0
    failure: Failure | None = None
    changes: list[Change] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    risk: Risk | None = None
    housing_grade: str = ""
    settling: bool = False  # monitored long enough that its risk removal is under way today (monitoring.demo)

    @property
    def first_exit(self) -> dt.date | None:
        return next((c.on for c in self.changes if c.to_status == "exited"), None)

    def status_on(self, day: dt.date) -> str:
        """The status at the end of `day` ("" before its history starts)."""
        status = ""
        for change in self.changes:
            if change.on > day:
                break
            status = change.to_status
        return status

    def check_on(self, day: dt.date) -> Check | None:
        """The assessment in force at the end of `day`."""
        return next((check for check in reversed(self.checks) if check.on <= day), None)


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
    lifted_households: int  # out of poverty in 2014-2019, by exit year
    lifted_people: int
    cohort_households: int  # the 2020 target's cohort, and how many of them are lifted
    cohort_people: int
    cohort_lifted: int
    exited: int  # today
    monitored: int
    unexited: int


@dataclass(frozen=True)
class SeedResult:
    town: Town
    created: bool
    logins: list[Login]
    counts: TownCounts
