"""Validation as pure functions: sheet rows -> households and members in the file -> a plan against the registry.

parse_roster reads every row (no database): cells, required values, IDs with
their sex and birth date, one head per household, repeated IDs, household values
that disagree between rows. plan_roster compares the result with a snapshot of
the registry (registry.load) and says what would be created, updated and left
unchanged, which members the file leaves out, and what clashes with the registry.
Every problem is an Issue; a plan with any error must not be applied.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from households import idnumbers
from households.choices import Attribute, Health, HouseholdStatus, Relation
from households.roster import columns as roster_columns
from households.roster.issues import WARNING, Issue, IssueLog
from households.roster.reader import Header, SheetRow
from households.roster.values import CellError, Context, formula_text, text_of

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"

# A blank cell in a column the file has means "none" for the field: these are the field's empty values.
HOUSEHOLD_BLANKS = {
    "group": "",
    "phone": "",
    "identified_year": None,
    "exit_year": None,
    "attribute": Attribute.ORDINARY,
    "other_causes": [],
    "housing_grade": "",
}
MEMBER_BLANKS = {
    "ethnicity": "",
    "education": "",
    "student_status": "",
    "health": Health.HEALTHY,
    "disability_grade": None,
    "work_ability": "",
    "migrant_work": "",
    "work_months": None,
    "medical_insurance": False,
}
MEMBER_FIELDS = ["name", "relation", *MEMBER_BLANKS]
HOUSEHOLD_FIELDS = ["phone", "identified_year", "exit_year", "attribute", "main_cause", "other_causes", "housing_grade"]
SHOWN_ROWS = 10  # rows listed in one message
MEMO_LIMIT = 5000  # readings remembered per column


@dataclass
class FileMember:
    row: int
    id_number: str
    values: dict[str, Any]  # the member's fields the file gives (blank ones as their empty value)


@dataclass
class FileHousehold:
    number: str
    first_row: int
    values: dict[str, Any] = field(default_factory=dict)  # household fields, from the first row that gives each
    value_rows: dict[str, tuple[int, Any]] = field(default_factory=dict)  # field -> (row, the cell as typed)
    members: list[FileMember] = field(default_factory=list)
    head_rows: list[int] = field(default_factory=list)
    broken: bool = False  # a row of it could not be read: no plan for it, only its errors
    failed: set[str] = field(default_factory=set)  # the columns that could not be read on one of its rows


@dataclass
class ParsedRoster:
    households: dict[str, FileHousehold]
    columns: dict[str, tuple[int, str]]  # column key -> (column index, header as spelled)
    issues: IssueLog
    rows: int  # rows of people read

    @cached_property
    def present(self) -> set[str]:
        return set(self.columns)

    def issue(self, code: str, row: int | None, key: str | None, /, **params) -> Issue:
        index, spelled = self.columns.get(key, (None, "")) if key else (None, "")
        issue = Issue(code, row=row, column=index, header=spelled, params=params)
        self.issues.append(issue)
        return issue


def parse_roster(
    rows: Iterable[SheetRow],
    header: Header,
    context: Context,
    *,
    on_row: Callable[[int], None] | None = None,
) -> ParsedRoster:
    """Every row of people read and checked on its own and within its household; no database.

    `on_row` is told how far the reading has come (the row's position among the sheet's rows).
    """
    parsed = ParsedRoster(
        households={},
        columns={column.key: (index, header.spelled[index]) for index, column in header.columns.items()},
        issues=IssueLog(header.issues),
        rows=0,
    )
    seen_ids: dict[str, int] = {}
    current: FileHousehold | None = None
    readings = _Readings(context)
    for row in rows:
        parsed.rows += 1
        if on_row is not None:
            on_row(row.position or row.number)
        current = _parse_row(parsed, header, readings, row, current, seen_ids)
    for household in parsed.households.values():
        _check_household(parsed, household)
    if parsed.rows == 0:
        parsed.issues.append(Issue("no_rows", row=header.row))
    return parsed


class _Readings:
    """Each column's readings of the values it has met: a village, a relation or a year is read once per file.

    A column's parser depends on the cell and the workbook's date system only, so
    a value met again reads the same (or fails the same). A column of values
    mostly different (names, ID numbers) stops being remembered at MEMO_LIMIT.
    """

    def __init__(self, context: Context):
        self.context = context
        self.memos: dict[str, dict] = {}

    def read(self, column, raw):
        """The column's value for the cell; raises CellError."""
        memo = self.memos.setdefault(column.key, {})
        key = (type(raw), raw)
        found = memo.get(key)
        if found is None:
            try:
                found = (column.read(raw, self.context), None)
            except CellError as error:
                found = (None, (error.code, error.params))
            if len(memo) < MEMO_LIMIT:
                memo[key] = found
        if found[1] is not None:
            raise CellError(found[1][0], **found[1][1])
        return found[0]


