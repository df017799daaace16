"""The access matrix: every URL pattern of the project, for every kind of user, with GET and POST.

TABLE says, for each URL name, what each user gets with GET and with POST. The
URL patterns are walked from the URLconf (get_resolver), so a pattern with no
row fails the build, and so does a row whose pattern is gone. Each cell (URL,
user, method) is its own test, so a failure names the exact cell.

The users (the columns of every rule): anonymous; alice, cadre of 东风村; bob,
cadre of 红旗村; helper, a responsible person assigned to one 东风村 household;
the town official; admin, a superuser; charlie, who has no role and no scope.

A pattern with parameters is filled from a small world (world.py) built once
for the module (in a transaction rolled back at its end): in each of 东风村 and 红旗村, a
household with its head, income, plan and measure, loan, programmes, visit and
photo, and the village's own programmes and a project with a document. The
东风村 household is the one assigned to helper, and the rules are written for
its objects. Each row is then tried elsewhere too, and the expectation there
follows from the 东风村 one (VARIANTS):
- on 红旗村's objects, for a row that reaches a village's objects: alice gets what
  bob gets in 东风村, bob what alice gets, and helper (nothing assigned there)
  what charlie gets;
- on the objects of a 东风村 household not assigned to helper ("neighbour"), for
  a row that reaches a household's objects: alice still gets what she gets, and
  helper what charlie gets.
A cell's id is `<url name>[-<place>]-<user>-<method>`.

POSTs are empty: the point is the access decision, not the form. An allowed POST
re-shows its form with errors (200); a forbidden one is a 404, the house rule
for out of scope; a GET-only or POST-only view answers 405. Every test runs in a
transaction that is rolled back, and files are deleted only on commit, so a POST
that does change something (applying the roster, deleting a document) changes
nothing the next cell relies on.

How the Django admin is covered: its hundreds of patterns are generated per
model, so they have one rule, ADMIN_MODEL_PAGE, for every pattern named
"admin:..." (or unnamed under /admin/) that has no row of its own. The site's
own pages (index, login, logout, password change, app index, ...) do have rows
and are walked like the rest. Every registered model must have a row in
ADMIN_MODELS (a model added to the admin without one fails the build), and each
model's changelist is tried by every user and its add page by the admin, who
gets a 403 where the table says the model's rows are written by services only.

Unnamed patterns have no name to reverse: their key is "/" plus their route
(their path, when it has no parameters).
"""

import dataclasses
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse

USERS = ("anon", "alice", "bob", "helper", "official", "admin", "charlie")


@dataclasses.dataclass(frozen=True)
class Rule:
    """What each user gets, in the order of USERS, for a GET and for a POST.

    An outcome is "ok" (200), "login" (302 to the login page, back here after),
    "to:<url name>" (302 to that page), or a status code: "400", "401", "403", "404", "405".
    """

    get: tuple[str, ...]
    post: tuple[str, ...]


def rule(get: str, post: str | None = None) -> Rule:
    """A rule from one line of outcomes per method (the POST line defaults to the GET line)."""
    return Rule(tuple(get.split()), tuple((post or get).split()))


@dataclasses.dataclass(frozen=True)
class Obj:
    """An object of the world, by name; its pk fills the URL from the place the cell is tried in."""

    name: str


class _The:
    """`the.household` reads better in the table than `Obj("household")`."""

    def __getattr__(self, name: str) -> Obj:
        return Obj(name)


the = _The()


@dataclasses.dataclass(frozen=True)
class Row:
    rule: Rule
    kwargs: dict
    query: dict


def row(rule: Rule, query: dict | None = None, **kwargs) -> Row:
    return Row(rule, kwargs, query or {})


