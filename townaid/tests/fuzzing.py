"""Hypothesis profiles and the junk every fuzz test sends.

Profiles, loaded on import (every fuzz module imports this one):
- "ci" when the CI environment variable is set: derandomized, so that a run
  is reproducible and a red build stays red, with no example database;
- "dev" otherwise: random examples, the failing ones kept under var/hypothesis/
  (ignored by git) and tried first on the next run.
HYPOTHESIS_PROFILE=ci|dev chooses one by hand. Each test sets its own number
of examples through examples(), modest enough for a few seconds, which
FUZZ_SCALE multiplies for a longer hunt (FUZZ_SCALE=20 pytest ...test_fuzz.py).
deadline=None because a request through the test client and the database varies
in time for no fault of the code.
"""

import datetime as dt
import os

from django.conf import settings as django_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from households import idnumbers

HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("ci", derandomize=True, database=None, deadline=None, suppress_health_check=HEALTH)
settings.register_profile(
    "dev",
    derandomize=False,  # said, because a profile starts from the defaults, which are derandomized under CI
    database=DirectoryBasedExampleDatabase(django_settings.BASE_DIR / "var" / "hypothesis"),
    deadline=None,
    suppress_health_check=HEALTH,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def examples(count: int) -> int:
    """A test's number of examples, times FUZZ_SCALE (1 unless set)."""
    return count * int(os.environ.get("FUZZ_SCALE") or 1)


# ---------------------------------------------------------------- junk

# Any text, control characters and NUL included (PostgreSQL refuses NUL in text), never lone surrogates
# (a browser cannot send them: they are not UTF-8).
texts = st.text(max_size=40)
huge_texts = st.builds(lambda piece, times: piece * times, st.text(min_size=1, max_size=3), st.integers(300, 20_000))
numbers = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["1e309", "-0", "0x10", "١٢٣", "１２", "2020.5", " 7 "]),
)
dates = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    st.sampled_from(["2020-02-30", "2020-13-01", "31/12/2020", "20200101", "0000-00-00", "9999-12-31", "yesterday"]),
)
junk = st.one_of(st.just(""), texts, huge_texts, numbers, dates)


def junk_rates() -> st.SearchStrategy[int]:
    """How often, in percent, a field of one example is junk: never (the valid paths must be reached too),
    now and then, or mostly."""
    return st.sampled_from([0, 0, 5, 20, 60])


@st.composite
def either(draw, valid: st.SearchStrategy, rate: int, odd: st.SearchStrategy = junk):
    """A valid value, or (`rate` times in a hundred) an odd one."""
    return draw(odd) if draw(st.integers(0, 99)) < rate else draw(valid)


def choice_or_junk(values, rate: int = 20) -> st.SearchStrategy[str]:
    """A valid choice, or sometimes anything."""
    return either(st.sampled_from(list(values)), rate)


@st.composite
def valid_id_numbers(draw, born: st.SearchStrategy[dt.date] | None = None) -> str:
    """A valid ID number of any plausible birth date and either sex, as a person may type it."""
    region = draw(st.from_regex(r"\A[1-8][0-9]{5}\Z"))
    birth = draw(born or st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)))
    sequence = draw(st.from_regex(r"\A[0-9]{3}\Z"))
    number = f"{region}{birth:%Y%m%d}{sequence}"
    number += idnumbers.check_char(number)
    return draw(st.sampled_from([number, number, number.lower(), f" {number[:6]} {number[6:14]} {number[14:]}\u3000"]))


@st.composite
def id_numbers(draw) -> str:
    """Valid ID numbers, the same with a wrong check character or an impossible birth date, random digits, junk."""
    region = draw(st.from_regex(r"\A[1-8][0-9]{5}\Z"))
    born = draw(st.dates(min_value=dt.date(1880, 1, 1), max_value=dt.date(2030, 12, 31)))
    sequence = draw(st.from_regex(r"\A[0-9]{3}\Z"))
    first17 = f"{region}{born:%Y%m%d}{sequence}"
    right = idnumbers.check_char(first17)
    wrong = draw(st.sampled_from([c for c in "0123456789X" if c != right]))
    return draw(
        st.one_of(
            valid_id_numbers(),
            st.just(first17 + right),
            st.just(first17 + wrong),
            st.from_regex(r"\A[0-9]{17}[0-9X]\Z"),
            junk,
        )
    )


def checkbox() -> st.SearchStrategy[str | None]:
    """A checkbox as a browser sends it (on, or absent as None), or as a script might."""
    return st.sampled_from([None, "on", "", "false", "0", "yes"])


def post_data(fields: dict) -> dict:
    """The fields drawn, without those drawn as None (absent from the request)."""
    return {key: value for key, value in fields.items() if value is not None}