def _parse_row(parsed, header, readings, row, current, seen_ids) -> FileHousehold | None:
    values: dict[str, Any] = {}
    typed: dict[str, Any] = {}  # the cells as typed, turned into text only for a message
    failed: set[str] = set()
    for index, column in header.columns.items():
        raw = row.cells.get(index)
        typed[column.key] = raw
        if index in row.formulas:
            parsed.issue("formula", row.number, column.key, value=text_of(formula_text(raw)))
            failed.add(column.key)
            continue
        if raw is None:  # the reader leaves blank cells out
            values[column.key] = None
            continue
        try:
            values[column.key] = readings.read(column, raw)
        except CellError as error:
            parsed.issue(error.code, row.number, column.key, **error.params)
            failed.add(column.key)
    for key in ("name", "id_number", "relation"):
        if values.get(key) is None and key not in failed:
            parsed.issue("required", row.number, key)
            failed.add(key)

    number = values.get("number")
    if number is None and "number" not in failed:
        if current is None:
            parsed.issue("no_household_number", row.number, "number")
        else:
            number = current.number  # blank below a household's first row: the rows belong to it
    if number is None:
        return current
    household = parsed.households.get(number)
    if household is None:
        household = parsed.households[number] = FileHousehold(number=number, first_row=row.number)
    _household_values(parsed, household, row.number, values, typed)
    member = _member(parsed, row.number, values, failed, seen_ids)
    if failed:
        household.broken = True
        household.failed |= failed
    if member is not None:
        household.members.append(member)
        if member.values.get("relation") == Relation.HEAD:
            household.head_rows.append(row.number)
    elif values.get("relation") == Relation.HEAD:
        household.head_rows.append(row.number)
    return household


def _household_values(parsed, household, row_number, values, typed):
    for key in roster_columns.HOUSEHOLD_KEYS:
        value = values.get(key)
        if key == "number" or value is None:
            continue
        if key not in household.values:
            household.values[key] = value
            household.value_rows[key] = (row_number, typed[key])
        elif household.values[key] != value:
            first_row, first_typed = household.value_rows[key]
            parsed.issue(
                "household_conflict",
                row_number,
                key,
                value=text_of(typed[key]),
                other=text_of(first_typed),
                row=first_row,
                number=household.number,
            )
            household.broken = True


def _member(parsed, row_number, values, failed, seen_ids) -> FileMember | None:
    id_number = values.get("id_number")
    if id_number is None:
        return None
    first = seen_ids.setdefault(id_number, row_number)
    if first != row_number:
        parsed.issue("duplicate_id", row_number, "id_number", value=id_number, row=first)
        failed.add("id_number")
        return None
    facts = idnumbers.facts(id_number)  # values.id_number has parsed and normalised it
    if values.get("sex") not in (None, facts.sex):
        sex_label = next(f"{zh} / {en}" for zh, en, value in roster_columns.SEXES.entries if value == facts.sex)
        typed = next(f"{zh} / {en}" for zh, en, value in roster_columns.SEXES.entries if value == values["sex"])
        parsed.issue("sex_mismatch", row_number, "sex", value=typed, expected=sex_label)
        failed.add("sex")
    if values.get("birth_date") not in (None, facts.birth_date):
        parsed.issue(
            "birth_mismatch",
            row_number,
            "birth_date",
            value=values["birth_date"].isoformat(),
            expected=facts.birth_date.isoformat(),
        )
        failed.add("birth_date")
    if values.get("disability_grade") is not None and values.get("health") != Health.DISABLED:
        parsed.issue("grade_without_disability", row_number, "disability_grade")
        failed.add("disability_grade")
    if failed:
        return None
    member_values = {"sex": facts.sex, "birth_date": facts.birth_date}
    for key in MEMBER_FIELDS:
        if key in parsed.present:
            value = values.get(key)
            member_values[key] = MEMBER_BLANKS.get(key) if value is None else value
    return FileMember(row=row_number, id_number=id_number, values=member_values)


