"""Campaign-level agreement: the right statistic per criterion, clear messages on degenerate data, caching."""

import json

import pytest
from django.core.cache import cache

from annotate.models import CampaignItem, Membership
from ratings import agreement as stats
from ratings import agreement_diagnostics, report_results, reports, rubric_comparison
from ratings.models import Rating
from ratings.selectors import ratings_frame, repeat_pairs_frame
from tests.factories import (
    LIKERT_CRITERION,
    CampaignFactory,
    ItemFactory,
    MembershipFactory,
    RatingFactory,
    RubricVersionFactory,
    UserFactory,
)

# Four items rated by three raters on the 1-5 helpfulness scale; None is "not rated".
HELPFUL = {
    "r1": [1, 2, 3, 3, 5],
    "r2": [1, 2, 3, 4, 4],
    "r3": [2, 2, 4, 4, None],
}
CATEGORY = {
    "key": "topic",
    "type": "categorical",
    "label": "Topic",
    "level": "nominal",
    "options": [
        {"value": "code", "label": "code", "key": "1"},
        {"value": "math", "label": "math", "key": "2"},
        {"value": "chat", "label": "chat", "key": "3"},
    ],
}
FLAG = {
    "key": "unsafe",
    "type": "binary",
    "label": "Unsafe",
    "level": "nominal",
    "options": [
        {"value": True, "label": "Yes", "key": "y"},
        {"value": False, "label": "No", "key": "n"},
    ],
}
FLAGS = {
    "key": "flags",
    "type": "multi_label",
    "label": "Flags",
    "level": "nominal",
    "options": [
        {"value": "toxic", "label": "toxic", "key": "1"},
        {"value": "pii", "label": "pii", "key": "2"},
        {"value": "none", "label": "none", "key": "3"},
    ],
}
PREFERENCE = {
    "key": "preference",
    "type": "pairwise",
    "label": "Preference",
    "level": "nominal",
    "fields": ["response_a", "response_b"],
    "strength": 0,
    "options": [
        {"value": "A", "label": "A", "key": "a"},
        {"value": "tie", "label": "Tie", "key": "t"},
        {"value": "B", "label": "B", "key": "b"},
    ],
}
RATIONALE = {"key": "rationale", "type": "free_text", "label": "Rationale", "level": "none"}


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Reports are cached across requests; every test starts cold."""
    cache.clear()


def rate(campaign, table: dict[str, list], key: str = "helpful", **extra) -> None:
    """Rate the campaign's items in order: table maps username -> one value per item (None skips it)."""
    items = list(CampaignItem.objects.filter(campaign=campaign).order_by("order_key"))
    for username, values in table.items():
        user = UserFactory(username=username)
        if not Membership.objects.filter(campaign=campaign, user=user).exists():
            MembershipFactory(campaign=campaign, user=user, role=Membership.Role.RATER)
        for item, value in zip(items, values, strict=False):
            if value is not None:
                RatingFactory(campaign_item=item, rater=user, values={key: value, **extra})


def test_alpha_equals_the_statistics_module_on_the_same_frame(campaign):
    rate(campaign, HELPFUL)
    report = reports.campaign_agreement(campaign, n_boot=200)
    helpful = report.criterion("helpful")
    frame = ratings_frame(campaign, "helpful")
    assert helpful.status == "ok"
    assert helpful.alpha.value == pytest.approx(stats.alpha(frame, "ordinal", [1, 2, 3, 4, 5]))
    assert helpful.percent_agreement == pytest.approx(stats.percent_agreement(frame))
    assert helpful.alpha.ci_low <= helpful.alpha.value <= helpful.alpha.ci_high
    assert (helpful.n_items, helpful.n_raters, helpful.alpha.n_pairable) == (5, 3, 14)