# fmt: off
# ---------------------------------------------------------------- the rules
# One line per method, the outcome for each user in the order of USERS:
#                    anon      alice     bob       helper    official  admin     charlie
# Lists and pages of one's own: each in their own scope, empty without one.
LIST         = rule("login     ok        ok        ok        ok        ok        ok")
# A 东风村 object: its village's cadre and its assigned helper read it.
READ         = rule("login     ok        404       ok        ok        ok        404")
# The same object, for those who may edit it (a responsible person reads only).
EDIT         = rule("login     ok        404       404       ok        ok        404")
# A form for any editor, nothing chosen yet.
EDITOR       = rule("login     ok        ok        404       ok        ok        404")
# Status, classes, infrastructure changes: officials and administrators.
OFFICIALS    = rule("login     404       404       404       ok        ok        404")
# Roster imports: administrators only.
ADMINS       = rule("login     404       404       404       404       ok        404")
# A whole village: its cadre and the town, not a responsible person.
VILLAGE_PAGE = rule("login     ok        404       404       ok        ok        404")
# The GET line of a view that takes POST only.
POST_ONLY    =      "login     405       405       405       405       405       405"
REVEAL_ID    = rule(POST_ONLY,
                    "login     ok        404       ok        ok        ok        404")
LOGOUT       = rule("login     405       405       405       405       405       405",
                    "login     to:login  to:login  to:login  to:login  to:login  to:login")
INBOX_READ   = rule(POST_ONLY,
                    "login     to:inbox  to:inbox  to:inbox  to:inbox  to:inbox  to:inbox")
LOGIN        = rule("ok        to:home   to:home   to:home   to:home   to:home   to:home")
# The language switch is in every page's footer, the login page's too: anyone may use it.
TO_HOME      = rule("to:home   to:home   to:home   to:home   to:home   to:home   to:home")
# The health check (/healthz): anyone, as a load balancer asks it without logging in; it only reads.
PUBLIC_GET   = rule("ok        ok        ok        ok        ok        ok        ok",
                    "405       405       405       405       405       405       405")
# The phone app's shell: its service worker, manifest and offline page are anyone's (no personal data) ...
# ... and the pages it keeps for its user (the visit form's shell, the outbox), each user's own.
OWN_PAGE     = rule("login     ok        ok        ok        ok        ok        ok",
                    "login     405       405       405       405       405       405")
# The phone's outbox and snapshot (JSON): an ended session is told 401, never sent to the login page. An empty
# POST names no household the user may visit: 404, as for one out of scope.
SYNC         = rule("401       ok        ok        ok        ok        ok        ok",
                    "401       404       404       404       404       404       404")
WORKING_SET  = rule("401       ok        ok        ok        ok        ok        ok",
                    "405       405       405       405       405       405       405")
# The town dashboard: others are sent home, which sends them to their own landing page.
TOWN_PAGE    = rule("login     to:home   to:home   to:home   ok        ok        to:home")

# Rules with long outcomes take two lines per method:
#                    anon                alice               bob                 helper
#                    official            admin               charlie
# Where "/" sends each user: their landing page.
HOME         = rule("login               to:reports:village  to:reports:village  to:reports:mine"
                    "                    to:reports:town     to:reports:town     to:households:list")
IMPORT_APPLY = rule("login               404                 404                 404"
                    "                    404                 405                 404",
                    "login               404                 404                 404"
                    "                    404                 to:households:import-detail  404")
# Applying a department's warning list: its uploader (an official) and administrators; POST only.
WARNING_APPLY = rule("login              404                 404                 404"
                    "                    405                 405                 404",
                    "login               404                 404                 404"
                    "                    to:monitoring:warning-upload  to:monitoring:warning-upload  404")
DELETE_DOC   = rule(POST_ONLY,
                    "login               404                 404                 404"
                    "                    to:infrastructure:detail  to:infrastructure:detail  404")
# The Django admin: staff only; everyone else is sent to its own login page.
STAFF        = rule("to:admin:login      to:admin:login      to:admin:login      to:admin:login"
                    "                    to:admin:login      ok                  to:admin:login")
STAFF_GET    = rule("to:admin:login      to:admin:login      to:admin:login      to:admin:login"
                    "                    to:admin:login      ok                  to:admin:login",
                    "to:admin:login      to:admin:login      to:admin:login      to:admin:login"
                    "                    to:admin:login      405                 to:admin:login")
