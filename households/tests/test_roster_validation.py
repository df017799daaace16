"""Every validation rule of the roster format at its boundary, read from workbooks built in code."""

import datetime as dt
import io

import pytest
from django.utils import translation
from openpyxl.utils.datetime import to_excel

from households import idnumbers
from households.choices import Health, Relation
from households.roster import batches, columns
from households.roster.issues import WARNING, Issue, IssueLog
from households.tests import roster_workbooks as rw
from households.tests.factories import HouseholdFactory, MemberFactory, TownFactory, VillageFactory, valid_id_number

pytestmark = pytest.mark.django_db

FIRST = rw.first_data_row()  # the worksheet row of the first person when there are no title rows


def check(data: bytes, *, town=None, sheet_name=""):
    return batches.check(batches.read(io.BytesIO(data), sheet_name=sheet_name), town=town)


def errors(plan) -> list[tuple]:
    return [(issue.row, issue.header, issue.code) for issue in plan.errors]


def one_error(plan):
    assert len(plan.errors) == 1, [(e.row, e.header, e.code, e.params) for e in plan.errors]
    return plan.errors[0]


def members_of(plan) -> list:
    return [member for change in plan.households for member in change.members]


def with_person(**values) -> bytes:
    """A household of one head whose row carries `values`."""
    return rw.workbook(rw.household(members=[rw.person(**values)]))


# ---------------------------------------------------------------- headers and layout


def test_a_roster_with_chinese_headers_is_read_whole(dongfeng):
    plan = check(rw.workbook(rw.household() + rw.household()))
    assert plan.ok
    assert plan.counts()["households"]["created"] == 2
    assert plan.counts()["members"]["created"] == 6


def test_english_headers_are_accepted(dongfeng):
    rows = rw.household(relation="head")
    plan = check(rw.workbook(rw.household(), lang="en"))
    assert plan.ok, errors(plan)
    assert check(rw.workbook(rows, lang="en")).households  # the values may be in either language too


def test_headers_in_any_order_and_mixed_languages_are_matched_by_name(dongfeng):
    columns = list(reversed(rw.ALL))
    headers = [(rw.EN if index % 2 else rw.ZH)[key] for index, key in enumerate(columns)]
    plan = check(rw.workbook(rw.household(), columns=columns, headers=headers))
    assert plan.ok, errors(plan)
    assert len(members_of(plan)) == 3


def test_spaces_and_full_width_spaces_around_headers_and_values_are_ignored(dongfeng):
    headers = [f"\u3000 {rw.ZH[key]}\u3000" for key in rw.ALL]
    rows = rw.household(members=[rw.person("\u3000户主 "), rw.person(" 配偶\u3000", gender=idnumbers.FEMALE)])
    plan = check(rw.workbook(rows, headers=headers))
    assert plan.ok, errors(plan)
    assert [m.values["relation"] for m in members_of(plan)] == [Relation.HEAD, Relation.SPOUSE]


def test_english_headers_ignore_case_and_inner_spaces(dongfeng):
    headers = [rw.EN[key].upper().replace(" ", "  ") for key in rw.ALL]
    assert check(rw.workbook(rw.household(), headers=headers)).ok


def test_title_rows_and_a_merged_title_above_the_header_are_skipped_and_rows_keep_their_sheet_numbers(dongfeng):
    titles = ["固镇建档立卡贫困人口明细表", "填报单位：固镇人民政府"]
    rows = rw.household(members=[rw.person(), rw.person("配偶", name="", gender=idnumbers.FEMALE)])
    plan = check(rw.workbook(rows, title_rows=titles, merge_title=True))
    assert errors(plan) == [(rw.first_data_row(titles) + 1, "姓名", "required")]


def test_blank_rows_are_skipped_and_later_rows_keep_their_sheet_numbers(dongfeng):
    bad = rw.household(members=[rw.person(relation="儿子")])
    plan = check(rw.workbook([*rw.household(), None, None, *bad]))
    assert errors(plan) == [(FIRST + 5, "与户主关系", "not_in_list"), (FIRST + 5, "与户主关系", "heads")]


def test_household_values_on_the_heads_row_only_are_enough_and_the_number_carries_down(dongfeng):
    rows = rw.household()
    for row in rows[1:]:
        for key in ("village", "group", "number", "attribute", "main_cause", "other_causes", "identified_year"):
            row[key] = None
    plan = check(rw.workbook(rows))
    assert plan.ok, errors(plan)
    assert [len(change.members) for change in plan.households] == [3]


