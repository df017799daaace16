"""The roster's columns (ROSTER_FORMAT.md): headers in Chinese and English, level, required, and value lists.

Each value list maps the spellings the format accepts, in both languages, to the
model's choice values; matching ignores spaces and case. A Chinese spelling is the
choice's own label (households/choices.py, translated in locale/), written once;
the few the format accepts besides the labels are aliases, each with its reason.
"""

from dataclasses import dataclass
from typing import Any

from django.db import models

from households.choices import (
    Attribute,
    Education,
    Health,
    HousingGrade,
    MigrantWork,
    PovertyCause,
    Relation,
    Sex,
    StudentStatus,
    WorkAbility,
)
from households.roster import values
from households.roster.values import ValueList, lookup_key

HOUSEHOLD = "household"
PERSON = "person"


def labelled(english: dict[models.TextChoices, str]) -> list[tuple[Any, str, Any]]:
    """(Chinese, English, value) for each choice named, in order: its label for the Chinese, the roster's spelling.

    The roster's English is its own, shorter than the label ("head", not "Head of household").
    """
    return [(choice.label, spelling, choice) for choice, spelling in english.items()]


RELATIONS = ValueList(
    labelled(
        {
            Relation.HEAD: "head",
            Relation.SPOUSE: "spouse",
            Relation.SON: "son",
            Relation.DAUGHTER: "daughter",
            Relation.DAUGHTER_IN_LAW: "daughter-in-law",
            Relation.SON_IN_LAW: "son-in-law",
            Relation.GRANDSON: "grandson",
            Relation.GRANDDAUGHTER: "granddaughter",
            Relation.FATHER: "father",
            Relation.MOTHER: "mother",
            Relation.OTHER: "other",
        }
    )
)
SEXES = ValueList(labelled({Sex.MALE: "male", Sex.FEMALE: "female"}))
EDUCATIONS = ValueList(
    labelled(
        {
            Education.ILLITERATE: "illiterate",
            Education.PRIMARY: "primary",
            Education.JUNIOR: "junior",
            Education.SENIOR: "senior",
            Education.COLLEGE: "college",
        }
    )
)
STUDENT_STATUSES = ValueList(
    [
        *labelled({StudentStatus.PRESCHOOL: "preschool", StudentStatus.PRIMARY: "primary"}),
        # Aliases, not the label: the registry names a junior-middle-school pupil by grade, and the
        # roster has never accepted the label 初中 here.
        ("七年级", "junior", StudentStatus.JUNIOR),
        ("八年级", "junior", StudentStatus.JUNIOR),
        ("九年级", "junior", StudentStatus.JUNIOR),
        *labelled(
            {
                StudentStatus.SENIOR: "senior",
                StudentStatus.VOCATIONAL: "vocational",
                StudentStatus.HIGHER_VOCATIONAL: "higher vocational",
                StudentStatus.COLLEGE: "college",
                StudentStatus.UNIVERSITY: "university",
            }
        ),
    ]
)
HEALTH = ValueList(
    labelled(
        {
            Health.HEALTHY: "healthy",
            Health.CHRONIC: "chronic",
            Health.SERIOUS: "serious illness",
            Health.DISABLED: "disabled",
        }
    )
)
WORK_ABILITIES = ValueList(
    labelled(
        {
            WorkAbility.NORMAL: "normal",
            WorkAbility.SKILLED: "skilled",
            WorkAbility.WEAK: "weak",
            WorkAbility.LOST: "lost",
            WorkAbility.NONE: "none",
        }
    )
)
MIGRANT_WORK = ValueList(
    labelled(
        {
            MigrantWork.IN_TOWN: "in town",
            MigrantWork.IN_COUNTY: "in county",
            MigrantWork.IN_PROVINCE: "in province",
            MigrantWork.OUT_OF_PROVINCE: "out of province",
        }
    )
)
YES_NO = ValueList([("是", "yes", True), ("否", "no", False)], extra={"Y": True, "1": True, "N": False, "0": False})
ATTRIBUTES = ValueList(
    labelled(
        {
            Attribute.ORDINARY: "ordinary",
            Attribute.LOW_INCOME: "low-income allowance",
            Attribute.EXTREME_SUPPORT: "extreme-poverty support",
        }
    )
)
# The national registry's eleven causes; the behavioural causes the town plan adds (laziness,
# gambling, marriage costs, children not supporting the elderly) are not in the roster format.
CAUSES = ValueList(
    labelled(
        {
            PovertyCause.ILLNESS: "illness",
            PovertyCause.DISABILITY: "disability",
            PovertyCause.SCHOOLING: "schooling",
            PovertyCause.DISASTER: "disaster",
            PovertyCause.LAND: "land",
            PovertyCause.WATER: "water",
            PovertyCause.SKILLS: "skills",
            PovertyCause.LABOUR: "labour",
            PovertyCause.FUNDS: "funds",
            PovertyCause.TRANSPORT: "transport",
            PovertyCause.MOTIVATION: "motivation",
        }
    )
)
# The grade letters alone, as the registry writes them, not the labels ("A级（安全）").
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