ADMIN_LOGIN  = rule("ok                  ok                  ok                  ok"
                    "                    ok                  to:admin:index      ok",
                    "ok                  ok                  ok                  ok"
                    "                    ok                  ok                  ok")
# Logging out of the admin without being in it leads to its index, which asks for a staff login.
ADMIN_LOGOUT = rule("to:admin:login      to:admin:index      to:admin:index      to:admin:index"
                    "                    to:admin:index      405                 to:admin:index",
                    "to:admin:login      to:admin:index      to:admin:index      to:admin:index"
                    "                    to:admin:index      to:login            to:admin:index")
# The autocomplete answers the admin's widgets; asked with no widget, it refuses.
AUTOCOMPLETE = rule("to:admin:login      to:admin:login      to:admin:login      to:admin:login"
                    "                    to:admin:login      403                 to:admin:login",
                    "to:admin:login      to:admin:login      to:admin:login      to:admin:login"
                    "                    to:admin:login      405                 to:admin:login")
VIEW_ON_SITE = rule("to:admin:login      to:admin:login      to:admin:login      to:admin:login"
                    "                    to:admin:login      to:households:detail to:admin:login")
# Every admin page without a row of its own: per model, generated by the admin. Those views do not
# name the admin's login page as the site's own pages do, so an anonymous visitor goes to the site's.
ADMIN_MODEL_PAGE = rule("login           to:admin:login      to:admin:login      to:admin:login"
                        "                to:admin:login      ok                  to:admin:login")