def test_cells_merged_down_a_household_count_for_every_row_they_cover(dongfeng):
    rows = rw.household() + rw.household()
    for row in rows[1:3] + rows[4:]:
        for key in ("village", "number", "main_cause", "ethnicity"):
            row[key] = None

    def merge(sheet):
        for first in (2, 5):
            for letter in "ACSI":  # village, household number, main cause, and a person's ethnicity
                sheet.merge_cells(f"{letter}{first}:{letter}{first + 2}")

    plan = check(rw.workbook(rows, finish=merge))
    assert plan.ok, errors(plan)
    assert [len(change.members) for change in plan.households] == [3, 3]
    assert [member.values["ethnicity"] for member in members_of(plan)] == ["汉族"] * 6


def test_without_the_merge_a_blank_person_cell_stays_blank(dongfeng):
    rows = rw.household()
    for row in rows[1:]:
        row["ethnicity"] = None
    assert [member.values["ethnicity"] for member in members_of(check(rw.workbook(rows)))] == ["汉族", "", ""]


def test_an_unknown_column_is_reported_as_a_warning_and_ignored(dongfeng):
    columns = [*rw.ALL, "note"]
    headers = [*(rw.ZH[key] for key in rw.ALL), "备注"]
    plan = check(rw.workbook([{**row, "note": "x"} for row in rw.household()], columns=columns, headers=headers))
    assert plan.ok
    assert [(w.code, w.header, w.letter) for w in plan.issues] == [("unknown_column", "备注", "Y")]


def test_a_missing_required_column_stops_the_reading(dongfeng):
    columns = [key for key in rw.ALL if key != "main_cause"]
    plan = check(rw.workbook(rw.household(), columns=columns))
    error = one_error(plan)
    assert (error.code, error.row) == ("missing_columns", 1)
    assert "主要致贫原因 / main poverty cause" in error.message


def test_a_sheet_without_any_header_row_says_so(dongfeng):
    plan = check(rw.workbook([{"name": "x"}], columns=["name"], headers=["随便"]))
    assert one_error(plan).code == "no_header"


def test_a_column_named_twice_is_an_error(dongfeng):
    columns = [*rw.ALL, "name"]
    headers = [*(rw.ZH[key] for key in rw.ALL), "name"]
    error = one_error(check(rw.workbook(rw.household(), columns=columns, headers=headers)))
    assert (error.code, error.letter, error.params["other"]) == ("duplicate_column", "Y", "D")


def test_a_named_sheet_is_read_and_a_missing_one_is_named(dongfeng):
    data = rw.workbook(rw.household(), sheet_title="第二页", prepare=lambda book: book.create_sheet("封面", 0))
    assert check(data, sheet_name="第二页").ok
    error = one_error(check(data, sheet_name="第三页"))
    assert error.code == "no_sheet"
    assert "封面" in error.message


# ---------------------------------------------------------------- ID numbers


def test_an_id_number_with_a_wrong_check_character_is_an_error_naming_row_and_column(dongfeng):
    good = valid_id_number()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    error = one_error(check(with_person(id_number=wrong)))
    assert (error.row, error.header, error.letter, error.code) == (FIRST, "证件号码", "E", "id_invalid")
    assert wrong in error.message


def test_an_id_number_stored_as_a_float_in_scientific_notation_is_an_error_naming_the_row(dongfeng):
    def as_float(sheet):
        sheet.cell(row=FIRST, column=5).value = float(sheet.cell(row=FIRST, column=5).value)

    # Only an ID number without the X check character can have been stored as a number.
    id_number = next(n for n in (valid_id_number() for _ in range(50)) if n[-1] != "X")
    data = rw.workbook(rw.household(members=[rw.person(id_number=id_number)]), finish=as_float)
    error = one_error(check(data))
    assert (error.row, error.code) == (FIRST, "id_scientific")
    assert "E+17" in error.message


def test_an_id_number_typed_as_text_in_scientific_notation_is_the_same_error(dongfeng):
    assert one_error(check(with_person(id_number="3.40321E+17"))).code == "id_scientific"


def test_an_id_number_typed_as_a_whole_number_without_x_is_fine(dongfeng):
    id_number = next(n for n in (valid_id_number() for _ in range(50)) if n[-1] != "X")
    plan = check(rw.with_raw_number(with_person(id_number=int(id_number)), f"E{FIRST}", id_number))
    assert plan.ok, errors(plan)
    assert members_of(plan)[0].id_number == id_number


