"""Plausible families for the demo households: names, ages, ID numbers, schooling, health, work."""

import datetime as dt
import random

from households import idnumbers
from households.choices import (
    Attribute,
    Education,
    Health,
    MigrantWork,
    PovertyCause,
    Relation,
    StudentStatus,
    WorkAbility,
)
from households.demo.plan import (
    AS_OF,
    CHILD,
    FEMALE,
    FEMALE_NAME_CHARS,
    GRANDCHILD,
    MALE,
    MALE_NAME_CHARS,
    REGION_CODE,
    SURNAMES,
    HouseholdPlan,
    Person,
)
from households.idnumbers import age_on
from households.models import (
    Household,
    Member,
)

# ---------------------------------------------------------------- families


def build_members(household: Household, plan: HouseholdPlan, used_ids: set[str], rng) -> list[Member]:
    people = compose_family(plan.size, rng)
    affected = rng.choice([p for p in people if p.age >= 16] or people)
    uninsured = rng.choice(people[1:] or people) if plan.failure and plan.failure.uninsured_member else None
    return [
        build_member(
            household,
            person,
            used_ids,
            rng,
            health=health_from_cause(household.main_cause, rng) if person is affected else "",
            insured=person is not uninsured,
        )
        for person in people
    ]


def compose_family(size: int, rng: random.Random) -> list[Person]:
    """Relatives in the order a rural household usually takes them in, cut to `size`."""
    if size == 1:
        return [Person(Relation.HEAD, rng.choice((MALE, FEMALE)), rng.randint(52, 88), rng.choice(SURNAMES))]
    while True:
        people = family_candidates(rng)
        if len(people) >= size:
            return people[:size]


def family_candidates(rng: random.Random) -> list[Person]:
    surname = rng.choice(SURNAMES)
    head = Person(Relation.HEAD, MALE if rng.random() < 0.88 else FEMALE, rng.randint(30, 80), surname)
    spouse = []
    if head.sex == MALE and rng.random() < 0.85:
        spouse = [Person(Relation.SPOUSE, FEMALE, max(24, head.age + rng.randint(-6, 2)), rng.choice(SURNAMES))]
    children = children_of(head.age, surname, CHILD, 4, rng)
    parents = parents_of(head.age, surname, rng)
    eldest_son = next((child for child in children if child.relation == Relation.SON and child.age >= 24), None)
    if eldest_son is None:
        return [head, *spouse, *children, *parents]
    in_law_age = max(23, eldest_son.age + rng.randint(-4, 2))
    in_law = Person(Relation.DAUGHTER_IN_LAW, FEMALE, in_law_age, rng.choice(SURNAMES))
    grandchildren = children_of(eldest_son.age, surname, GRANDCHILD, 3, rng)
    if head.age >= 58:
        others = [child for child in children if child is not eldest_son]
        return [head, *spouse, eldest_son, in_law, *grandchildren, *others, *parents]
    return [head, *spouse, *children, *parents, in_law, *grandchildren]


def children_of(parent_age: int, surname: str, relation: dict[str, str], most: int, rng) -> list[Person]:
    age = rng.randint(max(0, parent_age - 34), parent_age - 24)
    children = []
    for _ in range(rng.randint(1, most)):
        if age < 0:
            break
        sex = rng.choice((MALE, FEMALE))
        children.append(Person(relation[sex], sex, age, surname))
        age -= rng.randint(2, 6)
    return children


def parents_of(head_age: int, surname: str, rng: random.Random) -> list[Person]:
    father_age = head_age + rng.randint(24, 32)
    mother_age = father_age - rng.randint(0, 4)
    parents = [
        Person(Relation.FATHER, MALE, father_age, surname),
        Person(Relation.MOTHER, FEMALE, mother_age, rng.choice(SURNAMES)),
    ]
    rng.shuffle(parents)
    return [parent for parent in parents if parent.age <= 92]


def build_member(household, person: Person, used_ids: set[str], rng, *, health: str, insured: bool) -> Member:
    id_number = unique_id_number(person, used_ids, rng)
    facts = idnumbers.parse(id_number, today=AS_OF)
    age = age_on(facts.birth_date, AS_OF)
    student_status, education = schooling(age, rng)
    health = health or health_at(age, rng)
    disability_grade = rng.randint(1, 4) if health == Health.DISABLED else None
    ability = work_ability(age, health, disability_grade, student_status, rng)
    migrant_work, work_months = migration(age, ability, rng)
    return Member(
        household=household,
        name=person.surname + given_name(facts.sex, rng),
        id_number=id_number,
        relation=person.relation,
        sex=facts.sex,
        birth_date=facts.birth_date,
        education=education,
        student_status=student_status,
        health=health,
        disability_grade=disability_grade,
        work_ability=ability,
        migrant_work=migrant_work,
        work_months=work_months,
        medical_insurance=insured,
        serious_illness_insurance=insured,
        pension_insurance=age >= 16 and not student_status and rng.random() < 0.92,
        minimum_allowance=household.attribute == Attribute.LOW_INCOME,
    )


