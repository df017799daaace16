"""The roster's columns (ROSTER_FORMAT.md): headers in Chinese and English, level, required, and value lists.

Each value list maps the spellings the format accepts, in both languages, to the
model's choice values; matching ignores spaces and case.
"""

from dataclasses import dataclass
from typing import Any

from households.choices import (
    Attribute,
    Education,
    Health,
    HousingGrade,
    MigrantWork,
    PovertyCause,
    Relation,
    StudentStatus,
    WorkAbility,
)
from households.idnumbers import FEMALE, MALE
from households.roster import values
from households.roster.values import ValueList, lookup_key

HOUSEHOLD = "household"
PERSON = "person"

RELATIONS = ValueList(
    [
        ("户主", "head", Relation.HEAD),
        ("配偶", "spouse", Relation.SPOUSE),
        ("之子", "son", Relation.SON),
        ("之女", "daughter", Relation.DAUGHTER),
        ("之儿媳", "daughter-in-law", Relation.DAUGHTER_IN_LAW),
        ("之女婿", "son-in-law", Relation.SON_IN_LAW),
        ("之孙子", "grandson", Relation.GRANDSON),
        ("之孙女", "granddaughter", Relation.GRANDDAUGHTER),
        ("之父", "father", Relation.FATHER),
        ("之母", "mother", Relation.MOTHER),
        ("其他", "other", Relation.OTHER),
    ]
)
SEXES = ValueList([("男", "male", MALE), ("女", "female", FEMALE)])
EDUCATIONS = ValueList(
    [
        ("文盲或半文盲", "illiterate", Education.ILLITERATE),
        ("小学", "primary", Education.PRIMARY),
        ("初中", "junior", Education.JUNIOR),
        ("高中", "senior", Education.SENIOR),
        ("大专及以上", "college", Education.COLLEGE),
    ]
)
STUDENT_STATUSES = ValueList(
    [
        ("学前教育", "preschool", StudentStatus.PRESCHOOL),
        ("小学", "primary", StudentStatus.PRIMARY),
        ("七年级", "junior", StudentStatus.JUNIOR),
        ("八年级", "junior", StudentStatus.JUNIOR),
        ("九年级", "junior", StudentStatus.JUNIOR),
        ("高中", "senior", StudentStatus.SENIOR),
        ("中职", "vocational", StudentStatus.VOCATIONAL),
        ("高职", "higher vocational", StudentStatus.HIGHER_VOCATIONAL),
        ("大专", "college", StudentStatus.COLLEGE),
        ("本科及以上", "university", StudentStatus.UNIVERSITY),
    ]
)
HEALTH = ValueList(
    [
        ("健康", "healthy", Health.HEALTHY),
        ("长期慢性病", "chronic", Health.CHRONIC),
        ("患有大病", "serious illness", Health.SERIOUS),
        ("残疾", "disabled", Health.DISABLED),
    ]
)
WORK_ABILITIES = ValueList(
    [
        ("普通劳动力", "normal", WorkAbility.NORMAL),
        ("技能劳动力", "skilled", WorkAbility.SKILLED),
        ("弱劳动力或半劳动力", "weak", WorkAbility.WEAK),
        ("丧失劳动力", "lost", WorkAbility.LOST),
        ("无劳动力", "none", WorkAbility.NONE),
    ]
)
MIGRANT_WORK = ValueList(
    [
        ("乡镇内", "in town", MigrantWork.IN_TOWN),
        ("县内", "in county", MigrantWork.IN_COUNTY),
        ("省内县外", "in province", MigrantWork.IN_PROVINCE),
        ("省外", "out of province", MigrantWork.OUT_OF_PROVINCE),
    ]
)
YES_NO = ValueList([("是", "yes", True), ("否", "no", False)], extra={"Y": True, "1": True, "N": False, "0": False})
ATTRIBUTES = ValueList(
    [
        ("一般贫困户", "ordinary", Attribute.ORDINARY),
        ("低保贫困户", "low-income allowance", Attribute.LOW_INCOME),
        ("特困供养贫困户", "extreme-poverty support", Attribute.EXTREME_SUPPORT),
    ]
)
CAUSES = ValueList(
    [
        ("因病", "illness", PovertyCause.ILLNESS),
        ("因残", "disability", PovertyCause.DISABILITY),
        ("因学", "schooling", PovertyCause.SCHOOLING),
        ("因灾", "disaster", PovertyCause.DISASTER),
        ("缺土地", "land", PovertyCause.LAND),
        ("缺水", "water", PovertyCause.WATER),
        ("缺技术", "skills", PovertyCause.SKILLS),
        ("缺劳力", "labour", PovertyCause.LABOUR),
        ("缺资金", "funds", PovertyCause.FUNDS),
        ("交通条件落后", "transport", PovertyCause.TRANSPORT),
        ("自身发展动力不足", "motivation", PovertyCause.MOTIVATION),
    ]
)
HOUSING_GRADES = ValueList([(grade, grade, grade) for grade in HousingGrade.values])