# ---------------------------------------------------------------- the table
TABLE = {
    # ------------------------------------------------------------ accounts and the site
    "home":                            row(HOME),
    "login":                           row(LOGIN),
    "logout":                          row(LOGOUT),
    "inbox":                           row(LIST),
    "inbox-read":                      row(INBOX_READ),
    "set_language":                    row(TO_HOME),
    "healthz":                         row(PUBLIC_GET),
    "service-worker":                  row(PUBLIC_GET),
    "manifest":                        row(PUBLIC_GET),
    "offline":                         row(PUBLIC_GET),
    # ------------------------------------------------------------ households
    "households:list":                 row(LIST),
    "households:create":               row(EDITOR),
    "households:detail":               row(READ, pk=the.household),
    "households:edit":                 row(EDIT, pk=the.household),
    "households:assess":               row(EDIT, pk=the.household),
    "households:status":               row(OFFICIALS, pk=the.household),
    "households:reveal-id":            row(REVEAL_ID, pk=the.household, member_pk=the.member),
    "households:income-add":           row(EDIT, pk=the.household),
    "households:income-edit":          row(EDIT, pk=the.household, year=2020),
    "households:classify":             row(OFFICIALS, pk=the.exited),
    "households:income-flagged":       row(LIST),
    "households:classes":              row(LIST),
    "households:exit-start":           row(EDIT, pk=the.household),
    "households:exits":                row(LIST),
    "households:exit-step":            row(EDIT, pk=the.exit_procedure),
    "households:exit-objection":       row(EDIT, pk=the.exit_procedure),
    "households:exit-withdraw":        row(EDIT, pk=the.exit_procedure),
    "households:exit-document":        row(READ, pk=the.exit_record),
    "households:exit-notice":          row(VILLAGE_PAGE, pk=the.village),
    "households:import":               row(ADMINS),
    "households:import-template":      row(ADMINS),
    "households:import-detail":        row(ADMINS, pk=the.batch),
    "households:import-apply":         row(IMPORT_APPLY, pk=the.batch),
    "households:import-errors":        row(ADMINS, pk=the.batch),
    # ------------------------------------------------------------ assistance: guarantee and plans
    "assistance:gaps":                 row(LIST),
    "assistance:assign":               row(EDIT, household_pk=the.household, role="responsible"),
    "assistance:plans-missing":        row(LIST),
    "assistance:plan-create":          row(EDIT, household_pk=the.household),
    "assistance:plan-detail":          row(READ, pk=the.plan),
    "assistance:plan-edit":            row(EDIT, pk=the.plan),
    "assistance:measure-create":       row(EDIT, pk=the.plan),
    "assistance:measure-edit":         row(EDIT, pk=the.measure),
    # ------------------------------------------------------------ assistance: programmes
    "assistance:loan-list":            row(LIST),
    "assistance:loan-create":          row(EDIT, query={"household": the.household}),
    "assistance:loan-detail":          row(READ, pk=the.loan),
    "assistance:loan-edit":            row(EDIT, pk=the.loan),
    "assistance:loan-repay":           row(EDIT, pk=the.loan),
    "assistance:instalment-list":      row(LIST),
    "assistance:training-list":        row(LIST),
    "assistance:training-create":      row(EDIT, query={"village": the.village}),
    "assistance:training-detail":      row(READ, pk=the.training),
    "assistance:training-edit":        row(EDIT, pk=the.training),
    "assistance:welfare-job-list":     row(LIST),
    "assistance:welfare-job-create":   row(EDIT, query={"village": the.village}),
    "assistance:welfare-job-detail":   row(READ, pk=the.welfare_job),
    "assistance:welfare-job-edit":     row(EDIT, pk=the.welfare_job),
    "assistance:pv-station-list":      row(LIST),
    "assistance:pv-station-create":    row(EDITOR),
    "assistance:pv-station-detail":    row(READ, pk=the.pv_station),
    "assistance:pv-station-edit":      row(EDIT, pk=the.pv_station),
    "assistance:pv-income-create":     row(EDIT, station_pk=the.pv_station),
    "assistance:pv-income-edit":       row(EDIT, pk=the.pv_income),
    "assistance:pv-share-create":      row(EDIT, income_pk=the.pv_income),
    "assistance:pv-share-edit":        row(EDIT, pk=the.pv_share),
    "assistance:industry-list":        row(LIST),
    "assistance:industry-create":      row(EDIT, query={"village": the.village}),
    "assistance:industry-detail":      row(READ, pk=the.industry),
    "assistance:industry-edit":        row(EDIT, pk=the.industry),
    "assistance:reward-list":          row(LIST),
    "assistance:reward-create":        row(EDIT, query={"household": the.household}),
    "assistance:reward-detail":        row(READ, pk=the.reward),
    "assistance:reward-edit":          row(EDIT, pk=the.reward),
    "assistance:example-list":         row(LIST),
    "assistance:example-create":       row(EDIT, query={"household": the.household}),
    "assistance:example-detail":       row(READ, pk=the.example),
    "assistance:example-edit":         row(EDIT, pk=the.example),
    "assistance:five-mutual-list":     row(LIST),
    "assistance:five-mutual-create":   row(EDIT, query={"village": the.village}),
    "assistance:five-mutual-detail":   row(READ, pk=the.five_mutual),
    "assistance:five-mutual-edit":     row(EDIT, pk=the.five_mutual),
    # ------------------------------------------------------------ visits
    "visits:due":                      row(LIST),
    "visits:log":                      row(READ, query={"household": the.household}),
    "visits:log-offline":              row(OWN_PAGE),
    "visits:outbox":                   row(OWN_PAGE),
    "visits:sync":                     row(SYNC),
    "visits:working-set":              row(WORKING_SET),
    "visits:flags":                    row(LIST),
    "visits:compliance":               row(LIST),
    "visits:household":                row(READ, pk=the.household),
    "visits:list":                     row(LIST),
    "visits:detail":                   row(READ, pk=the.visit),
    "visits:photo":                    row(READ, pk=the.photo),
    # ------------------------------------------------------------ infrastructure
    "infrastructure:list":             row(LIST),
    "infrastructure:create":           row(OFFICIALS, query={"village": the.village}),
    "infrastructure:detail":           row(READ, pk=the.project),
    "infrastructure:edit":             row(OFFICIALS, pk=the.project),
    "infrastructure:advance":          row(OFFICIALS, pk=the.project),
    "infrastructure:document":         row(READ, pk=the.document),
    "infrastructure:document-delete":  row(DELETE_DOC, pk=the.document),
    # ------------------------------------------------------------ monitoring: the register of cases
    "monitoring:cases":                row(LIST),
    "monitoring:detail":               row(READ, pk=the.case),
    "monitoring:report":               row(EDIT, query={"household": the.household}),
    "monitoring:verify":               row(EDIT, pk=the.case),
    "monitoring:review":               row(OFFICIALS, pk=the.case),
    "monitoring:confirm":              row(OFFICIALS, pk=the.case),
    "monitoring:dismiss":              row(EDIT, pk=the.case),
    "monitoring:follow-up":            row(EDIT, pk=the.case),
    "monitoring:appraise":             row(EDIT, pk=the.case),
    "monitoring:publicise":            row(EDIT, pk=the.case),
    "monitoring:sign-off":             row(OFFICIALS, pk=the.case),
    # ------------------------------------------------------------ monitoring: department warning lists
    "monitoring:warnings":             row(OFFICIALS),
    "monitoring:warning-template":     row(OFFICIALS),
    "monitoring:warning-upload":       row(OFFICIALS, pk=the.warning_upload),
    "monitoring:warning-apply":        row(WARNING_APPLY, pk=the.warning_upload),
    "monitoring:warning-errors":       row(OFFICIALS, pk=the.warning_upload),
    # ------------------------------------------------------------ reports
    "reports:town":                    row(TOWN_PAGE),
    "reports:village":                 row(VILLAGE_PAGE, pk=the.village),
    "reports:mine":                    row(LIST),
    "reports:card":                    row(READ, pk=the.household),
    "reports:card-pdf":                row(READ, pk=the.household),
    "reports:village-cards":           row(READ, pk=the.village),
    "reports:monthly":                 row(LIST),
    # ------------------------------------------------------------ the Django admin: the site's own pages
    "admin:index":                     row(STAFF),
    "admin:login":                     row(ADMIN_LOGIN),
    "admin:logout":                    row(ADMIN_LOGOUT),
    "admin:password_change":           row(STAFF),
    "admin:password_change_done":      row(STAFF_GET),
    "admin:jsi18n":                    row(STAFF_GET),
    "admin:autocomplete":              row(AUTOCOMPLETE),
    "admin:app_list":                  row(STAFF, app_label="households"),
    "admin:view_on_site":              row(VIEW_ON_SITE, content_type_id=the.household_type, object_id=the.household),
}

