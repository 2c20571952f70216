"""The leaderboard page and API: who may see them, what they rank, and how bad queries are answered."""

import random

import pytest
from django.core.cache import cache
from django.urls import reverse

from annotate.models import Campaign, CampaignItem, Membership
from annotate.rubrics import validate_criteria
from annotate.services.campaign_counts import campaign_counts_recount
from ratings import leaderboard_report
from ratings.models import Adjudication, Rating
from tests.factories import (
    CampaignFactory,
    DatasetFactory,
    ItemFactory,
    MachineRaterFactory,
    MembershipFactory,
    RatingFactory,
    RubricVersionFactory,
    UserFactory,
)

# How often each system's output is preferred: "strong" beats the others, "weak" loses to them.
STRENGTH = {"strong": 3.0, "middle": 1.0, "weak": 0.35}
PAIRS = [("strong", "middle"), ("middle", "weak"), ("weak", "strong")]


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Leaderboards are cached across requests; every test starts cold."""
    cache.clear()


@pytest.fixture
def campaign(db, curator) -> Campaign:
    """A pairwise campaign of 36 items, each comparing two of three systems named in model_a and model_b."""
    version = RubricVersionFactory(criteria=validate_criteria([{"key": "preference", "type": "pairwise"}]))
    dataset = DatasetFactory(
        content_fields=["prompt", "response_a", "response_b"], metadata_fields=["model_a", "model_b"]
    )
    campaign = CampaignFactory(dataset=dataset, rubric_version=version, owner=curator, overlap=3)
    for order in range(36):
        a, b = PAIRS[order % 3] if order % 2 == 0 else PAIRS[order % 3][::-1]
        item = ItemFactory(
            dataset=dataset,
            content={"prompt": "p", "response_a": "one", "response_b": "two"},
            metadata={"model_a": a, "model_b": b},
        )
        CampaignItem.objects.create(campaign=campaign, item=item, order_key=order)
    campaign_counts_recount(campaign=campaign)
    return campaign


@pytest.fixture
def rated(campaign) -> Campaign:
    """Three raters prefer the stronger system most of the time; one of them often takes whatever is on the left."""
    rng = random.Random(5)
    raters = [UserFactory(username=f"judge{i}") for i in range(3)]
    for user in raters:
        MembershipFactory(campaign=campaign, user=user, role=Membership.Role.RATER)
    for ci in CampaignItem.objects.filter(campaign=campaign).select_related("item"):
        a, b = ci.item.metadata["model_a"], ci.item.metadata["model_b"]
        for index, user in enumerate(raters):
            left = rng.choice("ab")
            if index == 0 and rng.random() < 0.9:
                choice = left.upper()
            else:
                choice = "A" if rng.random() < STRENGTH[a] / (STRENGTH[a] + STRENGTH[b]) else "B"
            RatingFactory(campaign_item=ci, rater=user, values={"preference": choice}, presentation={"left": left})
    return campaign


def url(campaign, **query) -> str:
    base = reverse("ratings:leaderboard", args=[campaign.slug])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def api_url(campaign, **query) -> str:
    base = f"/api/v1/campaigns/{campaign.slug}/leaderboard/"
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.mark.parametrize("role", ["owner", "viewer", "adjudicator"])
def test_readers_see_systems_ranked_with_scores_intervals_and_a_verdict(client, rated, role, request):
    client.force_login(request.getfixturevalue(role))
    response = client.get(url(rated))
    assert response.status_code == 200
    body = response.content.decode()
    board = response.context["board"]
    assert [s.system for s in board.ranking.systems] == ["strong", "middle", "weak"]
    top = board.ranking.systems[0]
    assert f"[{top.ci_low:.0f}, {top.ci_high:.0f}]" in body
    assert board.verdict.startswith("strong ranks first") and board.verdict in body.replace("&#x27;", "'")
    assert "108 comparisons (all ratings) on 36 items by 3 raters" in body
    assert "counts a tie as half a win" in body and "400 points are 10:1 odds" in body
    assert 'id="leaderboard-head-to-head"' in body and 'id="leaderboard-chart"' in body


def test_a_rater_is_refused_and_never_sees_the_ranking(client, rated, rater):
    client.force_login(rater)
    assert client.get(url(rated)).status_code == 404
    api = client.get(api_url(rated))
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


def test_an_outsider_gets_404_and_an_anonymous_visitor_is_sent_to_log_in(client, rated, outsider):
    response = client.get(url(rated))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    api = client.get(api_url(rated))
    assert api.status_code == 401 and api.json()["error"]["code"] == "not_authenticated"
    client.force_login(outsider)
    assert client.get(url(rated)).status_code == 404
    assert client.get(api_url(rated)).status_code == 404


def test_position_bias_shows_the_left_share_theta_and_the_adjusted_scores(client, rated, owner):
    client.force_login(owner)
    body = client.get(url(rated)).content.decode()
    board = leaderboard_report.campaign_leaderboard(rated)
    share, model = board.position.share, board.position.model
    assert share.n + share.n_ties == 108 and share.share > 0.5
    assert f"{share.left} of {share.n}" in body
    assert f"θ = {model.theta:.2f}" in body and model.theta > 1
    assert "judge0" in body  # the rater who takes the left output, in the per-rater table
    judge0 = next(r for r in board.position.raters if r.username == "judge0")
    assert judge0.share > 0.7 and judge0.p_value < 0.05


def test_the_api_gives_the_same_ranking_as_json(client, rated, viewer):
    client.force_login(viewer)
    response = client.get(api_url(rated, labels="all"))
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok" and data["kind"] == "pairwise" and data["system_field"] == "model"
    assert [s["system"] for s in data["ranking"]["systems"]] == ["strong", "middle", "weak"]
    assert data["ranking"]["head_to_head"]["systems"] == ["strong", "middle", "weak"]
    assert data["n_judgements"] == 108 and data["n_raters"] == 3
    assert data["position"]["model"]["theta"] > 1
    assert data["verdict"].startswith("strong ranks first")
    assert client.get(api_url(rated).rstrip("/")).status_code == 200


def test_final_labels_count_one_label_per_item_and_leave_out_ambiguous_items(client, rated, owner):
    item = CampaignItem.objects.filter(campaign=rated).order_by("order_key").first()
    Adjudication.objects.create(
        campaign=rated,
        campaign_item=item,
        criterion_key="preference",
        outcome=Adjudication.Outcome.AMBIGUOUS,
        decided_by=owner,
        decided_at=rated.created_at,
    )
    client.force_login(owner)
    board = client.get(url(rated, labels="final")).context["board"]
    everything = client.get(url(rated, labels="all")).context["board"]
    assert everything.n_judgements == 108
    assert board.labels == "final" and board.n_judgements == 35 and board.n_raters == 0
    assert any("ambiguous" in x.reason and x.n == 1 for x in board.left_out)
    # The position section always reads the ratings: a final label has no presented order.
    assert board.position.share.n + board.position.share.n_ties == 108


def test_a_decision_changes_the_final_labels_at_once(client, rated, owner):
    client.force_login(owner)
    before = client.get(url(rated, labels="final")).context["board"]
    item = CampaignItem.objects.filter(campaign=rated).order_by("order_key").first()
    Adjudication.objects.create(
        campaign=rated,
        campaign_item=item,
        criterion_key="preference",
        outcome=Adjudication.Outcome.AMBIGUOUS,
        decided_by=owner,
        decided_at=rated.created_at,
    )
    after = client.get(url(rated, labels="final")).context["board"]
    assert after.n_judgements == before.n_judgements - 1


def test_machine_raters_stay_out_unless_the_owner_puts_them_in_the_pool(client, rated, owner):
    judge = MachineRaterFactory(campaign=rated, name="llm-judge")
    for ci in CampaignItem.objects.filter(campaign=rated):
        RatingFactory(campaign_item=ci, rater=judge.user, values={"preference": "tie"}, by_machine=True)
    client.force_login(owner)
    assert client.get(url(rated)).context["board"].n_judgements == 108
    Campaign.objects.filter(pk=rated.pk).update(machine_raters_in_pool=True)
    cache.clear()
    assert client.get(url(rated)).context["board"].n_judgements == 144


def test_the_leaderboard_is_computed_once_until_a_rating_changes(client, rated, owner, monkeypatch):
    calls = []
    build = leaderboard_report.build_leaderboard
    monkeypatch.setattr(leaderboard_report, "build_leaderboard", lambda *a, **k: calls.append(1) or build(*a, **k))
    client.force_login(owner)
    client.get(url(rated))
    client.get(url(rated))
    assert len(calls) == 1
    rating = Rating.objects.filter(campaign=rated).first()
    rating.values = {"preference": "tie"}
    rating.save()
    client.get(url(rated))
    assert len(calls) == 2


def test_labels_are_read_in_bulk_not_per_item(client, rated, owner, django_assert_max_num_queries):
    client.force_login(owner)
    with django_assert_max_num_queries(20):
        assert client.get(url(rated)).status_code == 200


def test_bad_query_values_get_a_400_naming_the_field_and_value(client, rated, owner):
    client.force_login(owner)
    response = client.get(url(rated, labels="both"))
    assert response.status_code == 400
    assert "labels: &#x27;both&#x27; is not one of final, all" in response.content.decode()
    response = client.get(url(rated, criterion="speed"))
    assert response.status_code == 400
    assert "criterion: &#x27;speed&#x27; is not a criterion" in response.content.decode()
    api = client.get(api_url(rated, criterion="speed"))
    assert api.status_code == 400
    error = api.json()["error"]
    assert (error["code"], error["field"], error["row"]) == ("invalid", "criterion", None)
    assert error["message"].startswith("criterion: 'speed' is not a criterion")
    api = client.get(api_url(rated, labels="both"))
    assert api.status_code == 400
    error = api.json()["error"]
    assert (error["code"], error["field"], error["message"]) == ("invalid", "labels", '"both" is not a valid choice.')
    api = client.get(api_url(rated, criterion="x" * 65))
    assert api.status_code == 400 and api.json()["error"]["field"] == "criterion"


def test_a_criterion_that_ranks_nothing_is_refused(client, db, curator):
    version = RubricVersionFactory(
        criteria=validate_criteria(
            [{"key": "note", "type": "free_text"}, {"key": "topic", "type": "categorical", "options": ["a", "b"]}]
        )
    )
    campaign = CampaignFactory(rubric_version=version, owner=curator, with_items=2)
    client.force_login(curator)
    response = client.get(url(campaign))
    assert response.status_code == 200
    assert "no criterion that ranks systems" in response.content.decode()
    assert client.get(url(campaign, criterion="topic")).status_code == 400
    api = client.get(api_url(campaign))
    assert api.status_code == 400
    error = api.json()["error"]
    assert (error["field"], error["row"]) == ("criterion", None)
    assert "no criterion that ranks systems" in error["message"]


def test_without_a_system_field_the_page_says_so_names_the_fields_and_links_to_settings(client, db, curator):
    version = RubricVersionFactory(criteria=validate_criteria([{"key": "preference", "type": "pairwise"}]))
    dataset = DatasetFactory(metadata_fields=["topic", "source"])
    campaign = CampaignFactory(dataset=dataset, rubric_version=version, owner=curator)
    item = ItemFactory(dataset=dataset, metadata={"topic": "maths", "source": "web"})
    ci = CampaignItem.objects.create(campaign=campaign, item=item, order_key=0)
    RatingFactory(campaign_item=ci, values={"preference": "A"})
    client.force_login(curator)
    response = client.get(url(campaign))
    assert response.status_code == 200
    body = response.content.decode()
    assert "No metadata field names the system behind each output" in body
    assert "<code>topic</code>" in body and "<code>source</code>" in body
    assert reverse("ratings:campaign-settings", args=[campaign.slug]) in body
    data = client.get(api_url(campaign)).json()
    assert data["status"] == "no_system_field" and data["metadata_fields"] == ["topic", "source"]


def test_a_system_field_set_by_the_owner_is_used(client, db, curator):
    version = RubricVersionFactory(criteria=validate_criteria([{"key": "preference", "type": "pairwise"}]))
    dataset = DatasetFactory(metadata_fields=["engine_a", "engine_b", "model_a", "model_b"])
    campaign = CampaignFactory(dataset=dataset, rubric_version=version, owner=curator, system_field="engine")
    for order, winner in enumerate("AAAB"):
        item = ItemFactory(
            dataset=dataset, metadata={"engine_a": "e1", "engine_b": "e2", "model_a": "m", "model_b": "m"}
        )
        ci = CampaignItem.objects.create(campaign=campaign, item=item, order_key=order)
        RatingFactory(campaign_item=ci, values={"preference": winner})
    client.force_login(curator)
    board = client.get(url(campaign)).context["board"]
    assert board.system_field == "engine" and not board.system_field_guessed
    assert [s.system for s in board.ranking.systems] == ["e1", "e2"]
    assert board.ranking.systems[0].win_rate == pytest.approx(0.75)


def test_pointwise_criteria_rank_means_per_system(client, curator, rater, other_rater, viewer):
    # The default campaign: a 1-5 helpfulness scale, items named by `model`.
    version = RubricVersionFactory()
    campaign = CampaignFactory(rubric_version=version, owner=curator)
    MembershipFactory(campaign=campaign, user=viewer, role=Membership.Role.VIEWER)
    for order, (model, scores) in enumerate(
        [("atlas", (5, 4)), ("atlas", (4, 4)), ("beacon", (2, 3)), ("beacon", (1, 2))]
    ):
        item = ItemFactory(dataset=campaign.dataset, metadata={"model": model})
        ci = CampaignItem.objects.create(campaign=campaign, item=item, order_key=order)
        for user, score in zip((rater, other_rater), scores, strict=True):
            RatingFactory(campaign_item=ci, rater=user, values={"helpful": score})
    client.force_login(viewer)
    response = client.get(url(campaign))
    assert response.status_code == 200
    board = response.context["board"]
    assert board.kind == "mean" and board.system_field == "model"
    atlas, beacon = board.pointwise.systems
    assert (atlas.system, atlas.mean, atlas.n_items, atlas.n_ratings) == ("atlas", 4.25, 2, 4)
    assert beacon.mean == pytest.approx(2.0)
    body = response.content.decode()
    assert "4.25" in body and "Holm" in body
    final = client.get(url(campaign, labels="final")).context["board"]
    # Final labels by majority: atlas (5, 4) is a tie and left out, (4, 4) gives 4; beacon's both tie.
    assert final.n_judgements == 1
    data = client.get(api_url(campaign)).json()
    assert data["pointwise"]["systems"][0]["mean"] == pytest.approx(4.25)


def test_the_system_field_guess_prefers_model_then_system():
    def guess(fields, pairwise):
        criteria = (
            [{"key": "p", "type": "pairwise"}] if pairwise else [{"key": "s", "type": "numeric", "min": 0, "max": 9}]
        )
        campaign = Campaign(system_field="")
        campaign.dataset = DatasetFactory.build(metadata_fields=fields)
        campaign.rubric_version = RubricVersionFactory.build(criteria=validate_criteria(criteria))
        return leaderboard_report.system_field_for(campaign)

    assert guess(["system_a", "system_b", "model_a", "model_b"], True) == "model"
    assert guess(["system_a", "system_b", "engine_a", "engine_b"], True) == "system"
    assert guess(["engine_a", "engine_b", "topic"], True) == "engine"
    assert guess(["model_a", "topic"], True) is None
    assert guess(["system", "model", "topic"], False) == "model"
    assert guess(["system", "topic"], False) == "system"
    assert guess(["topic"], False) is None


def test_campaign_and_agreement_pages_link_to_the_leaderboard(client, rated, owner):
    client.force_login(owner)
    link = reverse("ratings:leaderboard", args=[rated.slug])
    assert link in client.get(reverse("ratings:campaign-detail", args=[rated.slug])).content.decode()
    assert link in client.get(reverse("ratings:agreement", args=[rated.slug])).content.decode()


def test_system_names_from_item_metadata_are_escaped(client, db, curator):
    version = RubricVersionFactory(criteria=validate_criteria([{"key": "preference", "type": "pairwise"}]))
    dataset = DatasetFactory(metadata_fields=["model_a", "model_b"])
    campaign = CampaignFactory(dataset=dataset, rubric_version=version, owner=curator)
    hostile = '<img src=x onerror="alert(1)">'
    for order, winner in enumerate("ABA"):
        item = ItemFactory(dataset=dataset, metadata={"model_a": hostile, "model_b": "</script><b>plain</b>"})
        ci = CampaignItem.objects.create(campaign=campaign, item=item, order_key=order)
        RatingFactory(campaign_item=ci, values={"preference": winner})
    client.force_login(curator)
    body = client.get(url(campaign)).content.decode()
    assert hostile not in body and "</script><b>" not in body
    assert "&lt;img src=x onerror=" in body
