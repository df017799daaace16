"""The county's figures and shapes: how many of what, and in which proportions.

Shaped like the demo town (households.demo) scaled to a county: the shares
below give about 1.5% of households still poor, a campaign year (2020) whose
target is every household still poor at its start, and about one visit per
household a month. Texts (findings, measures, project names) come from the demo
modules so that both read alike.
"""

import datetime as dt
from dataclasses import dataclass

from households.choices import HouseholdStatus, MonitorKind

REGION_CODE = "340322"  # the county's division code: town codes and every ID number start with it
AS_OF = dt.date(2020, 1, 1)  # ages are reckoned on this day, as in the demo town
CAMPAIGN_YEAR = 2020
INCOME_YEARS = (2019, 2020)  # the years of the income line the registry ships with (5,000 yuan in 2020)
ASSIGNED_FROM = dt.date(2020, 1, 1)
CLASSIFIED_ON, CLASSIFIED_AT = dt.date(2020, 12, 31), dt.time(10, 0)
USERNAME_PREFIX = "county-"

VILLAGES_PER_TOWN = 30
MIN_HOUSEHOLDS_PER_VILLAGE = 50  # a small run gets fewer villages rather than empty ones
GROUPS_PER_VILLAGE = (4, 8)
HOUSEHOLDS_PER_HELPER = 10  # households one responsible person (帮扶责任人) answers for
SUPPORT_UNITS_PER_VILLAGE = 2

# Shares of each town's households; every other household left poverty in 2014-2019.
CLOSED = 0.003
UNEXITED = 0.015  # still poor today
EXITED_IN_CAMPAIGN = 0.01  # poor at the start of 2020, out by its end: the burn-down
MONITORED = 0.03
MARGINAL = 0.3  # of the monitored: never registered as poor, watched for falling into poverty
EXITED_ASSIGNED = 0.97  # exited households keeping a responsible person; the rest are the gap list
# Months of 2020 in which the campaign's households left poverty: most towards the year's end.
CAMPAIGN_EXIT_MONTHS = {3: 2, 4: 3, 5: 4, 6: 6, 7: 6, 8: 8, 9: 10, 10: 14, 11: 20, 12: 27}

# The share of each status whose latest 2W3G assessment fails an item.
FAILING = {
    HouseholdStatus.UNEXITED: 0.3,
    HouseholdStatus.MONITORED: 0.1,
    HouseholdStatus.EXITED: 0.015,
    HouseholdStatus.CLOSED: 0.0,
}
MONITOR_KINDS = {MonitorKind.UNSTABLE: 1 - MARGINAL, MonitorKind.MARGINAL: MARGINAL}

# Per-capita income of 2019 and 2020 as a multiple of the 2020 line; the margins keep every household
# clearly on its side of the line after rounding.
EXITED_BELOW_LINE = 0.004
EXITED_SHARP_DROP = 0.003
MONITORED_2020 = (0.9, 1.4)
CAMPAIGN_2020 = (1.05, 1.8)
EXITED_2020 = (1.2, 3.2)
EXITED_GROWTH = (0.9, 1.15)  # 2020 on 2019: at most a 10% fall, never a flag
BELOW_2020 = (0.72, 0.96)
BELOW_2019 = (1.05, 1.3)
DROP_2020 = (1.1, 1.6)
DROP_FACTOR = (0.45, 0.62)  # 2020 on 2019: a fall of 38-55%
UNEXITED_2019 = (0.5, 0.9)
UNEXITED_ABOVE_2020 = (1.04, 1.4)
UNEXITED_BELOW_2020 = (0.7, 0.97)
UNEXITED_READY = 0.4  # of the households still poor, the share above the line in 2020

LOANS = 0.03  # households with a small loan, among those with an able member
LOAN_KINDS = {"repaid": 20, "overdue": 15, "due_soon": 15, "current": 50}

# Visits: about one a month per household with a responsible person, and the
# contact person's too for the households still poor.
VISIT_MISSED = 0.08
VISIT_MISSED_IN_HARVEST = 0.15
VISIT_LOGGED_THIS_MONTH = 0.6
SECOND_VISIT = 0.16  # a visitor back within the month about what they found
BY_PHONE = 0.15

# Infrastructure: projects per village in the campaign year and this year.
PROJECTS_CAMPAIGN_YEAR = (2, 3)
PROJECTS_THIS_YEAR = (1, 2)
PROJECT_LATE = 0.1
PROJECT_CANCELLED = 0.03
PROJECT_STALLED = 0.15

TOWN_NAMES = (
    "城关镇", "新集镇", "小圩镇", "临北镇", "朱顶镇", "双忠庙镇", "申集镇", "沱湖乡", "头铺镇", "大新镇",
    "东刘集镇", "浍南镇", "武桥镇", "小溪镇", "朝阳镇", "马桥镇", "仲兴镇", "沫河口镇", "大庙镇", "刘府镇",
)  # fmt: skip
VILLAGE_NAMES = (
    "东风", "红旗", "新集", "王庄", "李圩", "张湖", "刘集", "陈桥", "杨楼", "赵圩", "孙岗", "向阳", "胜利",
    "光明", "团结", "新华", "前进", "和平", "幸福", "建设", "大李", "小王", "周圩", "吴庄", "徐楼", "胡集",
    "朱湖", "高桥", "林岗", "何庄", "郭集", "马楼", "罗圩", "黄湾", "沈庄", "韩集", "唐圩", "冯楼", "董庄",
    "萧湖",
)  # fmt: skip
NUMERALS = "一二三四五六七八九十"


def town_name(index: int) -> str:
    return TOWN_NAMES[index] if index < len(TOWN_NAMES) else f"第{index + 1}镇"


def village_name(index: int) -> str:
    base = VILLAGE_NAMES[index % len(VILLAGE_NAMES)]
    rounds = index // len(VILLAGE_NAMES)
    return f"{base}村" if rounds == 0 else f"{base}{NUMERALS[rounds % 10]}村"


@dataclass(frozen=True)
class Options:
    households: int = 100_000
    towns: int = 10
    seed: int = 1
    visits_months: int = 12
    batch_size: int = 10_000