def test_ratings_frame_reads_in_bulk_and_skips_ratings_without_the_key(campaign, django_assert_num_queries):
    rate(campaign, HELPFUL)
    RatingFactory(campaign_item=campaign.items.first(), rater=UserFactory(username="late"), values={"other": 1})
    with django_assert_num_queries(2):  # the labels, then one external id per item
        frame = ratings_frame(campaign, "helpful")
    assert list(frame.columns) == ["item", "rater", "value", "time", "item_external_id"]
    assert len(frame) == 14
    assert frame["value"].dtype == "int64"
    assert set(frame["item_external_id"]) == set(campaign.items.values_list("item__external_id", flat=True))


def test_ratings_frame_reads_booleans_categories_and_label_sets_back_as_their_types(db):
    version = RubricVersionFactory(criteria=[CATEGORY, FLAG, FLAGS])
    campaign = CampaignFactory(rubric_version=version, with_items=2)
    item = campaign.items.first()
    RatingFactory(campaign_item=item, values={"topic": "math", "unsafe": True, "flags": ["pii", "toxic"]})
    RatingFactory(campaign_item=item, values={"topic": "code", "unsafe": False, "flags": []})
    assert sorted(ratings_frame(campaign, "topic")["value"]) == ["code", "math"]
    assert sorted(ratings_frame(campaign, "unsafe")["value"].tolist()) == [False, True]
    assert sorted(ratings_frame(campaign, "flags")["value"].tolist()) == [(), ("pii", "toxic")]


def test_repeat_ratings_are_left_out_of_agreement_and_paired_for_test_retest(campaign):
    rate(campaign, HELPFUL)
    first = Rating.objects.filter(rater__username="r1").order_by("campaign_item__order_key").first()
    RatingFactory(campaign_item=first.campaign_item, rater=first.rater, values={"helpful": 2}, is_repeat=True)
    assert len(ratings_frame(campaign, "helpful")) == 14
    pairs = repeat_pairs_frame(campaign, "helpful")
    assert pairs[["first", "repeat"]].values.tolist() == [[1, 2]]
    retest = reports.campaign_agreement(campaign, n_boot=50).criterion("helpful").test_retest
    assert [(r.username, r.n_repeated, r.exact_agreement) for r in retest] == [("r1", 1, 0.0)]


def test_second_call_is_served_from_the_cache(campaign, django_assert_num_queries):
    rate(campaign, HELPFUL)
    first = reports.campaign_agreement(campaign, n_boot=100)
    with django_assert_num_queries(1):  # the fingerprint only
        again = reports.campaign_agreement(campaign, n_boot=100)
    assert again == first


def test_one_criterion_is_cut_from_the_cached_whole_report(campaign, django_assert_num_queries):
    rate(campaign, HELPFUL)
    reports.campaign_agreement(campaign, n_boot=100)
    with django_assert_num_queries(1):
        only = reports.campaign_agreement(campaign, criterion_key="helpful", n_boot=100)
    assert [c.key for c in only.criteria] == ["helpful"]


def test_a_new_rating_changes_the_result(campaign):
    rate(campaign, HELPFUL)
    before = reports.campaign_agreement(campaign, n_boot=100).criterion("helpful")
    RatingFactory(
        campaign_item=campaign.items.order_by("order_key").last(),
        rater=UserFactory(username="r3"),
        values={"helpful": 1},
    )
    after = reports.campaign_agreement(campaign, n_boot=100).criterion("helpful")
    assert after.n_labels == before.n_labels + 1
    assert after.alpha.value != pytest.approx(before.alpha.value)


def test_a_revised_rating_changes_the_result(campaign):
    rate(campaign, HELPFUL)
    before = reports.campaign_agreement(campaign, n_boot=100).criterion("helpful")
    rating = Rating.objects.filter(rater__username="r3").order_by("campaign_item__order_key").first()
    rating.values = {"helpful": 5}
    rating.save()
    after = reports.campaign_agreement(campaign, n_boot=100).criterion("helpful")
    assert after.alpha.value < before.alpha.value


