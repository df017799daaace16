import datetime as dt
import random

import pytest
from django.core.exceptions import ValidationError

from households import idnumbers

# A published sample number: born 1949-12-31, male, check character X.
SAMPLE_WITH_X = "11010519491231002X"


def test_a_valid_number_with_x_parses_to_its_birth_date_and_sex():
    facts = idnumbers.parse(SAMPLE_WITH_X)
    assert facts.birth_date == dt.date(1949, 12, 31)
    assert facts.sex == idnumbers.FEMALE  # the 17th digit, 2, is even


def test_a_lower_case_x_and_spaces_are_accepted():
    assert idnumbers.parse(" 11010519491231002x\u3000").birth_date == dt.date(1949, 12, 31)


def test_a_wrong_check_character_is_rejected():
    with pytest.raises(ValidationError) as error:
        idnumbers.parse("110105194912310021")
    assert error.value.code == "id_checksum"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("1101051949123100", "id_length"),
        ("11010519491231002XX", "id_length"),
        ("1101051949123100AX", "id_shape"),
        ("1.10105194912E+17", "id_length"),
    ],
)
def test_malformed_numbers_name_what_is_wrong(number, code):
    with pytest.raises(ValidationError) as error:
        idnumbers.parse(number)
    assert error.value.code == code


def test_an_impossible_birth_date_is_rejected_even_with_a_good_checksum():
    first17 = "34032119990231123"  # 31 February
    with pytest.raises(ValidationError) as error:
        idnumbers.parse(first17 + idnumbers.check_char(first17))
    assert error.value.code == "id_birth_date"


def test_a_birth_date_in_the_future_is_rejected():
    first17 = "34032120990101123"
    with pytest.raises(ValidationError):
        idnumbers.parse(first17 + idnumbers.check_char(first17), today=dt.date(2026, 1, 1))


def test_made_numbers_encode_the_birth_date_and_sex_asked_for():
    rng = random.Random(1)
    for sex in (idnumbers.MALE, idnumbers.FEMALE):
        number = idnumbers.make("340321", dt.date(1975, 2, 3), sex, rng)
        assert idnumbers.parse(number) == idnumbers.IdFacts(dt.date(1975, 2, 3), sex)


def test_masking_keeps_the_first_six_and_last_four_characters():
    assert idnumbers.mask(SAMPLE_WITH_X) == "110105********002X"