FIRST_IDENTIFIED_YEAR, LAST_IDENTIFIED_YEAR = 2013, 2020
FIRST_EXIT_YEAR, LAST_EXIT_YEAR = 2014, 2020


@dataclass(frozen=True)
class Column:
    key: str  # the model field it fills (a household's or a member's)
    zh: str
    en: str
    level: str
    required: bool
    parse: values.Parser
    value_list: ValueList | None = None
    note_zh: str = ""
    note_en: str = ""

    def header(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    @property
    def both(self) -> str:
        return f"{self.zh} / {self.en}"

    def read(self, cell: Any, context: values.Context):
        """The cell's value, None when blank; raises CellError."""
        if values.text_of(cell) == "":
            return None
        return self.parse(cell, context)


def _column(key, zh, en, level, required, parse, value_list=None, note_zh="", note_en=""):
    return Column(key, zh, en, level, required, parse, value_list, note_zh, note_en)


COLUMNS: list[Column] = [
    _column(
        "village",
        "行政村",
        "village",
        HOUSEHOLD,
        True,
        values.text(50),
        None,
        "本镇已有的行政村名称",
        "an existing village of the town",
    ),
    _column(
        "group",
        "村民小组",
        "group",
        HOUSEHOLD,
        False,
        values.text(50),
        None,
        "新的小组会自动建立",
        "created under the village if new",
    ),
    _column(
        "number",
        "户编号",
        "household number",
        HOUSEHOLD,
        True,
        values.code_text(32),
        None,
        "全镇唯一",
        "unique in the town",
    ),
    _column("name", "姓名", "name", PERSON, True, values.person_name(50)),
    _column(
        "id_number",
        "证件号码",
        "id number",
        PERSON,
        True,
        values.id_number,
        None,
        "18位，末位可为X，校验位正确；请设为文本格式",
        "18 characters, the last may be X, valid checksum; format the column as text",
    ),
    _column(
        "relation",
        "与户主关系",
        "relation",
        PERSON,
        True,
        values.choice(RELATIONS),
        RELATIONS,
        "每户恰好一名户主",
        "exactly one head per household",
    ),
    _column(
        "sex",
        "性别",
        "sex",
        PERSON,
        False,
        values.choice(SEXES),
        SEXES,
        "须与证件号码一致",
        "must agree with the ID number",
    ),
    _column(
        "birth_date",
        "出生日期",
        "birth date",
        PERSON,
        False,
        values.date,
        None,
        "日期，或 YYYY-MM-DD、YYYY/MM/DD、YYYYMMDD；须与证件号码一致",
        "a date, or YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD; must agree with the ID number",
    ),
    _column("ethnicity", "民族", "ethnicity", PERSON, False, values.text(20), None, "如：汉族", "e.g. 汉族"),
    _column("education", "文化程度", "education", PERSON, False, values.choice(EDUCATIONS), EDUCATIONS),
    _column(
        "student_status",
        "在校生状况",
        "student status",
        PERSON,
        False,
        values.choice(STUDENT_STATUSES),
        STUDENT_STATUSES,
        "非在校生留空",
        "blank if not a student",
    ),
    _column("health", "健康状况", "health", PERSON, False, values.choice(HEALTH), HEALTH),
    _column(
        "disability_grade",
        "残疾等级",
        "disability grade",
        PERSON,
        False,
        values.disability_grade,
        None,
        "1-4 或 一级…四级，仅限残疾人",
        "1-4 or 一级 … 四级, only for a disabled member",
    ),
    _column("work_ability", "劳动技能", "work ability", PERSON, False, values.choice(WORK_ABILITIES), WORK_ABILITIES),
    _column(
        "migrant_work",
        "务工状况",
        "migrant work",
        PERSON,
        False,
        values.choice(MIGRANT_WORK),
        MIGRANT_WORK,
        "未务工留空",
        "blank if none",
    ),
    _column(
        "work_months",
        "务工时间（月）",
        "work months",
        PERSON,
        False,
        values.number_between(0, 12),
        None,
        "0-12",
        "0-12",
    ),
    _column(
        "medical_insurance",
        "是否参加城乡居民基本医疗保险",
        "medical insurance",
        PERSON,
        False,
        values.choice(YES_NO),
        YES_NO,
        "是 / 否 / Y / N / 1 / 0",
        "yes / no / Y / N / 1 / 0",
    ),
    _column("attribute", "贫困户属性", "household attribute", HOUSEHOLD, False, values.choice(ATTRIBUTES), ATTRIBUTES),
    _column("main_cause", "主要致贫原因", "main poverty cause", HOUSEHOLD, True, values.choice(CAUSES), CAUSES),
    _column(
        "other_causes",
        "其他致贫原因",
        "other poverty causes",
        HOUSEHOLD,
        False,
        values.choice_list(CAUSES),
        CAUSES,
        "取值同上，以 、 , ; 或空格分隔",
        "the same values, separated by 、 , ; or spaces",
    ),
    _column(
        "exit_year",
        "脱贫年度",
        "exit year",
        HOUSEHOLD,
        False,
        values.number_between(FIRST_EXIT_YEAR, LAST_EXIT_YEAR),
        None,
        f"{FIRST_EXIT_YEAR}-{LAST_EXIT_YEAR}，未脱贫留空",
        f"{FIRST_EXIT_YEAR}-{LAST_EXIT_YEAR}, blank if not exited",
    ),
    _column(
        "identified_year",
        "识别年度",
        "identified year",
        HOUSEHOLD,
        False,
        values.number_between(FIRST_IDENTIFIED_YEAR, LAST_IDENTIFIED_YEAR),
        None,
        f"{FIRST_IDENTIFIED_YEAR}-{LAST_IDENTIFIED_YEAR}",
        f"{FIRST_IDENTIFIED_YEAR}-{LAST_IDENTIFIED_YEAR}",
    ),
    _column(
        "phone",
        "联系电话",
        "phone",
        HOUSEHOLD,
        False,
        values.phone(30),
        None,
        "数字、空格和横线",
        "digits, spaces and dashes",
    ),
    _column(
        "housing_grade",
        "住房安全等级",
        "housing grade",
        HOUSEHOLD,
        False,
        values.choice(HOUSING_GRADES),
        HOUSING_GRADES,
    ),
]

BY_KEY = {column.key: column for column in COLUMNS}
BY_HEADER = {lookup_key(header): column for column in COLUMNS for header in (column.zh, column.en)}
REQUIRED = [column for column in COLUMNS if column.required]
HOUSEHOLD_KEYS = [column.key for column in COLUMNS if column.level == HOUSEHOLD]
PERSON_KEYS = [column.key for column in COLUMNS if column.level == PERSON]


def match_header(cell: Any) -> Column | None:
    """The column a header cell names, in either language; None for anything else."""
    text = values.text_of(cell)
    return BY_HEADER.get(lookup_key(text)) if text else None