def test_no_ratings_gives_a_message_not_an_exception(campaign):
    report = reports.campaign_agreement(campaign, n_boot=50)
    helpful = report.criterion("helpful")
    assert helpful.status == "no_ratings"
    assert helpful.alpha is None
    assert "No ratings" in helpful.message


def test_one_rater_gives_a_message_not_an_exception(campaign):
    rate(campaign, {"solo": [1, 2, 3, 4, 5]})
    helpful = reports.campaign_agreement(campaign, n_boot=50).criterion("helpful")
    assert helpful.status == "insufficient_data"
    assert "at least two raters" in helpful.message
    assert helpful.distribution is not None  # the label distribution is still worth showing


def test_no_variation_gives_a_message_not_an_exception(campaign):
    rate(campaign, {"r1": [3, 3, 3, 3, 3], "r2": [3, 3, 3, 3, 3]})
    helpful = reports.campaign_agreement(campaign, n_boot=50).criterion("helpful")
    assert helpful.status == "no_variation"
    assert "no variation" in helpful.message
    assert helpful.percent_agreement == 1.0


def test_free_text_is_skipped_and_an_unknown_criterion_is_refused(db):
    version = RubricVersionFactory(criteria=[dict(LIKERT_CRITERION), RATIONALE])
    campaign = CampaignFactory(rubric_version=version, with_items=2)
    report = reports.campaign_agreement(campaign, n_boot=50)
    assert [c.key for c in report.criteria] == ["helpful"]
    assert [s.key for s in report.skipped] == ["rationale"]
    with pytest.raises(reports.UnknownCriterionError):
        reports.campaign_agreement(campaign, criterion_key="nope")


def test_nominal_criterion_reports_fleiss_ac1_and_says_when_fleiss_does_not_apply(db):
    campaign = CampaignFactory(rubric_version=RubricVersionFactory(criteria=[CATEGORY]), with_items=4)
    rate(
        campaign,
        {
            "r1": ["code", "math", "chat", "code"],
            "r2": ["code", "math", "code", "code"],
            "r3": ["code", "chat", "chat", None],
        },
        key="topic",
    )
    topic = reports.campaign_agreement(campaign, n_boot=50).criterion("topic")
    coefficients = {c.key: c for c in topic.coefficients}
    assert coefficients["fleiss_kappa"].value is None
    assert coefficients["fleiss_kappa"].note == "n/a: unequal raters per item"
    frame = ratings_frame(campaign, "topic")
    assert coefficients["gwet_ac1"].value == pytest.approx(stats.gwet_ac1(frame, ["code", "math", "chat"]))


def test_two_raters_get_cohens_kappa_and_ordinal_scales_weight_it(campaign):
    rate(campaign, {"r1": [1, 2, 3, 4, 5], "r2": [1, 3, 3, 5, 5]})
    helpful = reports.campaign_agreement(campaign, n_boot=50).criterion("helpful")
    frame = ratings_frame(campaign, "helpful")
    raters = list(frame["rater"].unique())
    cohen = next(c for c in helpful.coefficients if c.key == "cohen_kappa")
    assert cohen.value == pytest.approx(stats.cohen_kappa(frame, raters[0], raters[1], "quadratic", [1, 2, 3, 4, 5]))


def test_ordinal_criterion_with_more_raters_reports_mean_pairwise_weighted_kappa(campaign):
    rate(campaign, HELPFUL)
    helpful = reports.campaign_agreement(campaign, n_boot=50).criterion("helpful")
    mean = next(c for c in helpful.coefficients if c.key == "mean_pairwise_kappa")
    matrix = agreement_diagnostics.pairwise_kappa_matrix(
        ratings_frame(campaign, "helpful"), "quadratic", [1, 2, 3, 4, 5]
    ).kappa
    values = [matrix.iloc[i, j] for i in range(3) for j in range(i + 1, 3)]
    assert mean.value == pytest.approx(sum(values) / 3)
    assert [row.rater for row in helpful.kappa_matrix.rows] == ["r1", "r2", "r3"]
    assert helpful.kappa_matrix.rows[0].cells[0].bucket == "k-self"


