"""Drawing samples: reproducible from the seed, independent of row order, validated."""

import random
from collections import Counter

import pytest

from annotate.sampling import (
    MISSING,
    SampleSpec,
    SampleSpecError,
    describe_sample_spec,
    draw_sample,
    parse_sample_spec,
)

POPULATION = [(i, ["news", "code", "math"][i % 3]) for i in range(300)]


def test_same_spec_and_seed_give_the_same_sample():
    spec = SampleSpec(method="random", n=50, seed=7)
    assert draw_sample(POPULATION, spec) == draw_sample(POPULATION, spec)


def test_a_different_seed_gives_a_different_sample():
    first = draw_sample(POPULATION, SampleSpec(method="random", n=50, seed=1))
    second = draw_sample(POPULATION, SampleSpec(method="random", n=50, seed=2))
    assert set(first) != set(second)


def test_sample_does_not_depend_on_input_order():
    shuffled = list(POPULATION)
    random.Random(3).shuffle(shuffled)
    for spec in (
        SampleSpec(method="all", seed=4),
        SampleSpec(method="random", n=40, seed=4),
        SampleSpec(method="stratified", n=5, seed=4, field="topic"),
    ):
        assert draw_sample(shuffled, spec) == draw_sample(POPULATION, spec)


def test_all_returns_every_item_once_in_a_seeded_order():
    sample = draw_sample(POPULATION, SampleSpec(method="all", seed=0))
    assert sorted(sample) == list(range(300))
    assert sample != list(range(300))
    assert sample != draw_sample(POPULATION, SampleSpec(method="all", seed=1))


def test_random_returns_n_distinct_items():
    sample = draw_sample(POPULATION, SampleSpec(method="random", n=25, seed=0))
    assert len(sample) == len(set(sample)) == 25


def test_random_with_n_above_population_returns_everything():
    sample = draw_sample(POPULATION[:10], SampleSpec(method="random", n=500, seed=0))
    assert sorted(sample) == list(range(10))


def test_stratified_takes_n_per_stratum_and_all_of_small_strata():
    items = [(i, "big") for i in range(100)] + [(100 + i, "small") for i in range(3)] + [(200, None), (201, "")]
    sample = draw_sample(items, SampleSpec(method="stratified", n=10, seed=0, field="topic"))
    by_stratum = Counter("big" if i < 100 else "small" if i < 200 else MISSING for i in sample)
    assert by_stratum == {"big": 10, "small": 3, MISSING: 2}
    assert len(set(sample)) == len(sample)


def test_stratified_sample_interleaves_strata():
    sample = draw_sample(POPULATION, SampleSpec(method="stratified", n=20, seed=0, field="topic"))
    topics = [POPULATION[i][1] for i in sample]
    assert topics[:20] != sorted(topics)[:20]


def test_parse_accepts_a_stored_spec_round_trip():
    spec = parse_sample_spec({"method": "stratified", "field": "topic", "per_stratum": 3, "seed": 9}, ["topic"])
    assert spec == SampleSpec(method="stratified", n=3, seed=9, field="topic")
    assert parse_sample_spec(spec.as_dict(), ["topic"]) == spec


def test_parse_defaults_to_all_with_seed_zero():
    assert parse_sample_spec({}) == SampleSpec(method="all", seed=0)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"method": "everything"}, "method"),
        ({"method": "random"}, "n"),
        ({"method": "random", "n": 0}, "n"),
        ({"method": "random", "n": "ten"}, "n"),
        ({"method": "random", "n": 5, "seed": -1}, "seed"),
        ({"method": "stratified", "n": 5}, "field"),
        ({"method": "stratified", "n": 0, "field": "topic"}, "n"),
        ({"method": "stratified", "n": 5, "field": "colour"}, "field"),
    ],
)
def test_invalid_specs_name_the_field(data, field):
    with pytest.raises(SampleSpecError) as excinfo:
        parse_sample_spec(data, ["topic", "model"])
    assert excinfo.value.field == field
    assert str(excinfo.value).startswith(f"{field}:")


def test_unknown_stratify_field_error_lists_the_known_fields():
    with pytest.raises(SampleSpecError, match="colour.*topic, model"):
        parse_sample_spec({"method": "stratified", "n": 5, "field": "colour"}, ["topic", "model"])


def test_spec_in_words():
    assert describe_sample_spec({"method": "random", "n": 100, "seed": 7}) == "random sample of 100 items (seed 7)"
    assert "per value of" in describe_sample_spec({"method": "stratified", "field": "topic", "per_stratum": 10})
    assert describe_sample_spec({"method": "all", "seed": 0}).startswith("all items")