# The admin's patterns without a row of their own follow ADMIN_MODEL_PAGE.
ADMIN_PREFIXES = ("admin:", "/admin/")

# Every model registered in the admin, and what the admin user gets on its add page:
# "403" where rows are written by the app's services only (history, schedules, shares, visits).
ADMIN_MODELS = {
    "auth.group":                      "ok",
    # Login attempts and lockouts (django-axes): written by the login, read here.
    "axes.accessattempt":              "403",
    "axes.accessfailurelog":           "403",
    "axes.accesslog":                  "403",
    "accounts.user":                   "ok",
    "households.town":                 "ok",
    "households.target":               "ok",
    "households.village":              "ok",
    "households.villagergroup":        "ok",
    "households.supportunit":          "ok",
    "households.workteam":             "ok",
    "households.household":            "ok",
    "households.statuschange":         "403",
    "households.assessment":           "403",
    "households.incomeline":           "ok",
    "households.exitstep":             "ok",
    "monitoring.monitoringline":       "ok",
    "households.incomerecord":         "ok",
    "households.classification":       "403",
    "households.assignment":           "403",
    "households.importbatch":          "403",
    # The audit trail and the access log: never written from the admin.
    "audit.auditevent":                "403",
    "audit.accessevent":               "403",
    "audit.auditrowchange":            "403",
    "assistance.plan":                 "ok",
    "assistance.loan":                 "403",
    "assistance.instalment":           "403",
    "assistance.repayment":            "403",
    "assistance.pvincome":             "403",
    "assistance.trainingsession":      "ok",
    "assistance.welfarejob":           "ok",
    "assistance.pvstation":            "ok",
    "assistance.pvshare":              "403",
    "assistance.industrysupport":      "ok",
    "assistance.reward":               "ok",
    "assistance.typicalexample":       "ok",
    "assistance.fivemutualtype":       "ok",
    "assistance.fivemutualactivity":   "ok",
    "visits.visitrule":                "ok",
    "visits.visit":                    "403",
    "visits.visitflag":                "403",
    "infrastructure.milestonedeadline": "ok",
    "infrastructure.project":          "403",
    "infrastructure.milestoneflag":    "403",
}
# fmt: on