def test_precision_plan_matches_the_statistics_module(campaign):
    rate(campaign, HELPFUL)
    helpful = reports.campaign_agreement(campaign, n_boot=300).criterion("helpful")
    expected = stats.items_needed_for_precision(
        ratings_frame(campaign, "helpful"), "ordinal", [1, 2, 3, 4, 5], n_boot=300
    )
    assert helpful.precision == expected


def test_diagnostics_name_raters_and_items(campaign):
    rate(campaign, HELPFUL)
    helpful = reports.campaign_agreement(campaign, n_boot=50).criterion("helpful")
    assert [r.username for r in helpful.raters] == ["r1", "r2", "r3"]
    assert [r.username for r in helpful.distribution.rows] == ["r1", "r2", "r3", "all raters"]
    assert helpful.distribution.values == ["1", "2", "3", "4", "5"]
    assert sum(helpful.disagreement.counts) == 5
    top = helpful.most_disputed[0]
    assert top.external_id == CampaignItem.objects.get(pk=top.campaign_item_id).item.external_id
    assert {name for name, _ in top.labels} <= {"r1", "r2", "r3"}
    assert helpful.over_time and helpful.over_time[-1].n_labels == 14


def test_agreement_by_metadata_slice(db):
    campaign = CampaignFactory(with_items=0)
    for order, model in enumerate(["atlas-7b", "atlas-7b", "atlas-7b", "zephyr", "zephyr", "zephyr"]):
        item = ItemFactory(dataset=campaign.dataset, metadata={"model": model, "id_like": f"x{order}"})
        CampaignItem.objects.create(campaign=campaign, item=item, order_key=order)
    rate(campaign, {"r1": [1, 3, 5, 1, 3, 5], "r2": [1, 3, 5, 5, 1, 3]})
    slices = reports.campaign_agreement(campaign, n_boot=50).criterion("helpful").slices
    by_field = {t.field: t for t in slices}
    assert set(by_field) == {"id_like", "model"}
    rows = {r.value: r for r in by_field["model"].rows}
    assert rows["atlas-7b"].alpha == pytest.approx(1.0)
    assert rows["zephyr"].alpha < 0.5


def test_multi_label_uses_masi_alpha_with_an_interval_and_per_label_alpha(db):
    campaign = CampaignFactory(rubric_version=RubricVersionFactory(criteria=[FLAGS]), with_items=5)
    rate(
        campaign,
        {
            "r1": [["toxic"], ["pii"], ["none"], ["toxic", "pii"], ["none"]],
            "r2": [["toxic"], ["pii", "toxic"], ["none"], ["toxic"], ["pii"]],
            "r3": [["toxic"], ["pii"], ["toxic"], ["toxic", "pii"], ["none"]],
        },
        key="flags",
    )
    flags = reports.campaign_agreement(campaign, n_boot=200).criterion("flags")
    frame = ratings_frame(campaign, "flags")
    assert flags.status == "ok"
    assert flags.alpha.value == pytest.approx(stats.masi_alpha(frame))
    assert flags.alpha.ci_low <= flags.alpha.value <= flags.alpha.ci_high
    per_label = {p.label: p.alpha for p in flags.per_label}
    assert per_label["toxic"] == pytest.approx(stats.multilabel_alpha_per_label(frame, ["toxic"])["toxic"])
    assert flags.distribution.values == ["toxic", "pii", "none"]