def test_a_lower_case_x_is_read_as_x(dongfeng):
    id_number = next(n for n in (valid_id_number() for _ in range(200)) if n[-1] == "X")
    plan = check(with_person(id_number=id_number.lower()))
    assert members_of(plan)[0].id_number == id_number


def test_a_sex_that_disagrees_with_the_id_number_is_an_error(dongfeng):
    error = one_error(check(with_person(sex="女")))
    assert (error.header, error.code, error.params["expected"]) == ("性别", "sex_mismatch", "男 / male")


def test_a_birth_date_that_disagrees_with_the_id_number_is_an_error(dongfeng):
    head = rw.person()
    born = idnumbers.parse(head["id_number"]).birth_date
    day_after = born + dt.timedelta(days=1)
    error = one_error(check(rw.workbook(rw.household(members=[{**head, "birth_date": day_after.isoformat()}]))))
    assert (error.header, error.code) == ("出生日期", "birth_mismatch")
    assert error.params == {"value": day_after.isoformat(), "expected": born.isoformat()}


def test_sex_and_birth_date_may_be_left_blank_and_come_from_the_id_number(dongfeng):
    head = rw.person(sex=None, birth_date=None)
    plan = check(rw.workbook(rw.household(members=[head])))
    assert plan.ok
    facts = idnumbers.parse(head["id_number"])
    assert (members_of(plan)[0].values["birth_date"], members_of(plan)[0].values["sex"]) == (
        facts.birth_date,
        facts.sex,
    )


# ---------------------------------------------------------------- households: heads, repeats, villages


def test_a_household_without_a_head_is_an_error(dongfeng):
    error = one_error(check(rw.workbook(rw.household(members=[rw.person("配偶")]))))
    assert (error.code, error.params["count"]) == ("heads", 0)


def test_a_household_with_two_heads_is_an_error_naming_both_rows(dongfeng):
    error = one_error(check(rw.workbook(rw.household(members=[rw.person(), rw.person()]))))
    assert (error.code, error.row, error.params["rows"]) == ("heads", FIRST + 1, f"{FIRST}、{FIRST + 1}")


def test_the_same_id_number_twice_in_the_file_is_an_error_naming_the_first_row(dongfeng):
    head = rw.person()
    data = rw.workbook(rw.household(members=[head]) + rw.household(members=[{**head, "name": "李四"}]))
    error = one_error(check(data))
    assert (error.row, error.code, error.params["row"]) == (FIRST + 1, "duplicate_id", FIRST)


def test_an_id_number_that_belongs_to_another_household_in_the_registry_is_an_error(dongfeng):
    other = MemberFactory(household=HouseholdFactory(village=dongfeng, head=False), relation=Relation.HEAD)
    error = one_error(check(with_person(id_number=other.id_number)))
    assert (error.code, error.params["number"]) == ("id_in_other_household", other.household.number)


def test_an_unknown_village_is_an_error(dongfeng):
    error = one_error(check(rw.workbook(rw.household("西风村"))))
    assert (error.header, error.code, error.params["value"]) == ("行政村", "unknown_village", "西风村")


def test_villages_are_looked_up_in_the_importers_town_only(dongfeng):
    elsewhere = TownFactory(name="别镇", code="999")
    VillageFactory(town=elsewhere, name="南山村")
    assert one_error(check(rw.workbook(rw.household("南山村")), town=dongfeng.town)).code == "unknown_village"
    assert check(rw.workbook(rw.household("南山村"))).ok


def test_a_village_name_found_in_two_towns_is_ambiguous_without_a_town(dongfeng):
    VillageFactory(town=TownFactory(name="别镇", code="999"), name="东风村")
    assert one_error(check(rw.workbook(rw.household()))).code == "ambiguous_village"
    assert check(rw.workbook(rw.household()), town=dongfeng.town).ok


def test_household_values_that_differ_between_its_rows_are_an_error(dongfeng):
    rows = rw.household()
    rows[2]["main_cause"] = "因学"
    rows[2]["other_causes"] = None
    error = one_error(check(rw.workbook(rows)))
    assert (error.row, error.code) == (FIRST + 2, "household_conflict")
    assert error.params == {"value": "因学", "other": "因病", "row": FIRST, "number": rows[0]["number"]}


