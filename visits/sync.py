"""The phone's side of a visit: its content in one canonical shape, the digest of it, and what the phone is told.

A phone sends a visit once per client key, and sends it again whenever it is not sure it
arrived (a lost reply, a retry, a resend after logging in again). The server must know
such a visit as the one it stored, and tell it apart from a different version under the
same key (a draft edited after it was sent), which it keeps aside for the visitor to
choose, never merging or overwriting. The digest says which: sha256 (hex) of the
canonical content, the JSON of

    {"visited_on": "YYYY-MM-DD", "method": ..., "met_with": ..., "findings": ...,
     "problems_found": ..., "problems_solved": ..., "policies_explained": ...,
     "income_changes": ..., "follow_up": ...,            each stripped of surrounding whitespace
     "verdicts": {item: [passes, note], ...},             the 2W3G items checked, notes stripped
     "photos": [sha256 of each photo's bytes as uploaded, before re-encoding, sorted]}

with its keys sorted, no spaces, UTF-8 (not ASCII-escaped). The household and the
visitor are not in it: they are checked on their own (visits.services.visit_log), and a
key of another household or visitor is refused whatever its content. Nor are when and
where it was made (made_at, offline, the location): sending the same visit again from
another place or after the phone's clock moved is still the same visit.

The answers of visits:sync are built here too, so that the view stays a sequence of
decisions; each is JSON with a `status` the phone acts on and a `message` in the
user's language.
"""

import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal

from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from households.choices import AssessmentItem
from visits.models import Method, Visit

CONTENT_FIELDS = (
    "visited_on",
    "method",
    "met_with",
    "findings",
    "problems_found",
    "problems_solved",
    "policies_explained",
    "income_changes",
    "follow_up",
)
COARSE = Decimal("0.001")  # three decimals of a degree: about 110 m of latitude, less of longitude


# ---------------------------------------------------------------- content and digest


def canonical_content(*, visit: Visit, verdicts: dict, photo_digests) -> dict:
    """The visit's content as sent, in the one shape its digest is taken of."""
    content = {name: _text(getattr(visit, name)) for name in CONTENT_FIELDS}
    content["verdicts"] = {item: [bool(passes), _text(note)] for item, (passes, note) in sorted(verdicts.items())}
    content["photos"] = sorted(photo_digests)
    return content


def _text(value) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value if value is not None else "").strip()


def content_digest(content: dict) -> str:
    """sha256 (hex) of the canonical content; keys other than the canonical ones (a photo count) are left out."""
    canonical = {key: content[key] for key in (*CONTENT_FIELDS, "verdicts", "photos")}
    text = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def upload_digest(photo) -> str:
    """sha256 of a photo as uploaded: the one the form took before re-encoding it, else of the file as given."""
    digest = getattr(photo, "upload_digest", "")
    if digest:
        return digest
    sha = hashlib.sha256()
    for chunk in photo.chunks():
        sha.update(chunk)
    return sha.hexdigest()


def stored_content(visit: Visit) -> dict:
    """A stored visit's content in the canonical shape, its photos those it holds now."""
    photos = [photo.upload_digest for photo in visit.photos.all()]
    content = canonical_content(visit=visit, verdicts={}, photo_digests=photos)
    content["verdicts"] = visit.verdicts or {}
    return content