def test_pairwise_reports_position_and_length_bias(db):
    campaign = CampaignFactory(rubric_version=RubricVersionFactory(criteria=[PREFERENCE]), with_items=0)
    for order in range(6):
        item = ItemFactory(
            dataset=campaign.dataset, content={"prompt": "p", "response_a": "a" * (10 + order), "response_b": "b" * 12}
        )
        CampaignItem.objects.create(campaign=campaign, item=item, order_key=order)
    left = UserFactory(username="lefty")
    fair = UserFactory(username="fair")
    for item in campaign.items.order_by("order_key"):
        shown = "a" if item.order_key % 2 else "b"
        RatingFactory(
            campaign_item=item, rater=left, values={"preference": shown.upper()}, presentation={"left": shown}
        )
        RatingFactory(campaign_item=item, rater=fair, values={"preference": "A"}, presentation={"left": shown})
    preference = reports.campaign_agreement(campaign, n_boot=50).criterion("preference")
    position = {r.username: r for r in preference.position_bias}
    assert position["lefty"].share == 1.0
    assert position["fair"].share == 0.5
    length = {r.username: r for r in preference.length_bias}
    assert length["fair"].n == 5  # one item has equal lengths
    assert length["fair"].chosen == 3


def test_pairwise_reports_intransitive_preferences_between_systems(db):
    """A rater preferring x over y, y over z and z over x holds one cyclic triad."""
    campaign = CampaignFactory(rubric_version=RubricVersionFactory(criteria=[PREFERENCE]), with_items=0)
    pairs = [("x", "y", "A"), ("y", "z", "A"), ("z", "x", "A"), ("x", "z", "A")]
    cyclic, steady = UserFactory(username="cyclic"), UserFactory(username="steady")
    for order, (model_a, model_b, choice) in enumerate(pairs[:3]):
        item = ItemFactory(dataset=campaign.dataset, metadata={"model_a": model_a, "model_b": model_b})
        ci = CampaignItem.objects.create(campaign=campaign, item=item, order_key=order)
        RatingFactory(campaign_item=ci, rater=cyclic, values={"preference": choice})
        # x > y, y > z, and x > z: a consistent order.
        RatingFactory(campaign_item=ci, rater=steady, values={"preference": "A" if order < 2 else "B"})
    preference = reports.campaign_agreement(campaign, n_boot=50).criterion("preference")
    assert preference.triads_fields == ("model_a", "model_b")
    rows = {r.username: r for r in preference.triads}
    assert (rows["cyclic"].triads_checked, rows["cyclic"].intransitive) == (1, 1)
    assert (rows["steady"].triads_checked, rows["steady"].intransitive) == (1, 0)


def test_gold_accuracy_per_rater(campaign):
    rate(campaign, HELPFUL)
    gold = campaign.items.order_by("order_key").first()
    gold.is_gold, gold.gold_answer = True, {"helpful": 1}
    gold.save()
    rows = {r.username: r for r in reports.campaign_agreement(campaign, n_boot=50).criterion("helpful").gold}
    assert (rows["r1"].correct, rows["r2"].correct, rows["r3"].correct) == (1, 1, 0)


def test_readings_follow_krippendorffs_thresholds_on_the_whole_interval():
    def result(value, low, high):
        return stats.AlphaResult(value, low, high, 100, 3, 300, "ordinal")

    assert reports.reading(result(0.85, 0.82, 0.88)).verdict == "reliable"
    assert reports.reading(result(0.70, 0.68, 0.72)).verdict == "tentative"
    assert reports.reading(result(0.50, 0.45, 0.55)).verdict == "unreliable"
    assert "revise the guidelines" in reports.reading(result(0.50, 0.45, 0.55)).text
    # A point above .800 whose interval reaches below it is not reliable yet: the verdict follows the interval.
    overclaim = reports.reading(result(0.801, 0.510, 0.857))
    assert overclaim.verdict == "unsettled"
    assert "spans 0.667 and 0.800" in overclaim.text and "wide" in overclaim.text
    assert "spans 0.800" in reports.reading(result(0.79, 0.75, 0.83)).text
    assert reports.reading(result(0.50, 0.30, 0.70)).verdict == "unsettled"
    assert reports.reading(result(0.85, float("nan"), float("nan"))).text.endswith("read this as a first look.")
    assert reports.reading(None).verdict == "undefined"