def test_a_first_row_without_a_household_number_is_an_error(dongfeng):
    rows = rw.household(number=None)
    for row in rows:
        row["number"] = None
    assert "no_household_number" in {issue.code for issue in check(rw.workbook(rows)).errors}


def test_a_household_number_stored_as_a_rounded_float_is_an_error(dongfeng):
    error = one_error(check(rw.workbook(rw.household(members=[rw.person()], number=3.40321001001e16))))
    assert error.code == "number_lost_digits"


def test_required_values_must_be_given(dongfeng):
    error = one_error(check(with_person(name="\u3000")))
    assert (error.header, error.code) == ("姓名", "required")
    rows = rw.household(members=[rw.person()], main_cause=None)
    assert errors(check(rw.workbook(rows))) == [(FIRST, "主要致贫原因", "required")]


# ---------------------------------------------------------------- value lists

# What ROSTER_FORMAT.md lists in Chinese. The code takes these spellings from the choices' labels (through
# the catalogue), so this pins them: a label retranslated for the pages must not change what a roster holds.
FORMAT_CHINESE = {
    "relation": "户主 / 配偶 / 之子 / 之女 / 之儿媳 / 之女婿 / 之孙子 / 之孙女 / 之父 / 之母 / 其他",
    "sex": "男 / 女",
    "education": "文盲或半文盲 / 小学 / 初中 / 高中 / 大专及以上",
    "student_status": "学前教育 / 小学 / 七年级 / 八年级 / 九年级 / 高中 / 中职 / 高职 / 大专 / 本科及以上",
    "health": "健康 / 长期慢性病 / 患有大病 / 残疾",
    "work_ability": "普通劳动力 / 技能劳动力 / 弱劳动力或半劳动力 / 丧失劳动力 / 无劳动力",
    "migrant_work": "乡镇内 / 县内 / 省内县外 / 省外",
    "medical_insurance": "是 / 否",
    "attribute": "一般贫困户 / 低保贫困户 / 特困供养贫困户",
    "main_cause": "因病 / 因残 / 因学 / 因灾 / 缺土地 / 缺水 / 缺技术 / 缺劳力 / 缺资金 / "
    "交通条件落后 / 自身发展动力不足",
    "housing_grade": "A / B / C / D",
}


def test_each_value_list_accepts_in_chinese_what_the_roster_format_lists_whatever_the_page_language():
    with translation.override("en"):
        listed = {column.key: column.value_list.describe("zh") for column in columns.COLUMNS if column.value_list}
    assert listed == {**FORMAT_CHINESE, "other_causes": FORMAT_CHINESE["main_cause"]}


@pytest.mark.parametrize(
    ("relation", "expected"),
    [("户主", Relation.HEAD), ("head", Relation.HEAD), ("HEAD", Relation.HEAD), ("Head", Relation.HEAD)],
)
def test_relations_are_accepted_in_chinese_or_english_whatever_the_case(dongfeng, relation, expected):
    plan = check(with_person(relation=relation))
    assert members_of(plan)[0].values["relation"] == expected


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("relation", "儿子"),
        ("education", "大学"),
        ("student_status", "初中"),
        ("health", "良好"),
        ("work_ability", "强劳动力"),
        ("migrant_work", "国外"),
        ("medical_insurance", "maybe"),
        ("attribute", "贫困户"),
        ("housing_grade", "E"),
        ("sex", "未知"),
    ],
)
def test_a_value_outside_its_list_is_an_error_naming_it_and_the_accepted_values(dongfeng, key, value):
    rows = rw.household(members=[rw.person(**{key: value})])
    issues = [issue for issue in check(rw.workbook(rows)).errors if issue.code == "not_in_list"]
    assert [(issue.row, issue.letter) for issue in issues] == [(FIRST, rw.letter(key))]
    assert len(issues) == 1
    assert (issues[0].header, issues[0].params["value"]) == (rw.ZH[key], value)
    assert "/" in issues[0].params["allowed"]


