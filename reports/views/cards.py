"""The household card (一户一档): a page to print, the same card as a PDF, and a village's cards in one PDF.

A PDF leaves the app with a household's personal data in it, so each download is kept in the access log,
one row per household it holds.
"""

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from audit.trail import access_record_cards
from households.models import Household, Village
from reports.cards import household_card, household_cards, pdf
from reports.cards.forms import VillageCardsForm


def card_page(request, pk):
    return render(request, "reports/card.html", {"card": _visible_card(request, pk)})


def card_pdf(request, pk):
    card = _visible_card(request, pk)
    number = card.household.number
    content = pdf.cards_pdf([card], title=_("Household card %(number)s") % {"number": number})
    access_record_cards(user=request.user, households=[card.household], detail={"format": "pdf"})
    return _pdf_response(content, filename=f"card-{number}.pdf")


def village_cards(request, pk):
    village = get_object_or_404(Village.objects.visible_to(request.user), pk=pk)
    form = VillageCardsForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Unknown household status."))
    households = Household.objects.filter(village=village)
    if status := form.cleaned_data["status"]:
        households = households.filter(status=status)
    cards = household_cards(user=request.user, households_qs=households)
    content = pdf.cards_pdf(cards, title=_("Household cards of %(village)s") % {"village": village})
    detail = {"format": "pdf", "village": village.name, "status": status, "cards": len(cards)}
    access_record_cards(user=request.user, households=[card.household for card in cards], detail=detail)
    filename = f"cards-{village.name}-{status}.pdf" if status else f"cards-{village.name}.pdf"
    return _pdf_response(content, filename=filename)


def _visible_card(request, pk):
    try:
        return household_card(user=request.user, pk=pk)
    except Household.DoesNotExist:
        raise Http404 from None


def _pdf_response(content: bytes, *, filename: str) -> HttpResponse:
    return HttpResponse(
        content,
        content_type="application/pdf",
        headers={"Content-Disposition": content_disposition_header(as_attachment=True, filename=filename)},
    )