def _check_household(parsed, household: FileHousehold):
    for key in ("village", "main_cause"):
        if key not in household.values and key in parsed.present and key not in household.failed:
            parsed.issue("required", household.first_row, key)
            household.broken = True
    if len(household.head_rows) != 1:
        rows = household.head_rows or [m.row for m in household.members] or [household.first_row]
        shown = "、".join(str(row) for row in rows[:SHOWN_ROWS]) + ("…" if len(rows) > SHOWN_ROWS else "")
        row = household.head_rows[1] if len(household.head_rows) > 1 else household.first_row
        parsed.issue("heads", row, "relation", number=household.number, count=len(household.head_rows), rows=shown)
        household.broken = True
    main = household.values.get("main_cause")
    if main and main in household.values.get("other_causes", []):
        household.values["other_causes"] = [cause for cause in household.values["other_causes"] if cause != main]


# ---------------------------------------------------------------- the plan against the registry


@dataclass
class MemberChange:
    row: int
    id_number: str
    action: str
    member: Any = None  # the registry's Member when it exists
    values: dict[str, Any] = field(default_factory=dict)  # every field for a new member, the changed ones otherwise
    loses_head: bool = False


@dataclass
class HouseholdChange:
    row: int
    number: str
    action: str
    household: Any = None  # the registry's Household when it exists
    values: dict[str, Any] = field(default_factory=dict)  # every field for a new household, the changed ones otherwise
    group: tuple[int, str] | None = None  # (village id, name) of a group to create for it
    status_to: str = ""  # a status it moves to, kept as history
    members: list[MemberChange] = field(default_factory=list)

    @property
    def touched(self) -> bool:
        return self.action != UNCHANGED or any(m.action != UNCHANGED for m in self.members)

    @property
    def changed_fields(self) -> list[str]:
        return sorted(self.values) if self.action == UPDATED else []


@dataclass
class Plan:
    households: list[HouseholdChange]
    issues: IssueLog  # every issue counted, the first ROSTER_MAX_ISSUES kept
    rows: int
    new_groups: list[tuple[int, str]] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        """The errors listed (issues.errors counts them all)."""
        return [issue for issue in self.issues if issue.is_error]

    @property
    def ok(self) -> bool:
        return self.issues.errors == 0

    def counts(self) -> dict[str, Any]:
        households = {CREATED: 0, UPDATED: 0, UNCHANGED: 0}
        members = {CREATED: 0, UPDATED: 0, UNCHANGED: 0}
        for change in self.households:
            households[change.action] += 1
            for member in change.members:
                members[member.action] += 1
        return {
            "rows": self.rows,
            "households": households,
            "members": members,
            "missing_members": self.issues.codes["member_missing"],
            "errors": self.issues.errors,
            "warnings": self.issues.warnings,
            "unlisted": self.issues.unlisted(),
        }

    @property
    def changes_anything(self) -> bool:
        return any(change.touched for change in self.households)


def plan_roster(parsed: ParsedRoster, registry, *, today: dt.date) -> Plan:
    """What applying the file would do to the registry (a snapshot from registry.load), and what stops it."""
    plan = Plan(households=[], issues=parsed.issues.copy(), rows=parsed.rows)
    new_groups: dict[tuple[int, str], None] = {}
    for household in sorted(parsed.households.values(), key=lambda h: h.first_row):
        change = _plan_household(parsed, plan, registry, household, today)
        if change is not None:
            plan.households.append(change)
            if change.group:
                new_groups[change.group] = None
    plan.new_groups = list(new_groups)
    return plan


def _issue(parsed, plan, code, row, key, /, severity="error", **params):
    index, spelled = parsed.columns.get(key, (None, "")) if key else (None, "")
    plan.issues.append(Issue(code, row=row, column=index, header=spelled, params=params, severity=severity))