def coarse(value) -> Decimal | None:
    """Degrees rounded to three decimals (about 100 m); a value out of any range is left for the range check."""
    if value is None or value == "":
        return None
    value = Decimal(value)
    if not value.is_finite() or abs(value) > 1000:  # never rounded into range, nor quantized past precision
        return value
    return value.quantize(COARSE, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- what the phone is shown


def shown(content: dict) -> dict:
    """A version of a visit as the phone sets it beside another: readable values, verdicts, the number of photos."""
    values = {name: content.get(name, "") for name in CONTENT_FIELDS}
    if values["method"] in Method.values:
        values["method"] = str(Method(values["method"]).label)
    given = content.get("verdicts") or {}
    values["verdicts"] = [
        {"item": item.value, "label": str(item.label), "passes": given[item.value][0], "note": given[item.value][1]}
        for item in AssessmentItem
        if item.value in given
    ]
    values["photos"] = content.get("photo_count", len(content.get("photos", [])))
    return values


def field_labels() -> dict:
    """The labels of the fields of a version shown, in the user's language."""
    labels = {name: str(Visit._meta.get_field(name).verbose_name) for name in CONTENT_FIELDS}
    labels["verdicts"] = _("Two no-worries, three guarantees checked")
    labels["photos"] = _("Photos")
    return labels


def visit_summary(visit: Visit) -> dict:
    return {"id": visit.pk, "url": visit.get_absolute_url(), "late": visit.late, "digest": visit.content_digest}


def logged_message(visit: Visit, household, *, created: bool) -> str:
    """What the visitor is told once a visit is stored, on the page and on the phone alike."""
    if not created:
        return _("This visit was already logged.")
    if visit.late:
        return _("Visit to household %(number)s logged, but entered too late to count for its period.") % {
            "number": household.number
        }
    return _("Visit to household %(number)s logged.") % {"number": household.number}


def conflict_message(visit: Visit, household, *, choosing: bool = True) -> str:
    """The phone lets the visitor choose which version stays; the page without JavaScript links to the stored one."""
    values = {"number": household.number, "when": timezone.localtime(visit.received_at).strftime("%Y-%m-%d %H:%M")}
    if choosing:
        return (
            _(
                "A different version of this visit to household %(number)s was already stored on %(when)s. Nothing "
                "was saved: choose which version to keep."
            )
            % values
        )
    return (
        _(
            "A different version of this visit to household %(number)s was already stored on %(when)s. Nothing "
            "was saved."
        )
        % values
    )


# ---------------------------------------------------------------- the answers of visits:sync


def answer(http_status: int, /, **body) -> JsonResponse:
    """JSON in UTF-8 as it is (not \\u-escaped): a phone on a weak signal pays for every byte of Chinese."""
    return JsonResponse(body, status=http_status, json_dumps_params={"ensure_ascii": False})


def login_needed() -> JsonResponse:
    return answer(
        401,
        status="login",
        message=_(
            "Your session has ended. Log in again, and the visits waiting on this phone will be sent; nothing is lost."
        ),
        login_url=reverse("login"),
    )


def not_found() -> JsonResponse:
    return answer(
        404,
        status="refused",
        reason="not_found",
        message=_(
            "This household is not among the households you may visit; the visit stays on this phone. "
            "Ask your village cadre whether it was moved or given to someone else."
        ),
    )


def not_stored() -> JsonResponse:
    return answer(
        404,
        status="refused",
        reason="not_found",
        message=_("No visit with this key is stored for you: there is no version to keep."),
    )


def moved(household, village) -> JsonResponse:
    """The household moved village since the visit was written; its new village named only when the user sees it."""
    if village is not None:
        message = _(
            "Household %(number)s has moved to %(village)s since this visit was written. The visit stays on "
            "this phone: check it, then send it again."
        ) % {"number": household.number, "village": village.name}
    else:
        message = _(
            "Household %(number)s has moved to another village since this visit was written. The visit stays "
            "on this phone: check it, then send it again."
        ) % {"number": household.number}
    return answer(422, status="refused", reason="moved", message=message)


def invalid(form) -> JsonResponse:
    errors = {field: [str(message) for message in messages] for field, messages in form.errors.items()}
    return answer(
        422, status="invalid", message=_("Nothing was saved. Please correct the errors below."), errors=errors
    )


def key_used(error) -> JsonResponse:
    return answer(422, status="refused", reason="key_used", message=" ".join(error.messages))


def stored(visit: Visit, household, *, created: bool) -> JsonResponse:
    return answer(
        201 if created else 200,
        status="created" if created else "exists",
        message=logged_message(visit, household, created=created),
        visit=visit_summary(visit),
    )


def conflict(visit: Visit, household, sent: dict) -> JsonResponse:
    return answer(
        409,
        status="conflict",
        message=conflict_message(visit, household),
        visit=visit_summary(visit),
        stored=shown(stored_content(visit)),
        sent=shown(sent),
        stored_digest=visit.content_digest,
        labels=field_labels(),
    )


def replaced(visit: Visit, household) -> JsonResponse:
    return answer(
        200,
        status="replaced",
        message=_("The phone's version of the visit to household %(number)s now replaces the stored one.")
        % {"number": household.number},
        visit=visit_summary(visit),
    )


def kept(visit: Visit, household) -> JsonResponse:
    return answer(
        200,
        status="kept",
        message=_("The stored version of the visit to household %(number)s was kept; the phone's version is dropped.")
        % {"number": household.number},
        visit=visit_summary(visit),
    )