def test_household_list_values_outside_the_list_are_errors_too(dongfeng):
    error = one_error(check(rw.workbook(rw.household(members=[rw.person()], main_cause="因穷"))))
    assert (error.header, error.code) == ("主要致贫原因", "not_in_list")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("education", "college", "college"),
        ("student_status", "八年级", "junior"),
        ("student_status", "higher vocational", "higher_vocational"),
        ("health", "serious illness", "serious"),
        ("work_ability", "弱劳动力或半劳动力", "weak"),
        ("migrant_work", "out of province", "out_of_province"),
        ("migrant_work", "省内县外", "in_province"),
    ],
)
def test_list_values_map_to_the_registrys_choices_in_either_language(dongfeng, key, value, expected):
    plan = check(with_person(**{key: value}))
    assert plan.ok, errors(plan)
    assert members_of(plan)[0].values[key] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("是", True),
        ("yes", True),
        ("Y", True),
        ("1", True),
        (1, True),
        ("否", False),
        ("no", False),
        ("n", False),
        ("0", False),
        (0, False),
        (None, False),
    ],
)
def test_insurance_accepts_yes_and_no_in_every_spelling(dongfeng, value, expected):
    plan = check(with_person(medical_insurance=value))
    assert plan.ok, errors(plan)
    assert members_of(plan)[0].values["medical_insurance"] is expected


def test_other_causes_are_split_on_every_separator_and_the_main_cause_is_not_repeated(dongfeng):
    plan = check(rw.workbook(rw.household(other_causes="缺资金、缺技术,缺水；因学 缺劳力，因病")))
    assert plan.ok, errors(plan)
    assert plan.households[0].values["other_causes"] == ["funds", "skills", "water", "schooling", "labour"]


def test_an_unknown_other_cause_is_named(dongfeng):
    error = one_error(check(rw.workbook(rw.household(members=[rw.person()], other_causes="缺资金、缺钱"))))
    assert (error.code, error.params["value"]) == ("not_in_list", "缺钱")


def test_housing_grade_ignores_case(dongfeng):
    assert check(rw.workbook(rw.household(housing_grade="c"))).households[0].values["housing_grade"] == "C"


# ---------------------------------------------------------------- dates and numbers


@pytest.mark.parametrize(
    "spell",
    [
        lambda d: d.isoformat(),
        lambda d: f"{d:%Y/%m/%d}",
        lambda d: f"{d:%Y%m%d}",
        lambda d: f"{d.year}-{d.month}-{d.day}",
        lambda d: int(f"{d:%Y%m%d}"),
        lambda d: dt.datetime(d.year, d.month, d.day),
        lambda d: to_excel(d),
        lambda d: float(to_excel(d)),
    ],
    ids=["dashes", "slashes", "digits", "unpadded", "number", "date cell", "serial", "serial float"],
)
def test_birth_dates_are_read_from_date_cells_excel_serials_and_the_three_text_forms(dongfeng, spell):
    head = rw.person()
    born = idnumbers.parse(head["id_number"]).birth_date
    plan = check(rw.workbook(rw.household(members=[{**head, "birth_date": spell(born)}])))
    assert plan.ok, errors(plan)
    assert members_of(plan)[0].values["birth_date"] == born


@pytest.mark.parametrize("birth_date", ["04/03/1970", "1970-02-30", "1970.03.04", "昨天", 99999999])
def test_a_birth_date_that_is_no_date_is_an_error(dongfeng, birth_date):
    error = one_error(check(with_person(birth_date=birth_date)))
    assert (error.header, error.code) == ("出生日期", "bad_date")


@pytest.mark.parametrize(("months", "expected"), [(0, 0), (12, 12), ("6", 6), (6.0, 6), (None, None)])
def test_work_months_from_0_to_12_are_accepted(dongfeng, months, expected):
    plan = check(with_person(work_months=months))
    assert plan.ok, errors(plan)
    assert members_of(plan)[0].values["work_months"] == expected


@pytest.mark.parametrize(
    ("months", "code"), [(13, "out_of_range"), (-1, "out_of_range"), (2.5, "not_a_number"), ("三", "not_a_number")]
)
def test_work_months_outside_0_to_12_are_an_error(dongfeng, months, code):
    assert one_error(check(with_person(work_months=months))).code == code


@pytest.mark.parametrize(("grade", "expected"), [(1, 1), (4, 4), ("2", 2), ("一级", 1), ("四级", 4), ("3级", 3)])
def test_disability_grades_1_to_4_are_accepted_for_a_disabled_member(dongfeng, grade, expected):
    plan = check(with_person(health="残疾", disability_grade=grade))
    assert plan.ok, errors(plan)
    assert members_of(plan)[0].values["disability_grade"] == expected
    assert members_of(plan)[0].values["health"] == Health.DISABLED