# ---------------------------------------------------------------- walking the URLconf


def url_patterns(resolver=None, namespace: str = "", prefix: str = ""):
    """Every URL pattern of the project as (key, route): the key is its namespaced name, or "/" + route."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from url_patterns(pattern, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            key = ":".join(filter(None, [namespace, pattern.name])) if pattern.name else "/" + route
            yield key, route


PATTERNS = dict(url_patterns())


def covered(key: str) -> bool:
    return key in TABLE or key.startswith(ADMIN_PREFIXES)


def test_every_url_pattern_has_a_row_in_the_table():
    missing = sorted(f"{key} ({route})" for key, route in PATTERNS.items() if not covered(key))
    assert missing == []


def test_no_two_url_patterns_share_a_name():
    """reverse() reaches only one of two patterns with the same name: the matrix could not try the other."""
    keys = [key for key, _route in url_patterns()]
    assert sorted({key for key in keys if keys.count(key) > 1}) == []


def test_every_row_of_the_table_names_a_url_pattern():
    assert sorted(key for key in TABLE if key not in PATTERNS) == []


def test_every_rule_has_an_outcome_for_every_user_and_method():
    rules = [("ADMIN_MODEL_PAGE", ADMIN_MODEL_PAGE)] + [(key, r.rule) for key, r in TABLE.items()]
    short = [key for key, r in rules if len(r.get) != len(USERS) or len(r.post) != len(USERS)]
    assert short == []


def test_every_model_in_the_admin_has_a_row():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert (sorted(registered - ADMIN_MODELS.keys()), sorted(ADMIN_MODELS.keys() - registered)) == ([], [])


# ---------------------------------------------------------------- the cells


@dataclasses.dataclass(frozen=True)
class Cell:
    key: str
    place: str  # whose objects fill the URL: "dongfeng", "hongqi" or "neighbour"; "" when it takes none of theirs
    user: str
    method: str
    expected: str


SHARED = {"batch", "warning_upload", "household_type"}  # the objects of the world that belong to no village
VILLAGE_OWNED = {"village", "training", "pv_station", "pv_income", "industry", "five_mutual", "project", "document"}

# Where else a row is tried, and from whose 东风村 outcome each user's outcome there follows.
VARIANTS = {
    # 红旗村's objects: alice and bob swap; helper, with nothing assigned there, gets what charlie gets.
    "hongqi": {"alice": "bob", "bob": "alice", "helper": "charlie"},
    # The objects of a 东风村 household not assigned to helper: alice still reaches them, helper gets charlie's.
    "neighbour": {"alice": "alice", "helper": "charlie"},
}


def objects_of(r: Row) -> set[str]:
    return {v.name for v in [*r.kwargs.values(), *r.query.values()] if isinstance(v, Obj)}


def variants_of(r: Row) -> list[str]:
    """红旗村 for a row that reaches a village's objects; the neighbour's too for a household's."""
    objects = objects_of(r) - SHARED
    return ["hongqi", "neighbour"] if objects - VILLAGE_OWNED else ["hongqi"] if objects else []