def _plan_household(parsed, plan, registry, household: FileHousehold, today) -> HouseholdChange | None:
    values = household.values
    village_id = _village(parsed, plan, registry, household)
    existing = registry.households.get(household.number)
    members = _plan_members(parsed, plan, registry, household, existing)
    if household.broken or village_id is None or members is None:
        return None

    target = {"village_id": village_id}
    group_name = values.get("group", "")
    group_key = None
    if "group" in parsed.present:
        group_id = registry.groups.get((village_id, group_name)) if group_name else None
        if group_name and group_id is None:
            group_key = (village_id, group_name)
        target["group_id"] = group_id
    for key in HOUSEHOLD_FIELDS:
        if key in parsed.present:
            target[key] = values.get(key, HOUSEHOLD_BLANKS.get(key))

    identified = target.get("identified_year", existing.identified_year if existing else None)
    exit_year = target.get("exit_year", existing.exit_year if existing else None)
    if exit_year and identified and exit_year < identified:
        row = household.value_rows.get("exit_year", (household.first_row, ""))[0]
        _issue(parsed, plan, "exit_before_identified", row, "exit_year", exit=exit_year, identified=identified)
        return None

    if existing is None:
        status = HouseholdStatus.EXITED if exit_year else HouseholdStatus.UNEXITED
        registered = dt.date(identified, 1, 1) if identified else today
        target |= {"number": household.number, "status": status, "registered_on": registered}
        return HouseholdChange(household.first_row, household.number, CREATED, None, target, group_key, status, members)

    status_to = ""
    if "exit_year" in target:
        if existing.status == HouseholdStatus.UNEXITED and exit_year:
            status_to = HouseholdStatus.EXITED
        elif existing.status == HouseholdStatus.EXITED and not exit_year:
            status_to = HouseholdStatus.UNEXITED
    changed = {key: value for key, value in target.items() if not _same(getattr(existing, key), value)}
    if group_key:
        changed["group_id"] = None
    if status_to:
        changed["status"] = status_to
    action = UPDATED if changed else UNCHANGED
    return HouseholdChange(
        household.first_row, household.number, action, existing, changed, group_key, status_to, members
    )


def _same(old, new) -> bool:
    if isinstance(new, list):
        return sorted(old or []) == sorted(new)
    return old == new


def _village(parsed, plan, registry, household) -> int | None:
    name = household.values.get("village")
    if name is None:
        return None
    row = household.value_rows["village"][0]
    found = registry.villages.get(name, [])
    if not found:
        _issue(parsed, plan, "unknown_village", row, "village", value=name, town=registry.town_label)
        return None
    if len(found) > 1:
        towns = "、".join(sorted(town for _pk, town in found))
        _issue(parsed, plan, "ambiguous_village", row, "village", value=name, towns=towns)
        return None
    return found[0][0]


def _plan_members(parsed, plan, registry, household, existing) -> list[MemberChange] | None:
    """The household's members as changes; None when one of them clashes with the registry."""
    changes, clash = [], False
    existing_pk = existing.pk if existing else None
    for member in household.members:
        found = registry.members_by_id.get(member.id_number)
        if found is not None and found.household_id != existing_pk:
            other = registry.numbers.get(found.household_id, "")
            _issue(
                parsed,
                plan,
                "id_in_other_household",
                member.row,
                "id_number",
                value=member.id_number,
                name=found.name,
                number=other,
            )
            clash = True
        elif found is None:
            changes.append(MemberChange(member.row, member.id_number, CREATED, None, member.values))
        else:
            changed = {key: value for key, value in member.values.items() if getattr(found, key) != value}
            loses_head = found.relation == Relation.HEAD and changed.get("relation", Relation.HEAD) != Relation.HEAD
            action = UPDATED if changed else UNCHANGED
            changes.append(MemberChange(member.row, member.id_number, action, found, changed, loses_head))
    if existing is not None:
        clash |= _missing_members(parsed, plan, registry, household, existing)
    return None if clash else changes


def _missing_members(parsed, plan, registry, household, existing) -> bool:
    """Report the registry's members the file leaves out (kept, never deleted); True when that leaves two heads."""
    in_file = {member.id_number for member in household.members}
    clash = False
    for member in registry.members_of.get(existing.pk, []):
        if member.id_number in in_file:
            continue
        params = {"name": member.name, "id": idnumbers.mask(member.id_number), "number": household.number}
        _issue(parsed, plan, "member_missing", None, None, severity=WARNING, **params)
        if member.relation == Relation.HEAD and household.head_rows:
            _issue(parsed, plan, "head_not_in_file", household.head_rows[0], "relation", **params)
            clash = True
    return clash
