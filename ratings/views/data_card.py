"""The data card of a campaign, as a Markdown file to publish beside its exported labels."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from annotate.permissions import READERS, get_campaign_for
from ratings.data_card import data_card_markdown


@login_required
@require_GET
def data_card(request: HttpRequest, slug: str) -> HttpResponse:
    """The campaign's data card (Markdown) as a download; readers only, like the labels it describes."""
    campaign = get_campaign_for(request, slug, roles=READERS)
    response = HttpResponse(data_card_markdown(campaign), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{campaign.slug}-data-card.md")
    return response
