"""The agreement dashboard: who may see it, what it shows, and the htmx criterion panel."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from ratings import reports
from tests.factories import CampaignFactory, RatingFactory, RubricVersionFactory, UserFactory

HONEST = {
    "key": "honest",
    "type": "likert",
    "label": "Honesty",
    "level": "ordinal",
    "options": [{"value": v, "label": str(v), "key": str(v)} for v in range(1, 6)],
}
FLAG = {
    "key": "unsafe",
    "type": "binary",
    "label": "Unsafe",
    "level": "nominal",
    "options": [{"value": True, "label": "Yes", "key": "y"}, {"value": False, "label": "No", "key": "n"}],
}


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Reports are cached across requests; every test starts cold."""
    cache.clear()


def url(campaign, **query) -> str:
    base = reverse("ratings:agreement", args=[campaign.slug])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.mark.parametrize("role", ["owner", "viewer", "adjudicator"])
def test_readers_see_alpha_with_three_decimals_and_its_interval(client, rated, role, request):
    client.force_login(request.getfixturevalue(role))
    response = client.get(url(rated))
    assert response.status_code == 200
    helpful = reports.campaign_agreement(rated).criterion("helpful")
    body = response.content.decode()
    assert f"{helpful.alpha.value:.3f}" in body
    assert f"[{helpful.alpha.ci_low:.3f}, {helpful.alpha.ci_high:.3f}]" in body
    assert "How to read this" in body
    assert reverse("ratings:agreement-items", args=[rated.slug]) + "?criterion=helpful" in body


def test_a_rater_gets_404_and_never_sees_other_raters_labels(client, rated, rater):
    client.force_login(rater)
    assert client.get(url(rated)).status_code == 404
    assert client.get(url(rated), HTTP_HX_REQUEST="true").status_code == 404


def test_an_outsider_gets_404(client, rated, outsider):
    client.force_login(outsider)
    assert client.get(url(rated)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, rated):
    response = client.get(url(rated))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_staff_read_any_campaign(client, rated):
    client.force_login(UserFactory(username="admin-user", is_staff=True))
    assert client.get(url(rated)).status_code == 200


def test_post_is_not_allowed(client, rated, owner):
    client.force_login(owner)
    assert client.post(url(rated)).status_code == 405


def test_htmx_gets_the_criterion_panel_and_a_full_load_gets_the_page(client, db, curator):
    campaign = CampaignFactory(
        rubric_version=RubricVersionFactory(criteria=[HONEST, FLAG]), with_items=3, owner=curator
    )
    for username, honest, unsafe in [("r1", [1, 3, 5], [True, False, False]), ("r2", [2, 3, 4], [True, False, True])]:
        user = UserFactory(username=username)
        for item, h, u in zip(campaign.items.order_by("order_key"), honest, unsafe, strict=True):
            RatingFactory(campaign_item=item, rater=user, values={"honest": h, "unsafe": u})
    client.force_login(curator)
    fragment = client.get(url(campaign, criterion="unsafe"), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert "<html" not in body
    assert 'id="criterion-panel"' in body
    assert "Unsafe" in body and "Cohen&#x27;s κ" in body
    assert "<script" not in body  # htmx would drop it: the chart data stays on the page
    assert "HX-Request" in fragment["Vary"]
    page = client.get(url(campaign, criterion="unsafe"))
    assert "<html" in page.content.decode()
    assert 'aria-current="page">Unsafe' in page.content.decode()
    assert "HX-Request" in page["Vary"]


def test_an_unknown_criterion_is_404(client, rated, owner):
    client.force_login(owner)
    assert client.get(url(rated, criterion="nope")).status_code == 404


def test_chart_data_is_embedded_as_json_and_the_page_has_no_inline_script_or_style(client, rated, owner):
    client.force_login(owner)
    body = client.get(url(rated)).content.decode()
    assert '<script id="agreement-overview" type="application/json">' in body
    assert '<script id="agreement-charts" type="application/json">' in body
    assert 'data-criterion="helpful"' in body
    assert "vendor/chart-4.6.1.umd.min.js" in body
    assert "js/agreement.js" in body
    assert not re.search(r"\sstyle=", body)
    assert not re.search(r"<script(?![^>]*(src=|type=\"application/json\"))[^>]*>", body)


def test_diagnostics_name_raters_and_link_disputed_items(client, rated, owner):
    client.force_login(owner)
    body = client.get(url(rated)).content.decode()
    for username in ("r1", "r2", "r3"):
        assert username in body
    disputed = reports.campaign_agreement(rated).criterion("helpful").most_disputed[0]
    assert reverse("ratings:agreement-item", args=[rated.slug, disputed.campaign_item_id]) in body
    assert "k-self" in body  # the rater x rater heatmap


def test_an_unrated_campaign_says_so(client, campaign, owner):
    client.force_login(owner)
    response = client.get(url(campaign))
    assert response.status_code == 200
    assert "No ratings on this criterion yet." in response.content.decode()


def test_the_campaign_page_links_readers_to_the_dashboard(client, campaign, owner, viewer):
    for user in (owner, viewer):
        client.force_login(user)
        body = client.get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()
        assert reverse("ratings:agreement", args=[campaign.slug]) in body


def test_the_dashboard_links_to_the_rubric_comparison_when_there_are_several_versions(client, db, curator):
    v1 = RubricVersionFactory(number=1, rubric__created_by=curator)
    v2 = RubricVersionFactory(rubric=v1.rubric, number=2)
    CampaignFactory(rubric_version=v1, owner=curator)
    newer = CampaignFactory(rubric_version=v2, owner=curator)
    client.force_login(curator)
    body = client.get(url(newer)).content.decode()
    assert reverse("ratings:rubric-compare", args=[v1.rubric_id]) in body
