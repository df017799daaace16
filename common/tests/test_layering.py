"""The shape of the house (STYLE.md), read from the source with `ast`: townaid/ is configuration, common/ sits
below every app, and the arrows between the apps point one way.

Tests are left out: a test may build its world with the factories of an app above it, or check that a
dashboard counts what a service wrote. What is checked is every import statement of the code that runs,
at module level or inside a function alike.
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

TOWNAID_CONFIGURATION = {"__init__.py", "settings.py", "settings_test.py", "urls.py", "wsgi.py", "asgi.py", "celery.py"}
DOMAIN_APPS = [
    "accounts",
    "audit",
    "households",
    "assistance",
    "visits",
    "infrastructure",
    "monitoring",
    "reports",
    "maintenance",
]
# What each package may import of the others: the arrows of STYLE.md, common/ below them all. The project
# package is left out on purpose: its settings and URLs name every app.
MAY_IMPORT = {
    "common": set(),
    "accounts": {"common"},
    # The trail records every app, so it sits just above accounts and knows none of them.
    "audit": {"common", "accounts"},
    "households": {"common", "accounts", "audit"},
    "infrastructure": {"common", "accounts", "audit", "households"},
    "assistance": {"common", "accounts", "audit", "households"},
    "visits": {"common", "accounts", "audit", "households", "assistance"},
    "maintenance": {"common", "accounts", "audit", "households"},
    # Monitoring watches households of any origin and answers their risks with the plans' measures.
    "monitoring": {"common", "accounts", "audit", "households", "assistance"},
    "reports": {"common", "accounts", "audit", "households", "assistance", "visits", "infrastructure", "monitoring"},
}
PACKAGES = {"townaid", *MAY_IMPORT}
TEST_PACKAGES = {"e2e"}  # the browser journeys: tests, which may use anything


def imported(source: str, module: str) -> set[str]:
    """The top-level packages of the project that a module's source imports, relative imports resolved."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x, from ..y import z: relative to the module's own package
                base = module.split(".")[: -node.level]
                names = [".".join([*base, node.module] if node.module else base)]
            else:
                names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name and name.split(".")[0] in PACKAGES)
    return found


def modules(package: str) -> dict[str, Path]:
    """Every module of a package that is not a test, by dotted name."""
    root = settings.BASE_DIR / package
    return {
        ".".join(path.relative_to(settings.BASE_DIR).with_suffix("").parts): path
        for path in sorted(root.rglob("*.py"))
        if "tests" not in path.relative_to(root).parts
    }


def imports_of(package: str) -> dict[str, set[str]]:
    """For each module of the package, the other packages of the project it imports."""
    return {
        module: imported(path.read_text(encoding="utf-8"), module) - {package}
        for module, path in modules(package).items()
    }


def offenders(package: str, forbidden) -> dict[str, list[str]]:
    return {
        module: sorted(found & set(forbidden))
        for module, found in imports_of(package).items()
        if found & set(forbidden)
    }


def test_townaid_holds_configuration_only():
    root = settings.BASE_DIR / "townaid"
    others = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "tests" not in path.relative_to(root).parts and path.name not in TOWNAID_CONFIGURATION
    )
    assert others == []


def test_common_imports_no_domain_app_nor_the_project_package():
    assert offenders("common", [*DOMAIN_APPS, "townaid"]) == {}


@pytest.mark.parametrize("package", sorted(PACKAGES - {"reports"}))
def test_nothing_imports_reports(package):
    assert offenders(package, ["reports"]) == {}


def test_audit_imports_only_accounts_and_common():
    # It records every app; an import of one of them would turn an arrow around.
    assert offenders("audit", PACKAGES - {"audit", "accounts", "common"}) == {}


def test_accounts_never_imports_households():
    # The user model names villages by string ("households.Village").
    assert offenders("accounts", ["households"]) == {}


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_each_package_imports_only_what_sits_below_it(package):
    assert offenders(package, PACKAGES - MAY_IMPORT[package] - {package}) == {}


def test_every_package_of_the_project_is_in_the_map():
    packages = {path.parent.name for path in settings.BASE_DIR.glob("*/__init__.py")}
    assert packages - TEST_PACKAGES == PACKAGES


def test_the_walker_sees_every_kind_of_import():
    source = """
import reports
import reports.selectors as chosen
from households.models import Household
from . import sibling
from ..views import page


def later():
    from visits import services
"""
    assert imported(source, "assistance.services.plans") == {"reports", "households", "assistance", "visits"}
    assert imported("import django\nfrom openpyxl import Workbook\n", "common.spreadsheets") == set()
