"""Rater pseudonyms: how adjudicators and exports name raters without revealing who they are."""

import hashlib
import hmac

from annotate.models import Campaign


def rater_pseudonym(campaign: Campaign, user_id: int) -> str:
    """The rater's name in this campaign's adjudication pages and exports, e.g. "rater-3f9a1c".

    The same in every page and export of the campaign, different in every other campaign (so two exports cannot
    be joined on it), and not reversible without the campaign's key.
    """
    digest = hmac.new(campaign.pseudonym_key.encode(), f"{campaign.pk}:{user_id}".encode(), hashlib.sha256)
    return f"rater-{digest.hexdigest()[:6]}"