def test_report_serialises_to_strict_json(campaign):
    rate(campaign, {"solo": [1, 2, 3, 4, 5]})
    data = report_results.report_as_dict(reports.campaign_agreement(campaign, n_boot=50))
    json.dumps(data, allow_nan=False)
    assert data["criteria"][0]["status"] == "insufficient_data"


def test_rubric_versions_compared_side_by_side_over_readable_campaigns(db, curator):
    v1 = RubricVersionFactory(number=1)
    v2 = RubricVersionFactory(rubric=v1.rubric, number=2)
    old = CampaignFactory(rubric_version=v1, with_items=5, owner=curator)
    new = CampaignFactory(rubric_version=v2, with_items=5, owner=curator)
    hidden = CampaignFactory(rubric_version=v2, with_items=5)
    rate(old, {"r1": [1, 2, 3, 4, 5], "r2": [2, 1, 4, 3, 3]})
    rate(new, {"r1": [1, 2, 3, 4, 5], "r2": [1, 2, 3, 4, 4]})
    rate(hidden, {"r1": [1, 2, 3, 4, 5], "r2": [5, 4, 3, 2, 1]})
    comparison = rubric_comparison.rubric_versions_compared(v1.rubric, user=curator, n_boot=200)
    assert [(v.number, v.campaigns) for v in comparison.versions] == [(1, [old.slug]), (2, [new.slug])]
    row = comparison.criteria[0]
    old_alpha = stats.alpha(ratings_frame(old, "helpful"), "ordinal", [1, 2, 3, 4, 5])
    new_alpha = stats.alpha(ratings_frame(new, "helpful"), "ordinal", [1, 2, 3, 4, 5])
    assert [c.alpha for c in row.cells] == [pytest.approx(old_alpha), pytest.approx(new_alpha)]
    assert row.diffs[0].diff == pytest.approx(new_alpha - old_alpha)
    assert row.diffs[0].ci_low < row.diffs[0].diff < row.diffs[0].ci_high


SHIFT = {
    "key": "shift",
    "type": "numeric",
    "label": "Shift",
    "level": "ordinal",
    "min": -3,
    "max": 1,
    "step": 1,
}


def test_numeric_ordinal_kappa_orders_the_scale_by_value_not_as_text(db):
    """On values -3…1 the weighted kappas use -3 < -2 < -1 < 0 < 1, not the text order -1, -2, -3, 0, 1."""
    from annotate.rubrics import validate_criteria

    version = RubricVersionFactory(criteria=validate_criteria([SHIFT]))
    campaign = CampaignFactory(rubric_version=version, with_items=6)
    rate(campaign, {"a": [-3, -2, -1, 0, 1, -3], "b": [-3, -1, -1, 1, 1, -2], "c": [-2, -2, 0, 0, 1, -3]}, key="shift")
    shift = reports.campaign_agreement(campaign, n_boot=50).criterion("shift")
    frame = ratings_frame(campaign, "shift")
    by_value = agreement_diagnostics.pairwise_kappa_matrix(frame, "quadratic", [-3, -2, -1, 0, 1]).kappa
    expected = [by_value.iloc[i, j] for i in range(3) for j in range(i + 1, 3)]
    mean = next(c for c in shift.coefficients if c.key == "mean_pairwise_kappa")
    assert mean.value == pytest.approx(sum(expected) / 3)
    cells = {(r.rater, i): cell.value for r in shift.kappa_matrix.rows for i, cell in enumerate(r.cells)}
    assert cells[("a", 1)] == pytest.approx(by_value.loc[by_value.index[0], by_value.columns[1]])
