"""An exclusive option ("None") is stored on its own only: the submit and the revision refuse it with another."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from annotate.models import Campaign, RubricVersion
from annotate.rubrics import parse_rubric
from ratings.models import Rating
from ratings.queue import assignment_next
from ratings.services import rating_revise, rating_submit
from tests.factories import CampaignFactory, RubricVersionFactory, raters_of

pytestmark = pytest.mark.django_db

SAFETY = Path(__file__).resolve().parents[2] / "examples" / "rubrics" / "safety_flags.yaml"
HX = {"HTTP_HX_REQUEST": "true"}
REFUSED = "Safety flags: choose &#x27;None&#x27; on its own, not together with Self-harm"


@pytest.fixture
def safety() -> tuple[Campaign, User]:
    version = RubricVersionFactory(criteria=parse_rubric(SAFETY.read_text(encoding="utf-8")).criteria)
    campaign = CampaignFactory(rubric_version=version, with_items=2, overlap=1)
    (rater,) = raters_of(campaign, 1)
    return campaign, rater


def test_submitting_none_with_a_flag_is_refused_in_the_panel_and_stores_nothing(safety) -> None:
    campaign, rater = safety
    client = Client()
    client.force_login(rater)
    html = client.get(reverse("ratings:rate", args=[campaign.slug])).content.decode()
    assignment = re.search(r'name="assignment" value="(\d+)"', html).group(1)
    posted = {"assignment": assignment, "c-flags": ["self_harm", "none"], "c-needs_expert": "false"}
    response = client.post(reverse("ratings:rate-submit", args=[campaign.slug]), posted, **HX)
    page = response.content.decode()
    assert response.status_code == 200 and REFUSED in page
    # The answers stay as given, for the rater to untick one.
    assert re.search(r'value="self_harm"[^>]* checked', page) and re.search(r'value="none"[^>]* checked', page)
    assert not Rating.objects.exists()
    posted["c-flags"] = ["none"]
    response = client.post(reverse("ratings:rate-submit", args=[campaign.slug]), posted, **HX)
    assert "Saved." in response.content.decode()
    assert Rating.objects.get().values == {"flags": ["none"], "needs_expert": False}


def test_the_services_refuse_none_with_a_flag(safety) -> None:
    campaign, rater = safety
    assignment = assignment_next(campaign=campaign, rater=rater)
    with pytest.raises(ValidationError) as exc_info:
        rating_submit(assignment=assignment, values={"flags": ["none", "pii"], "needs_expert": True})
    assert exc_info.value.message_dict == {
        "flags": ["Safety flags: choose 'None' on its own, not together with Personal data (PII)"]
    }
    rating = rating_submit(assignment=assignment, values={"flags": ["pii"], "needs_expert": True})
    with pytest.raises(ValidationError):
        rating_revise(rating=rating, values={"flags": ["pii", "none"], "needs_expert": True})
    rating.refresh_from_db()
    assert rating.values["flags"] == ["pii"] and not rating.revisions.exists()


def test_the_page_marks_the_exclusive_option(safety) -> None:
    campaign, rater = safety
    client = Client()
    client.force_login(rater)
    page = client.get(reverse("ratings:rate", args=[campaign.slug])).content.decode()
    assert re.search(r'value="none" data-key="0" data-exclusive>', page)
    assert "(on its own)" in page
    assert page.count("data-exclusive") == 1


def test_a_stored_version_with_a_page_key_shows_the_pages_action_not_the_option(safety) -> None:
    """A rubric version saved before the page kept `s` for itself: the option loses the key, skip keeps it."""
    campaign, rater = safety
    criteria = campaign.rubric_version.criteria
    criteria[0]["options"][1]["key"] = "s"
    RubricVersion.objects.filter(pk=campaign.rubric_version.pk).update(criteria=criteria)
    client = Client()
    client.force_login(rater)
    page = client.get(reverse("ratings:rate", args=[campaign.slug])).content.decode()
    assert 'value="self_harm">' in page and 'data-key="s"' not in page
    assert "Skip this item <kbd>s</kbd>" in page