def cells():
    for key, r in TABLE.items():
        if key not in PATTERNS:
            continue  # a stale row: test_every_row_of_the_table_names_a_url_pattern says so
        place = "dongfeng" if objects_of(r) - SHARED else ""
        for method, outcomes in (("GET", r.rule.get), ("POST", r.rule.post)):
            of = dict(zip(USERS, outcomes, strict=False))
            for user in USERS:
                yield Cell(key, place, user, method, of.get(user, "?"))
            for variant in variants_of(r):
                for user, source in VARIANTS[variant].items():
                    yield Cell(key, variant, user, method, of.get(source, "?"))


def cell_id(cell: Cell) -> str:
    return "-".join(filter(None, [cell.key, cell.place, cell.user, cell.method]))


def url_of(world, key: str, place: str) -> str:
    r = TABLE[key]
    objects = {**world["shared"], **world["places"].get(place, {})}

    def value(v):
        return objects[v.name].pk if isinstance(v, Obj) else v

    url = reverse(key, kwargs={name: value(v) for name, v in r.kwargs.items()})
    if r.query:
        url += "?" + urlencode({name: value(v) for name, v in r.query.items()})
    return url


def outcome_of(response, url: str) -> str:
    """The response in the table's words."""
    if response.status_code == 200:
        return "ok"
    if response.status_code != 302:
        return str(response.status_code)
    target = urlsplit(response["Location"])
    try:
        name = resolve(target.path).view_name
    except Resolver404:
        return f"to:{response['Location']}"
    if name == "login" and parse_qs(target.query).get("next") == [url]:
        return "login"
    return f"to:{name}"


def request(client, world, user: str, method: str, url: str):
    if user != "anon":
        client.cookies[settings.SESSION_COOKIE_NAME] = world["sessions"][user]
    response = client.get(url) if method == "GET" else client.post(url)
    if response.streaming:
        b"".join(response.streaming_content)  # read to the end, which closes the file it was served from
    assert not connection.closed_in_transaction, f"{method} {url} closed the database connection"
    return response


@pytest.mark.parametrize("cell", list(cells()), ids=cell_id)
def test_each_user_gets_what_the_table_says(client, world, db, cell):
    url = url_of(world, cell.key, cell.place)
    response = request(client, world, cell.user, cell.method, url)
    assert outcome_of(response, url) == cell.expected, url


def test_every_outcome_in_the_table_is_one_the_matrix_knows():
    rules = [ADMIN_MODEL_PAGE] + [r.rule for r in TABLE.values()]
    outcomes = {outcome for r in rules for outcome in (*r.get, *r.post)}
    known = {"ok", "login", "400", "401", "403", "404", "405"} | {f"to:{key}" for key in PATTERNS}
    assert sorted(outcomes - known) == []


# ---------------------------------------------------------------- the admin's model pages


def admin_url(label: str, page: str, *args) -> str:
    return reverse(f"admin:{label.replace('.', '_')}_{page}", args=args)


@pytest.mark.parametrize("label", sorted(ADMIN_MODELS))
def test_the_admin_opens_every_model_list_and_its_add_page_where_the_table_allows(client, world, db, label):
    changelist, add = admin_url(label, "changelist"), admin_url(label, "add")
    assert [
        outcome_of(request(client, world, "admin", "GET", changelist), changelist),
        outcome_of(request(client, world, "admin", "GET", add), add),
    ] == ["ok", ADMIN_MODELS[label]]


@pytest.mark.parametrize("user", USERS)
def test_every_model_page_of_the_admin_follows_the_admin_rule(client, world, db, user):
    expected = dict(zip(USERS, ADMIN_MODEL_PAGE.get, strict=True))[user]
    household = world["places"]["dongfeng"]["household"]
    pages = [admin_url(label, "changelist") for label in sorted(ADMIN_MODELS)]
    pages.append(admin_url("households.household", "change", household.pk))
    outcomes = {url: outcome_of(request(client, world, user, "GET", url), url) for url in pages}
    assert {url: outcome for url, outcome in outcomes.items() if outcome != expected} == {}
