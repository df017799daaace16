"""The lock files say what requirements*.txt ask for: edit an input without `make lock`, and these fail.

requirements.txt and requirements-dev.txt are the inputs people edit (ranges, with the reasons); `make lock`
writes requirements.lock and requirements-dev.lock from them with uv, and every install (make, CI,
production) takes the locks, hashes checked. These tests read the files only: no network, no resolver.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(settings.BASE_DIR)
# Each lock and the inputs it is written from (requirements-dev.txt includes requirements.txt).
LOCKS = {
    "requirements.lock": ["requirements.txt"],
    "requirements-dev.lock": ["requirements.txt", "requirements-dev.txt"],
}


@dataclass
class Locked:
    version: Version
    hashes: int = 0
    via: set[str] = field(default_factory=set)


def asked_for(name: str) -> dict[str, Requirement]:
    """The requirements of one input file by canonical name, without its `-r` includes and comments."""
    requirements = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            requirements[canonicalize_name(requirement.name)] = requirement
    return requirements


def locked(name: str) -> dict[str, Locked]:
    """The pins of a lock file by canonical name, with their hash count and the `# via` lines under each."""
    pins: dict[str, Locked] = {}
    current = None
    for line in (ROOT / name).read_text().splitlines():
        if pin := re.match(r"^([A-Za-z0-9._-]+)==(\S+)", line):
            current = pins[canonicalize_name(pin.group(1))] = Locked(Version(pin.group(2)))
        elif current and line.strip().startswith("--hash=sha256:"):
            current.hashes += 1
        elif current and (via := re.match(r"^\s+# (?:via )?\s*(-[rc] \S+|(?!via$)[A-Za-z0-9._-]+)$", line)):
            current.via.add(via.group(1))
    return pins


@pytest.mark.parametrize("lock", LOCKS)
def test_every_requirement_is_locked_at_a_version_its_input_allows(lock):
    pins = locked(lock)
    for source in LOCKS[lock]:
        for name, requirement in asked_for(source).items():
            assert name in pins, f"{source} asks for {requirement}, which {lock} lacks: run `make lock`"
            assert requirement.specifier.contains(pins[name].version, prereleases=True), (
                f"{source} asks for {requirement}, {lock} has {pins[name].version}: run `make lock`"
            )


@pytest.mark.parametrize("lock", LOCKS)
def test_nothing_is_locked_for_an_input_that_no_longer_asks_for_it(lock):
    pins = locked(lock)
    for source in LOCKS[lock]:
        wanted = set(asked_for(source))
        stale = {name for name, pin in pins.items() if f"-r {source}" in pin.via} - wanted
        assert not stale, f"{lock} still holds {sorted(stale)} for {source}, which no longer asks: run `make lock`"


@pytest.mark.parametrize("lock", LOCKS)
def test_every_locked_package_has_its_hashes(lock):
    pins = locked(lock)
    assert len(pins) > len(asked_for("requirements.txt"))  # the dependencies are locked too
    assert not [name for name, pin in pins.items() if not pin.hashes]


def test_the_dev_lock_installs_exactly_what_production_installs_and_the_tools_beside():
    production, dev = locked("requirements.lock"), locked("requirements-dev.lock")
    assert {name: dev[name].version for name in production if name in dev} == {
        name: pin.version for name, pin in production.items()
    }
