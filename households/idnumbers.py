"""Mainland resident ID numbers (GB 11643): checksum, birth date, sex, masking.

An ID number has 17 digits then a check character (0-9 or X). Digits 7-14 are
the birth date (YYYYMMDD); digit 17 is odd for men and even for women.
"""

import datetime as dt
import random
import re
from dataclasses import dataclass
from operator import mul

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
SHAPE = re.compile(r"^\d{17}[\dX]$")

MALE = "male"
FEMALE = "female"


@dataclass(frozen=True)
class IdFacts:
    birth_date: dt.date
    sex: str


SPACES = re.compile(r"[\s\u3000]")


def normalise(value: str) -> str:
    """Upper-case and strip spaces (including full-width ones) around and inside."""
    return SPACES.sub("", str(value or "")).upper()


def check_char(first17: str) -> str:
    if len(first17) != 17:
        raise ValueError(f"a check character is computed from 17 digits, not {len(first17)}")
    return CHECK_CHARS[sum(map(mul, map(int, first17), WEIGHTS)) % 11]


def parse(value: str, *, today: dt.date | None = None) -> IdFacts:
    """Return the birth date and sex an ID number encodes, or raise ValidationError."""
    number = normalise(value)
    if len(number) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(count)d."),
            code="id_length",
            params={"count": len(number)},
        )
    if not SHAPE.match(number):
        raise ValidationError(_("An ID number is 17 digits followed by a digit or X."), code="id_shape")
    if check_char(number[:17]) != number[17]:
        raise ValidationError(
            _("The ID number's check character is wrong: please check for a typing error."),
            code="id_checksum",
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))  # SHAPE: digits
    except ValueError:
        raise ValidationError(_("The ID number holds no valid birth date."), code="id_birth_date") from None
    if birth > (today or dt.date.today()) or birth.year < 1890:
        raise ValidationError(_("The ID number holds an impossible birth date."), code="id_birth_date")
    return IdFacts(birth_date=birth, sex=MALE if int(number[16]) % 2 else FEMALE)


def facts(number: str) -> IdFacts:
    """The birth date and sex of a normalised number parse() has accepted, without checking it again."""
    return IdFacts(
        birth_date=dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
        sex=MALE if int(number[16]) % 2 else FEMALE,
    )


def validate_id_number(value: str) -> None:
    parse(value)


def is_valid(value: str) -> bool:
    try:
        parse(value)
    except ValidationError:
        return False
    return True


def mask(value: str) -> str:
    """First 6 and last 4 characters, the rest hidden: how lists show an ID."""
    number = normalise(value)
    if len(number) <= 10:
        return "*" * len(number)
    return f"{number[:6]}{'*' * (len(number) - 10)}{number[-4:]}"


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years from `birth` to `day`: what the app shows instead of a birth date beside a masked ID."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def mask_birth_date(value) -> str:
    """A birth date where it would stand beside a masked ID number (the audit trail): it is the mask's hidden part."""
    return "****-**-**"


def make(region: str, birth: dt.date, sex: str, rng: random.Random) -> str:
    """Build a valid ID number (for the demo town and tests)."""
    sequence = rng.randrange(0, 100)
    sex_digit = rng.choice("13579" if sex == MALE else "02468")
    first17 = f"{region}{birth:%Y%m%d}{sequence:02d}{sex_digit}"
    return first17 + check_char(first17)