@pytest.mark.parametrize("grade", [0, 5, "五级", "重度"])
def test_a_disability_grade_outside_1_to_4_is_an_error(dongfeng, grade):
    assert one_error(check(with_person(health="残疾", disability_grade=grade))).code == "bad_grade"


def test_a_disability_grade_for_a_member_who_is_not_disabled_is_an_error(dongfeng):
    error = one_error(check(with_person(health="健康", disability_grade=2)))
    assert (error.header, error.code) == ("残疾等级", "grade_without_disability")


@pytest.mark.parametrize(("year", "ok"), [(2013, False), (2014, True), (2020, True), (2021, False), ("2018年", True)])
def test_exit_years_run_from_2014_to_2020(dongfeng, year, ok):
    plan = check(rw.workbook(rw.household(exit_year=year, identified_year=2014 if ok else 2013)))
    assert plan.ok is ok


@pytest.mark.parametrize(("year", "ok"), [(2012, False), (2013, True), (2020, True), (2021, False)])
def test_identified_years_run_from_2013_to_2020(dongfeng, year, ok):
    assert check(rw.workbook(rw.household(identified_year=year))).ok is ok


def test_an_exit_before_identification_is_an_error(dongfeng):
    error = one_error(check(rw.workbook(rw.household(exit_year=2016, identified_year=2017))))
    assert (error.header, error.code) == ("脱贫年度", "exit_before_identified")


@pytest.mark.parametrize(
    ("phone", "ok"),
    [("0552-1234567", True), ("139 1234 5678", True), (13912345678, True), ("139-1234-567x", False), ("电话", False)],
)
def test_phone_numbers_hold_digits_spaces_and_dashes(dongfeng, phone, ok):
    assert check(rw.workbook(rw.household(phone=phone))).ok is ok


def test_spaces_between_chinese_characters_of_a_name_are_dropped(dongfeng):
    plan = check(with_person(name="王\u3000五"))
    assert members_of(plan)[0].values["name"] == "王五"


def test_a_name_longer_than_50_characters_is_an_error(dongfeng):
    assert one_error(check(with_person(name="王" * 51))).code == "too_long"
    assert check(with_person(name="王" * 50)).ok


# ---------------------------------------------------------------- formulas


def test_a_formula_cell_is_reported_and_never_evaluated(dongfeng):
    def formula(sheet):
        sheet.cell(row=FIRST, column=4).value = '=CONCATENATE("王","五")'

    plan = check(rw.workbook(rw.household(members=[rw.person()]), finish=formula))
    error = one_error(plan)
    assert (error.row, error.header, error.code) == (FIRST, "姓名", "formula")
    assert "CONCATENATE" in error.message
    assert plan.households == []


# ---------------------------------------------------------------- at most ROSTER_MAX_ISSUES issues kept


def test_the_issue_log_keeps_the_first_issues_errors_first_and_counts_the_rest():
    log = IssueLog(limit=3)
    log.extend(Issue("unknown_column", row=1, column=n, severity=WARNING) for n in range(1, 5))
    log.extend(Issue("required", row=row, column=4) for row in range(20, 1, -1))
    assert [(issue.severity, issue.row) for issue in log] == [("error", 2), ("error", 3), ("error", 4)]
    assert (log.errors, log.warnings, log.codes["required"]) == (19, 4, 19)
    assert log.unlisted() == {"errors": 16, "warnings": 4}
    copied = log.copy()
    copied.append(Issue("required", row=1, column=1))
    assert [issue.row for issue in copied] == [1, 2, 3]
    assert (log.errors, [issue.row for issue in log]) == (19, [2, 3, 4])  # the copy is its own


def test_a_file_of_bad_rows_never_holds_more_than_twice_roster_max_issues_in_memory(dongfeng, settings, monkeypatch):
    settings.ROSTER_MAX_ISSUES = 10
    most = [0]
    append = IssueLog.append

    def watch(self, issue):
        append(self, issue)
        most[0] = max(most[0], self.held)

    monkeypatch.setattr(IssueLog, "append", watch)
    rows = [row for _ in range(100) for row in rw.household(members=[rw.person(work_months=13, health="好")])]
    plan = check(rw.workbook(rows))
    assert plan.counts()["errors"] == 200
    assert plan.counts()["unlisted"] == {"errors": 190, "warnings": 0}
    assert len(list(plan.issues)) == 10
    assert most[0] <= 20
    assert not plan.ok
