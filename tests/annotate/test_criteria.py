"""Criterion types as typed objects: parsing, levels, domains, keys, reading and checking answers (no database)."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from annotate.criteria import (
    TYPES,
    BinaryCriterion,
    Criterion,
    FreeTextCriterion,
    LikertCriterion,
    MultiLabelCriterion,
    NumericCriterion,
    PairwiseCriterion,
    criteria_from_dicts,
    criteria_to_dicts,
    criterion_from_dict,
    criterion_parse,
    pairwise_swap,
    stored_criteria,
    values_from_post,
    values_validate,
)
from annotate.rubrics import validate_criteria

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

FILE_CRITERIA = [
    {"key": "helpful", "type": "likert", "scale": {"min": 1, "max": 5}, "anchors": {1: "Poor", 5: "Great"}},
    {"key": "topic", "type": "categorical", "options": ["code", "maths"]},
    {"key": "safe", "type": "binary", "labels": {True: "Safe", False: "Unsafe"}},
    {"key": "issues", "type": "multi_label", "options": ["typo", "wrong", "rude"], "max_selected": 2},
    {"key": "score", "type": "numeric", "min": 0, "max": 10, "step": 0.5, "unit": "pts"},
    {"key": "preference", "type": "pairwise", "strength": 2},
    {"key": "why", "type": "free_text", "max_length": 20},
]


def parse(raw: dict) -> Criterion:
    errors: list[str] = []
    criterion = criterion_parse(raw, errors.append)
    assert errors == [] and criterion is not None
    return criterion


def parse_errors(raw: object) -> list[str]:
    errors: list[str] = []
    assert criterion_parse(raw, errors.append) is None
    return errors


CRITERIA = tuple(parse(raw) for raw in FILE_CRITERIA)
BY_KEY = {c.key: c for c in CRITERIA}


def test_the_registry_lists_every_type_once_in_order() -> None:
    assert list(TYPES) == ["likert", "categorical", "binary", "multi_label", "numeric", "pairwise", "free_text"]
    assert all(cls.type == name and cls.title for name, cls in TYPES.items())


def test_each_type_parses_into_its_own_class() -> None:
    assert [type(c) for c in CRITERIA] == list(TYPES.values())


def test_stored_dicts_round_trip_through_typed_criteria() -> None:
    dicts = criteria_to_dicts(CRITERIA)
    assert criteria_from_dicts(dicts) == CRITERIA
    assert criteria_to_dicts(criteria_from_dicts(dicts)) == dicts


def test_stored_criteria_are_converted_once_per_distinct_list() -> None:
    dicts = criteria_to_dicts(CRITERIA)
    assert stored_criteria(dicts) is stored_criteria([dict(d) for d in dicts])
    assert stored_criteria(dicts) == CRITERIA


def test_a_stored_criterion_missing_fields_gets_the_readers_defaults() -> None:
    criterion = criterion_from_dict({"key": "ok", "type": "binary"})
    assert (criterion.label, criterion.required, criterion.level) == ("ok", False, "nominal")
    assert criterion_from_dict({"key": "p", "type": "pairwise", "strength": 1}).level == "ordinal"


# ---------------------------------------------------------------- parsing


def test_likert_scale_gets_anchors_and_digit_keys() -> None:
    likert = BY_KEY["helpful"]
    assert [(o.value, o.label, o.key) for o in likert.options] == [
        (1, "Poor", "1"), (2, "2", "2"), (3, "3", "3"), (4, "4", "4"), (5, "Great", "5"),
    ]  # fmt: skip
    assert likert.label == "Helpful" and likert.required is True


def test_binary_labels_rename_yes_and_no() -> None:
    assert [(o.value, o.label, o.key) for o in BY_KEY["safe"].options] == [(True, "Safe", "y"), (False, "Unsafe", "n")]


def test_pairwise_strength_gives_graded_options_with_number_keys() -> None:
    pairwise = BY_KEY["preference"]
    assert [o.value for o in pairwise.options] == [-2, -1, 0, 1, 2]
    assert [o.key for o in pairwise.options] == ["1", "2", "3", "4", "5"]
    assert pairwise.options[0].label == "A much better" and pairwise.compared_fields == ("response_a", "response_b")


def test_plain_pairwise_keys_are_a_t_b() -> None:
    assert [o.key for o in parse({"key": "p", "type": "pairwise"}).options] == ["a", "t", "b"]


def test_free_text_is_optional_by_default() -> None:
    assert BY_KEY["why"].required is False and parse({"key": "w", "type": "free_text"}).max_length is None


def test_numeric_keeps_range_step_and_unit() -> None:
    score = BY_KEY["score"]
    assert (score.min, score.max, score.step, score.unit, score.midpoint) == (0, 10, 0.5, "pts", 5)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"key": "x", "type": "flag"}, "type: unknown type 'flag' (expected one of likert, categorical, binary, "),
        (
            {"key": "x"},
            "type: required (one of likert, categorical, binary, multi_label, numeric, pairwise, free_text)",
        ),
        ({"key": "x", "type": "binary", "scale": 3}, "unknown field 'scale' for type binary (allowed: "),
        ({"key": "x", "type": "likert"}, "likert needs a scale (e.g. scale: {min: 1, max: 5}) or a list of options"),
        ({"key": "x", "type": "numeric", "min": 5, "max": 1}, "min (5) must be less than max (1)"),
        ({"key": "x", "type": "categorical", "options": ["a"]}, "options: needs at least 2 options, got 1"),
        ({"key": "x", "type": "multi_label", "options": ["a", "b"], "max_selected": 3}, "max_selected: 3 is more"),
        ({"key": "x", "type": "pairwise", "strength": 4}, "strength: must be 0 (A/tie/B) or a whole number from 1"),
        ({"key": "x", "type": "free_text", "max_length": 0}, "max_length: must be a whole number of 1 or more"),
        ("x", "must be a mapping with at least key and type, got a string ('x')"),
    ],
)
def test_a_bad_criterion_is_reported_by_its_type(raw: object, message: str) -> None:
    assert any(error.startswith(message) for error in parse_errors(raw)), parse_errors(raw)


# ---------------------------------------------------------------- levels


@pytest.mark.parametrize(
    ("key", "level"),
    [("helpful", "ordinal"), ("topic", "nominal"), ("safe", "nominal"), ("issues", "nominal"),
     ("score", "interval"), ("preference", "ordinal"), ("why", "none")],
)  # fmt: skip
def test_each_type_has_its_default_level(key: str, level: str) -> None:
    assert BY_KEY[key].level == BY_KEY[key].default_level == level


def test_a_declared_level_must_be_allowed_for_the_type() -> None:
    assert parse({"key": "s", "type": "numeric", "min": 0, "max": 1, "level": "ratio"}).level == "ratio"
    assert parse_errors({"key": "b", "type": "binary", "level": "ordinal"}) == [
        "level: 'ordinal' is not valid for a binary criterion (allowed: nominal)"
    ]
    assert parse_errors({"key": "p", "type": "pairwise", "strength": 1, "level": "ratio"}) == [
        "level: 'ratio' is not valid for a pairwise with strength criterion (allowed: ordinal, interval, nominal)"
    ]


def test_multi_label_agreement_compares_label_sets_nominally() -> None:
    issues = BY_KEY["issues"]
    assert issues.is_multi_label and issues.agreement_level == "nominal" and issues.agreement_domain is None
    assert not BY_KEY["helpful"].is_multi_label and BY_KEY["helpful"].agreement_level == "ordinal"


def test_only_free_text_has_no_gold_answer_and_no_agreement() -> None:
    assert [c.key for c in CRITERIA if not c.has_gold] == ["why"]
    assert [c.key for c in CRITERIA if not c.has_agreement] == ["why"]


# ---------------------------------------------------------------- domains, display, partials


def test_value_domains() -> None:
    domains = {c.key: c.value_domain for c in CRITERIA}
    assert domains == {
        "helpful": [1, 2, 3, 4, 5],
        "topic": ["code", "maths"],
        "safe": [False, True],
        "issues": ["typo", "wrong", "rude"],
        "score": None,
        "preference": [-2, -1, 0, 1, 2],
        "why": None,
    }


def test_disagreement_measure_follows_the_scale() -> None:
    assert BY_KEY["score"].disagreement_measure == "standard deviation of the labels"
    assert BY_KEY["topic"].disagreement_measure == "entropy of the labels in bits"


def test_display_shows_the_option_label_beside_the_value() -> None:
    assert BY_KEY["helpful"].display(5) == "5 · Great"
    assert BY_KEY["safe"].display(False) == "no · Unsafe"
    assert BY_KEY["issues"].display([]) == "(none)"
    assert BY_KEY["why"].display(None) == "—"


def test_every_type_names_partials_that_exist() -> None:
    for cls in TYPES.values():
        assert (TEMPLATES / cls.template).is_file(), cls.template
        assert (TEMPLATES / cls.detail_template).is_file(), cls.detail_template


def test_shortest_file_form_leaves_defaults_out() -> None:
    assert BY_KEY["helpful"].to_file() == {
        "key": "helpful", "type": "likert", "scale": {"min": 1, "max": 5}, "anchors": {1: "Poor", 5: "Great"},
    }  # fmt: skip
    assert BY_KEY["topic"].to_file() == {"key": "topic", "type": "categorical", "options": ["code", "maths"]}
    assert BY_KEY["safe"].to_file()["labels"] == {True: "Safe", False: "Unsafe"}
    assert BY_KEY["preference"].to_file() == {"key": "preference", "type": "pairwise", "strength": 2}
    for raw in FILE_CRITERIA:
        criterion = parse(raw)
        assert parse(criterion.to_file()) == criterion


# ---------------------------------------------------------------- answers


def test_values_from_post_reads_each_type() -> None:
    post = QueryDict(mutable=True)
    post.update({"c-helpful": "4", "c-topic": "code", "c-safe": "false", "c-score": "7.5", "c-preference": "-1"})
    post.setlist("c-issues", ["typo"])
    post["c-why"] = "  fine  "
    assert values_from_post(CRITERIA, post) == {
        "helpful": 4, "topic": "code", "safe": False, "issues": ["typo"], "score": 7.5, "preference": -1, "why": "fine",
    }  # fmt: skip


def test_values_from_post_keeps_unparsable_text_and_leaves_blanks_out() -> None:
    values = values_from_post(CRITERIA, QueryDict("c-helpful=lots&c-score=&c-safe=maybe&c-why=+"))
    assert values == {"helpful": "lots", "safe": "maybe", "issues": []}


@pytest.mark.parametrize(
    ("key", "cell", "value"),
    [
        ("helpful", "4.0", 4),
        ("helpful", 3.0, 3),
        ("helpful", "x", "x"),
        ("topic", 7, "7"),
        ("safe", "Yes", True),
        ("safe", "unsafe", False),
        ("safe", 0, False),
        ("issues", "typo|rude", ["typo", "rude"]),
        ("issues", "typo; rude", ["typo", "rude"]),
        ("issues", '["typo", 3]', ["typo", "3"]),
        ("score", "2.5", 2.5),
        ("score", "3", 3),
        ("preference", "-2", -2),
        ("why", "  because  ", "because"),
    ],
)
def test_import_cells_are_read_by_the_type(key: str, cell: object, value: object) -> None:
    assert BY_KEY[key].from_cell(cell) == value
    assert type(BY_KEY[key].from_cell(cell)) is type(value)


def test_plain_pairwise_cells_accept_a_b_tie_in_any_case() -> None:
    plain = parse({"key": "p", "type": "pairwise"})
    assert [plain.from_cell(c) for c in ("a", " B ", "TIE", "C")] == ["A", "B", "tie", "C"]


def test_gold_cells_read_labels_flags_and_refuse_huge_numbers() -> None:
    assert BY_KEY["issues"].from_gold_cell("typo | rude") == ["typo", "rude"]
    assert BY_KEY["safe"].from_gold_cell("TRUE") is True
    with pytest.raises(ValueError, match="not a value of this criterion"):
        BY_KEY["helpful"].from_gold_cell("9" * 101)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("helpful", 7, "7 is not one of 1, 2, 3, 4, 5"),
        ("helpful", True, "True is not one of 1, 2, 3, 4, 5"),
        ("topic", "poetry", "'poetry' is not one of 'code', 'maths'"),
        ("safe", 1, "1 is not yes or no (true or false)"),
        ("issues", "typo", "'typo' is not a list of labels"),
        ("issues", ["typo", "typo"], "['typo', 'typo'] lists a label more than once"),
        ("issues", ["typo", "wrong", "rude"], "choose at most 2 labels, got 3"),
        ("score", 11, "11 is outside 0–10"),
        ("score", 7.3, "7.3 is not on a step of 0.5 from 0"),
        ("preference", "A", "'A' is not one of -2, -1, 0, 1, 2"),
        ("why", "x" * 21, "at most 20 characters, got 21"),
    ],
)
def test_check_names_the_value(key: str, value: object, message: str) -> None:
    with pytest.raises(ValueError) as exc:
        BY_KEY[key].check(value)
    assert str(exc.value) == message


def test_values_validate_names_the_criterion_and_puts_labels_in_option_order() -> None:
    valid = {"helpful": 4, "topic": "code", "safe": True, "issues": ["rude", "typo"], "score": 7.5, "preference": 0}
    assert values_validate(CRITERIA, valid)["issues"] == ["typo", "rude"]
    with pytest.raises(ValidationError) as exc:
        values_validate(CRITERIA, {**valid, "helpful": None, "extra": 1})
    assert exc.value.message_dict == {
        "helpful": ["Helpful: an answer is required"],
        "extra": [
            "extra: not a criterion of this rubric (expected helpful, topic, safe, issues, score, preference, why)"
        ],
    }


def test_values_validate_accepts_stored_dicts_too() -> None:
    assert values_validate(criteria_to_dicts(CRITERIA[:1]), {"helpful": 2}) == {"helpful": 2}


def test_pairwise_swap_exchanges_a_and_b_only_when_b_was_left() -> None:
    plain = parse({"key": "p", "type": "pairwise"})
    criteria = (plain, BY_KEY["preference"], BY_KEY["helpful"])
    values = {"p": "A", "preference": -2, "helpful": 4}
    assert pairwise_swap(criteria, values, {"left": "b"}) == {"p": "B", "preference": 2, "helpful": 4}
    assert pairwise_swap(criteria, values, {"left": "a"}) == values


def test_gold_matching_follows_the_type() -> None:
    assert BY_KEY["score"].matches(5, 5.25) and not BY_KEY["score"].matches(5, 5.5)
    assert BY_KEY["issues"].matches(["typo", "rude"], ["rude", "typo"])
    assert not BY_KEY["helpful"].matches(1, True)


def test_subclasses_are_frozen() -> None:
    with pytest.raises(AttributeError):
        BY_KEY["helpful"].label = "x"  # type: ignore[misc]
    assert isinstance(BY_KEY["helpful"], LikertCriterion)
    assert {BinaryCriterion, FreeTextCriterion, MultiLabelCriterion, NumericCriterion, PairwiseCriterion} <= set(
        TYPES.values()
    )


FLAGS = {
    "key": "flags",
    "type": "multi_label",
    "label": "Safety flags",
    "options": [
        {"value": "toxicity", "label": "Toxicity", "key": "t"},
        {"value": "self_harm", "label": "Self-harm", "key": "h"},
        {"value": "none", "label": "None", "key": "0", "exclusive": True},
    ],
}


def validate_one(raw: dict) -> dict:
    return validate_criteria([raw])[0]


def test_an_exclusive_option_is_an_answer_on_its_own() -> None:
    criterion = criterion_from_dict(validate_one(FLAGS))
    assert [o.exclusive for o in criterion.options] == [False, False, True]
    assert criterion.check(["none"]) == ["none"]
    assert criterion.check(["self_harm", "toxicity"]) == ["toxicity", "self_harm"]


def test_an_exclusive_option_with_another_is_refused_naming_both() -> None:
    with pytest.raises(ValidationError) as exc_info:
        values_validate([validate_one(FLAGS)], {"flags": ["self_harm", "none"]})
    assert exc_info.value.message_dict == {
        "flags": ["Safety flags: choose 'None' on its own, not together with Self-harm"]
    }


def test_an_exclusive_option_survives_storage_and_the_file_form() -> None:
    (criterion,) = stored_criteria([validate_one(FLAGS)])
    assert criterion.options[2].exclusive
    assert criterion.to_dict()["options"][2]["exclusive"] is True
    assert "exclusive" not in criterion.to_dict()["options"][0]
    assert criterion.to_file()["options"][2] == {"value": "none", "label": "None", "key": "0", "exclusive": True}