def unique_id_number(person: Person, used_ids: set[str], rng: random.Random) -> str:
    """A valid ID number for someone of that age and sex that nobody in the database has yet."""
    while True:
        birth = dt.date(AS_OF.year - person.age - 1, 1, 2) + dt.timedelta(days=rng.randrange(364))
        id_number = idnumbers.make(REGION_CODE, birth, person.sex, rng)
        if id_number not in used_ids:
            used_ids.add(id_number)
            return id_number


def given_name(sex: str, rng: random.Random) -> str:
    chars = MALE_NAME_CHARS if sex == MALE else FEMALE_NAME_CHARS
    return "".join(rng.sample(chars, 1 if rng.random() < 0.3 else 2))


def schooling(age: int, rng: random.Random) -> tuple[str, str]:
    """(student status, education) at that age: everyone aged 3-22 is at school."""
    if age < 3:
        return "", ""
    if age <= 5:
        return StudentStatus.PRESCHOOL, ""
    if age <= 11:
        return StudentStatus.PRIMARY, Education.PRIMARY
    if age <= 14:
        return StudentStatus.JUNIOR, Education.JUNIOR
    if age <= 17:
        return rng.choices((StudentStatus.SENIOR, StudentStatus.VOCATIONAL), (7, 3))[0], Education.SENIOR
    if age <= 22:
        higher = (StudentStatus.UNIVERSITY, StudentStatus.COLLEGE, StudentStatus.HIGHER_VOCATIONAL)
        return rng.choice(higher), Education.COLLEGE
    return "", adult_education(age, rng)


def adult_education(age: int, rng: random.Random) -> str:
    levels = (Education.ILLITERATE, Education.PRIMARY, Education.JUNIOR, Education.SENIOR, Education.COLLEGE)
    if age >= 65:
        weights = (45, 45, 10, 0, 0)
    elif age >= 45:
        weights = (15, 45, 35, 5, 0)
    else:
        weights = (0, 15, 60, 20, 5)
    return rng.choices(levels, weights)[0]


def health_at(age: int, rng: random.Random) -> str:
    levels = (Health.HEALTHY, Health.CHRONIC, Health.SERIOUS, Health.DISABLED)
    if age < 16:
        weights = (96, 2, 0.5, 1.5)
    elif age < 60:
        weights = (84, 9, 3, 4)
    else:
        weights = (62, 26, 5, 7)
    return rng.choices(levels, weights)[0]


def health_from_cause(main_cause: str, rng: random.Random) -> str:
    """The member whose illness or disability made the household poor; anyone else's health is drawn by age."""
    if main_cause == PovertyCause.ILLNESS:
        return rng.choice((Health.CHRONIC, Health.SERIOUS))
    if main_cause == PovertyCause.DISABILITY:
        return Health.DISABLED
    return ""


def work_ability(age: int, health: str, disability_grade: int | None, student_status: str, rng) -> str:
    if age < 16 or student_status:
        return WorkAbility.NONE
    if health == Health.SERIOUS or (health == Health.DISABLED and disability_grade <= 2):
        return WorkAbility.LOST
    if age >= 70:
        return WorkAbility.NONE
    if age >= 60 or health in (Health.CHRONIC, Health.DISABLED):
        return WorkAbility.WEAK
    return WorkAbility.SKILLED if rng.random() < 0.2 else WorkAbility.NORMAL


def migration(age: int, ability: str, rng: random.Random) -> tuple[str, int | None]:
    """Where an able adult worked away from home, and for how many months; most farm at home or go far."""
    if ability not in (WorkAbility.NORMAL, WorkAbility.SKILLED) or age > 55 or rng.random() >= 0.55:
        return "", None
    kinds = (MigrantWork.IN_TOWN, MigrantWork.IN_COUNTY, MigrantWork.IN_PROVINCE, MigrantWork.OUT_OF_PROVINCE)
    return rng.choices(kinds, (15, 20, 25, 40))[0], min(12, max(1, round(rng.gauss(9, 2.5))))
