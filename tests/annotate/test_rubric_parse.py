"""Parsing, validating and normalising rubric files (no database)."""

import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from annotate.criteria import RATE_PAGE_KEYS, RESERVED_KEYS
from annotate.rubrics import RubricSpec, parse_rubric, rubric_to_yaml, validate_criteria

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "rubrics"


def errors_of(text: str, fmt: str | None = None) -> list[str]:
    with pytest.raises(ValidationError) as exc_info:
        parse_rubric(text, fmt)
    return exc_info.value.messages


def criterion_errors(**criterion: object) -> list[str]:
    with pytest.raises(ValidationError) as exc_info:
        validate_criteria([criterion])
    return exc_info.value.messages


def one(**criterion: object) -> dict:
    return validate_criteria([criterion])[0]


# ---------------------------------------------------------------- whole files


@pytest.mark.parametrize("name", ["hhh", "pairwise", "safety_flags"])
def test_each_example_file_loads_and_round_trips_through_yaml(name):
    spec = parse_rubric((EXAMPLES / f"{name}.yaml").read_text())
    assert spec.name and spec.guidelines.startswith("## ")
    assert parse_rubric(rubric_to_yaml(spec)) == spec
    assert parse_rubric(json.dumps(spec.to_dict()), "json") == spec


def test_hhh_example_has_three_likert_scales_and_an_optional_rationale():
    spec = parse_rubric((EXAMPLES / "hhh.yaml").read_text())
    assert [c["key"] for c in spec.criteria] == ["helpful", "honest", "harmless", "rationale"]
    assert all(len(c["options"]) == 5 for c in spec.criteria[:3])
    assert spec.criteria[3]["type"] == "free_text" and spec.criteria[3]["required"] is False


def test_safety_flags_example_has_every_flag_and_a_binary_needs_expert():
    spec = parse_rubric((EXAMPLES / "safety_flags.yaml").read_text())
    flags, needs_expert = spec.criteria
    assert [o["value"] for o in flags["options"]] == [
        "toxicity", "self_harm", "pii", "medical_advice", "misinformation", "none",
    ]  # fmt: skip
    assert needs_expert["type"] == "binary"


def test_json_rubric_is_guessed_from_its_first_character():
    text = json.dumps({"name": "J", "criteria": [{"key": "ok", "type": "binary"}]})
    assert parse_rubric(text) == parse_rubric(text, "json")


def test_yaml_syntax_error_reports_the_line():
    messages = errors_of("name: x\ncriteria:\n  - key: a\n   type: [binary\n")
    assert len(messages) == 1 and messages[0].startswith("YAML syntax error at line ")


def test_json_syntax_error_reports_line_and_column():
    assert errors_of('{"name": "x",\n "criteria": [}', "json")[0].startswith("JSON syntax error at line 2, column")


def test_a_field_given_twice_in_yaml_is_an_error_not_silently_the_last():
    assert "duplicate field 'name'" in errors_of("name: a\nname: b\ncriteria: []\n")[0]


def test_a_field_given_twice_in_json_is_an_error():
    assert errors_of('{"name": "a", "name": "b"}', "json") == ["JSON error: duplicate field 'name'"]


def test_unknown_format_is_rejected():
    assert "'toml' is not a rubric format" in errors_of("name = 1", "toml")[0]


def test_empty_text_is_rejected():
    assert "empty" in errors_of("   \n")[0]


def test_a_rubric_that_is_not_a_mapping_is_rejected():
    assert "must be a mapping" in errors_of("- a\n- b\n")[0]


def test_missing_name_and_criteria_are_both_reported():
    assert errors_of("description: hi\n") == ["name: required", "criteria: required, a non-empty list of criteria"]


def test_name_must_be_a_non_empty_string():
    assert errors_of("name: ''\ncriteria: [{key: a, type: binary}]\n") == ["name: must be a non-empty string, got ''"]


def test_empty_criteria_list_is_rejected():
    assert "the list is empty" in errors_of("name: x\ncriteria: []\n")[0]


def test_criteria_must_be_a_list():
    assert errors_of("name: x\ncriteria: {a: 1}\n") == ["criteria: must be a list of criteria, got a mapping"]


def test_unknown_top_level_field_is_named():
    messages = errors_of("name: x\nguideline: typo\ncriteria: [{key: a, type: binary}]\n")
    assert messages[0].startswith("unknown top-level field 'guideline'")


def test_guidelines_must_be_text():
    assert errors_of("name: x\nguidelines: [a]\ncriteria: [{key: a, type: binary}]\n") == [
        "guidelines: must be a string, got a list"
    ]


def test_all_problems_are_collected_not_just_the_first():
    text = "name: x\ncriteria:\n  - {key: a, type: likert}\n  - {key: b, type: nope}\n  - {key: a, type: binary}\n"
    messages = errors_of(text)
    assert len(messages) == 3
    assert messages[0].startswith("criterion 1 (a): likert needs a scale")
    assert messages[1].startswith("criterion 2 (b): type: unknown type 'nope'")
    assert messages[2] == "criterion 3 (a): key 'a' is already used by criterion 1"


def test_spec_is_a_frozen_dataclass_with_stripped_guidelines():
    spec = parse_rubric("name: ' x '\nguidelines: |\n  Read it.   \n\ncriteria: [{key: a, type: binary}]\n")
    assert isinstance(spec, RubricSpec) and spec.name == "x" and spec.guidelines == "Read it."
    with pytest.raises(AttributeError):
        spec.name = "y"


# ---------------------------------------------------------------- common criterion fields


def test_criterion_must_be_a_mapping():
    with pytest.raises(ValidationError) as exc_info:
        validate_criteria(["helpful"])
    assert exc_info.value.messages == [
        "criterion 1: must be a mapping with at least key and type, got a string ('helpful')"
    ]


def test_missing_key_is_reported_by_position():
    assert criterion_errors(type="binary") == ["criterion 1: key: required"]


@pytest.mark.parametrize("key", ["Helpful", "1st", "with-dash", "has space", ""])
def test_bad_key_is_rejected(key):
    messages = criterion_errors(key=key, type="binary")
    assert any(f"key: {key!r} is not a valid key" in m for m in messages)


def test_missing_type_lists_the_known_types():
    assert criterion_errors(key="a") == [
        "criterion 1 (a): type: required (one of likert, categorical, binary, multi_label, numeric, pairwise, "
        "free_text)"
    ]


def test_unknown_type_is_named():
    assert criterion_errors(key="a", type="stars")[0].startswith("criterion 1 (a): type: unknown type 'stars'")


def test_unknown_criterion_field_names_the_criterion_and_the_field():
    messages = criterion_errors(key="helpful", type="likert", scale={"min": 1, "max": 5}, anchor={1: "x"})
    assert messages[0].startswith("criterion 1 (helpful): unknown field 'anchor' for type likert")


def test_field_of_another_type_is_unknown():
    assert "unknown field 'min'" in criterion_errors(key="a", type="binary", min=1)[0]


def test_required_must_be_a_boolean():
    assert criterion_errors(key="a", type="binary", required="yes") == [
        "criterion 1 (a): required: must be true or false, got 'yes'"
    ]


def test_label_must_be_a_non_empty_string():
    assert criterion_errors(key="a", type="binary", label="") == [
        "criterion 1 (a): label: must be a non-empty string, got ''"
    ]


def test_help_must_be_a_string():
    assert criterion_errors(key="a", type="binary", help=3) == ["criterion 1 (a): help: must be a string, got 3"]


def test_label_defaults_to_the_key_titled_and_help_to_empty():
    criterion = one(key="needs_expert", type="binary")
    assert criterion["label"] == "Needs Expert" and criterion["help"] == ""


def test_unknown_level_is_rejected():
    assert "level: unknown level 'cardinal'" in criterion_errors(key="a", type="binary", level="cardinal")[0]


@pytest.mark.parametrize(
    ("criterion", "level"),
    [
        ({"type": "binary"}, "ordinal"),
        ({"type": "free_text"}, "nominal"),
        ({"type": "multi_label", "options": ["x", "y"]}, "ordinal"),
        ({"type": "categorical", "options": ["x", "y"]}, "interval"),
        ({"type": "pairwise"}, "ordinal"),
        ({"type": "likert", "scale": {"min": 1, "max": 3}}, "none"),
    ],
)
def test_level_that_does_not_fit_the_type_is_rejected(criterion, level):
    messages = criterion_errors(key="c", level=level, **criterion)
    assert messages[0].startswith(f"criterion 1 (c): level: {level!r} is not valid for a")


@pytest.mark.parametrize(
    ("criterion", "level"),
    [
        ({"type": "likert", "scale": {"min": 1, "max": 3}}, "ordinal"),
        ({"type": "categorical", "options": ["x", "y"]}, "nominal"),
        ({"type": "binary"}, "nominal"),
        ({"type": "multi_label", "options": ["x", "y"]}, "nominal"),
        ({"type": "numeric", "min": 0, "max": 1}, "interval"),
        ({"type": "pairwise"}, "nominal"),
        ({"type": "pairwise", "strength": 2}, "ordinal"),
        ({"type": "free_text"}, "none"),
    ],
)
def test_level_defaults_follow_the_type(criterion, level):
    assert one(key="c", **criterion)["level"] == level


def test_level_may_be_declared_where_it_makes_sense():
    assert one(key="c", type="numeric", min=0, max=10, level="ratio")["level"] == "ratio"
    assert one(key="c", type="categorical", options=["low", "high"], level="ordinal")["level"] == "ordinal"


# ---------------------------------------------------------------- likert


def test_likert_scale_shorthand_with_anchors_normalises_to_options():
    criterion = one(key="helpful", type="likert", scale={"min": 1, "max": 3}, anchors={1: "Bad", 3: "Good"})
    assert criterion == {
        "key": "helpful",
        "type": "likert",
        "label": "Helpful",
        "help": "",
        "required": True,
        "level": "ordinal",
        "options": [
            {"value": 1, "label": "Bad", "key": "1"},
            {"value": 2, "label": "2", "key": "2"},
            {"value": 3, "label": "Good", "key": "3"},
        ],
    }


def test_likert_anchors_from_json_may_use_string_points():
    criterion = one(key="h", type="likert", scale={"min": 0, "max": 2}, anchors={"0": "None"})
    assert criterion["options"][0] == {"value": 0, "label": "None", "key": "0"}


def test_likert_points_that_are_not_one_character_get_no_default_key():
    options = one(key="h", type="likert", scale={"min": 0, "max": 10})["options"]
    assert options[9]["key"] == "9" and options[10] == {"value": 10, "label": "10", "key": ""}


def test_likert_explicit_options_keep_labels_and_keys():
    options = one(key="h", type="likert", options=[{"value": 1, "label": "Low", "key": "q"}, 2])["options"]
    assert options == [{"value": 1, "label": "Low", "key": "q"}, {"value": 2, "label": "2", "key": "2"}]


def test_likert_without_scale_or_options_is_rejected():
    assert criterion_errors(key="helpful", type="likert") == [
        "criterion 1 (helpful): likert needs a scale (e.g. scale: {min: 1, max: 5}) or a list of options"
    ]


def test_likert_with_both_scale_and_options_is_rejected():
    messages = criterion_errors(key="h", type="likert", scale={"min": 1, "max": 2}, options=[1, 2])
    assert messages == ["criterion 1 (h): give either scale or options, not both"]


def test_likert_option_value_that_is_not_an_integer_is_named():
    messages = criterion_errors(key="helpful", type="likert", options=[1, "x"])
    assert messages == ["criterion 1 (helpful): options: value 'x' is not an integer"]


def test_likert_boolean_or_float_values_are_not_integers():
    assert "value True is not an integer" in criterion_errors(key="h", type="likert", options=[True, 2])[0]
    assert "value 1.5 is not an integer" in criterion_errors(key="h", type="likert", options=[1.5, 2])[0]


def test_likert_duplicate_values_are_rejected():
    assert "value 2 appears more than once" in criterion_errors(key="h", type="likert", options=[1, 2, 2])[0]


def test_likert_values_must_ascend():
    assert "ascending order" in criterion_errors(key="h", type="likert", options=[3, 2, 1])[0]


def test_likert_scale_min_must_be_below_max():
    assert criterion_errors(key="h", type="likert", scale={"min": 5, "max": 1}) == [
        "criterion 1 (h): scale: min (5) must be less than max (1)"
    ]


def test_likert_scale_bounds_must_be_integers():
    assert (
        "scale: max '5' is not an integer" in criterion_errors(key="h", type="likert", scale={"min": 1, "max": "5"})[0]
    )


def test_likert_scale_must_be_a_mapping_with_only_min_and_max():
    assert "scale: must be a mapping" in criterion_errors(key="h", type="likert", scale=[1, 5])[0]
    assert (
        "scale: unknown field 'step'"
        in criterion_errors(key="h", type="likert", scale={"min": 1, "max": 5, "step": 1})[0]
    )


def test_likert_anchor_outside_the_scale_is_rejected():
    messages = criterion_errors(key="h", type="likert", scale={"min": 1, "max": 5}, anchors={7: "Off"})
    assert messages == ["criterion 1 (h): anchors: point 7 is outside the scale 1-5"]


def test_likert_anchor_with_a_non_integer_point_or_empty_label_is_rejected():
    assert (
        "anchors: point 'top' is not an integer"
        in criterion_errors(key="h", type="likert", scale={"min": 1, "max": 5}, anchors={"top": "x"})[0]
    )
    assert (
        "anchors: label for point 1 must be a non-empty string"
        in criterion_errors(key="h", type="likert", scale={"min": 1, "max": 5}, anchors={1: ""})[0]
    )


def test_likert_anchors_without_a_scale_are_rejected():
    messages = criterion_errors(key="h", type="likert", options=[1, 2], anchors={1: "x"})
    assert "anchors: only used together with scale" in messages[0]


def test_likert_needs_at_least_two_options():
    assert "at least 2 options, got 1" in criterion_errors(key="h", type="likert", options=[1])[0]


# ---------------------------------------------------------------- categorical and multi-label


def test_categorical_plain_string_options_get_position_keys_and_value_labels():
    criterion = one(key="topic", type="categorical", options=["code", "math"])
    assert criterion["options"] == [
        {"value": "code", "label": "code", "key": "1"},
        {"value": "math", "label": "math", "key": "2"},
    ]
    assert criterion["level"] == "nominal" and criterion["required"] is True


def test_categorical_needs_at_least_two_options():
    assert criterion_errors(key="topic", type="categorical", options=["only"]) == [
        "criterion 1 (topic): options: needs at least 2 options, got 1"
    ]


def test_categorical_without_options_is_rejected():
    assert "options: required" in criterion_errors(key="topic", type="categorical")[0]


def test_categorical_duplicate_option_values_are_rejected():
    messages = criterion_errors(key="topic", type="categorical", options=["code", "math", "code"])
    assert messages == ["criterion 1 (topic): options: value 'code' appears more than once"]


def test_categorical_non_string_value_suggests_quoting_in_yaml():
    messages = errors_of("name: x\ncriteria:\n  - {key: ok, type: categorical, options: [yes, no]}\n")
    assert messages[0].startswith("criterion 1 (ok): options: value True is not a string (in YAML, put words like")


def test_duplicate_keyboard_keys_are_rejected():
    messages = criterion_errors(
        key="topic", type="categorical", options=[{"value": "a", "key": "x"}, {"value": "b", "key": "x"}]
    )
    assert messages == ["criterion 1 (topic): options: keyboard key 'x' is used by both 'a' and 'b'"]


def test_multi_character_keyboard_key_is_rejected():
    messages = criterion_errors(key="topic", type="categorical", options=[{"value": "a", "key": "ab"}, "b"])
    assert messages == ["criterion 1 (topic): options: keyboard key 'ab' for value 'a' must be a single character"]


def test_a_digit_keyboard_key_written_as_a_number_is_accepted():
    options = one(key="t", type="categorical", options=[{"value": "a", "key": 7}, "b"])["options"]
    assert options[0]["key"] == "7"


def test_unknown_option_field_is_rejected():
    messages = criterion_errors(key="t", type="categorical", options=[{"value": "a", "colour": "red"}, "b"])
    assert "option 1 has unknown field 'colour'" in messages[0]


def test_multi_label_normalises_selection_bounds():
    criterion = one(key="flags", type="multi_label", options=["a", "b", "c"], max_selected=2)
    assert criterion["min_selected"] == 0 and criterion["max_selected"] == 2 and criterion["level"] == "nominal"


def test_multi_label_min_above_max_is_rejected():
    messages = criterion_errors(
        key="flags", type="multi_label", options=["a", "b", "c"], min_selected=3, max_selected=1
    )
    assert messages == ["criterion 1 (flags): min_selected (3) must not exceed max_selected (1)"]


def test_multi_label_bounds_must_be_whole_numbers_within_the_options():
    assert (
        "min_selected: must be a whole number"
        in criterion_errors(key="f", type="multi_label", options=["a", "b"], min_selected=-1)[0]
    )
    assert (
        "max_selected: 5 is more than the 2 options"
        in criterion_errors(key="f", type="multi_label", options=["a", "b"], max_selected=5)[0]
    )


# ---------------------------------------------------------------- binary


def test_binary_options_are_always_true_then_false():
    assert one(key="ok", type="binary")["options"] == [
        {"value": True, "label": "Yes", "key": "y"},
        {"value": False, "label": "No", "key": "n"},
    ]


def test_binary_labels_rename_the_two_answers():
    text = 'name: x\ncriteria:\n  - {key: ok, type: binary, labels: {true: "Safe", false: "Unsafe"}}\n'
    assert [o["label"] for o in parse_rubric(text).criteria[0]["options"]] == ["Safe", "Unsafe"]


def test_binary_labels_accept_string_keys_from_json():
    assert one(key="ok", type="binary", labels={"false": "Nope"})["options"][1]["label"] == "Nope"


def test_binary_unquoted_yes_label_explains_the_yaml_trap():
    messages = errors_of("name: x\ncriteria:\n  - {key: ok, type: binary, labels: {true: Yes, false: No}}\n")
    assert messages[0].startswith("criterion 1 (ok): labels: label for true must be a non-empty string, got True")


def test_binary_unknown_label_is_rejected():
    assert "labels: unknown field 'maybe'" in criterion_errors(key="ok", type="binary", labels={"maybe": "?"})[0]


def test_binary_options_must_have_exactly_true_and_false():
    messages = criterion_errors(key="ok", type="binary", options=[{"value": 1}, {"value": 0}])
    assert "options: values must be exactly [True, False]" in messages[0]


# ---------------------------------------------------------------- numeric


def test_numeric_normalises_step_and_unit():
    assert one(key="score", type="numeric", min=0, max=100) == {
        "key": "score",
        "type": "numeric",
        "label": "Score",
        "help": "",
        "required": True,
        "level": "interval",
        "min": 0,
        "max": 100,
        "step": 1,
        "unit": "",
    }


def test_numeric_min_must_be_below_max():
    assert criterion_errors(key="score", type="numeric", min=10, max=10) == [
        "criterion 1 (score): min (10) must be less than max (10)"
    ]


def test_numeric_min_and_max_are_required_numbers():
    messages = criterion_errors(key="score", type="numeric", max="high")
    assert messages == [
        "criterion 1 (score): min: required for a numeric criterion",
        "criterion 1 (score): max: 'high' is not a number",
    ]


@pytest.mark.parametrize("step", [0, -1, "1"])
def test_numeric_step_must_be_positive(step):
    messages = criterion_errors(key="score", type="numeric", min=0, max=1, step=step)
    assert messages == [f"criterion 1 (score): step: must be a number greater than 0, got {step!r}"]


def test_numeric_step_larger_than_the_range_is_rejected():
    assert "step: 5 is larger than the range 0-1" in criterion_errors(key="s", type="numeric", min=0, max=1, step=5)[0]


# ---------------------------------------------------------------- pairwise


def test_pairwise_without_strength_is_a_or_b_or_tie():
    criterion = one(key="preference", type="pairwise")
    assert criterion["fields"] == ["response_a", "response_b"] and criterion["strength"] == 0
    assert criterion["options"] == [
        {"value": "A", "label": "A is better", "key": "a"},
        {"value": "tie", "label": "Tie", "key": "t"},
        {"value": "B", "label": "B is better", "key": "b"},
    ]


def test_pairwise_with_strength_is_graded_ints_and_ordinal():
    criterion = one(key="preference", type="pairwise", strength=2, fields=["left", "right"])
    assert criterion["level"] == "ordinal" and criterion["fields"] == ["left", "right"]
    assert criterion["options"] == [
        {"value": -2, "label": "A much better", "key": "1"},
        {"value": -1, "label": "A slightly better", "key": "2"},
        {"value": 0, "label": "Tie", "key": "3"},
        {"value": 1, "label": "B slightly better", "key": "4"},
        {"value": 2, "label": "B much better", "key": "5"},
    ]


@pytest.mark.parametrize("strength", [4, -1, "2", True])
def test_pairwise_bad_strength_is_rejected(strength):
    messages = criterion_errors(key="p", type="pairwise", strength=strength)
    assert messages[0].startswith("criterion 1 (p): strength: must be 0 (A/tie/B) or a whole number from 1 to 3")


@pytest.mark.parametrize("fields", [["a"], ["a", "a"], "a,b", ["a", 2]])
def test_pairwise_bad_fields_are_rejected(fields):
    messages = criterion_errors(key="p", type="pairwise", fields=fields)
    assert messages[0].startswith("criterion 1 (p): fields: must be a list of two different content field names")


def test_pairwise_options_may_relabel_but_not_change_values():
    relabelled = one(
        key="p",
        type="pairwise",
        options=[{"value": "A", "label": "Left"}, {"value": "tie"}, {"value": "B", "label": "Right"}],
    )
    assert [o["label"] for o in relabelled["options"]] == ["Left", "Tie", "Right"]
    messages = criterion_errors(key="p", type="pairwise", options=[{"value": "A"}, {"value": "B"}])
    assert "options: values must be exactly ['A', 'tie', 'B']" in messages[0]


# ---------------------------------------------------------------- free text


def test_free_text_is_optional_and_has_no_level():
    criterion = one(key="rationale", type="free_text", max_length=500)
    assert criterion["required"] is False and criterion["level"] == "none"
    assert criterion["max_length"] == 500 and criterion["placeholder"] == ""


def test_free_text_max_length_must_be_positive():
    assert criterion_errors(key="r", type="free_text", max_length=0) == [
        "criterion 1 (r): max_length: must be a whole number of 1 or more, got 0"
    ]


# ---------------------------------------------------------------- normalised form is stable


@pytest.mark.parametrize(
    "criterion",
    [
        {"key": "a", "type": "likert", "scale": {"min": 0, "max": 10}, "anchors": {0: "Never"}},
        {"key": "b", "type": "likert", "options": [{"value": 1, "key": "q"}, {"value": 3, "label": "Three"}]},
        {"key": "c", "type": "categorical", "options": ["x", {"value": "y", "label": "Why", "key": "w"}]},
        {"key": "d", "type": "binary", "labels": {"true": "Safe"}},
        {"key": "e", "type": "multi_label", "options": ["x", "y", "z"], "min_selected": 1, "max_selected": 2},
        {"key": "f", "type": "numeric", "min": 0.5, "max": 2, "step": 0.25, "unit": "s", "level": "ratio"},
        {"key": "g", "type": "pairwise", "strength": 3, "fields": ["x", "y"], "required": False},
        {"key": "h", "type": "free_text", "placeholder": "Why?", "required": True, "help": "Say why."},
    ],
)
def test_normalised_criteria_validate_to_themselves_and_round_trip_through_yaml(criterion):
    normalised = validate_criteria([criterion])
    assert validate_criteria(normalised) == normalised
    spec = RubricSpec(name="R", criteria=normalised)
    assert parse_rubric(rubric_to_yaml(spec)).criteria == normalised


# ---------------------------------------------------------------- keys the rating page keeps, exclusive options


@pytest.mark.parametrize("path", sorted([*EXAMPLES.glob("*.yaml"), *EXAMPLES.glob("*.json")]), ids=lambda p: p.name)
def test_every_example_rubric_loads(path):
    assert parse_rubric(path.read_text(encoding="utf-8")).criteria


@pytest.mark.parametrize("key", ["s", "f", "u", "g", "S", "G"])
def test_an_option_key_the_rating_page_keeps_is_refused_naming_criterion_and_option(key):
    options = [{"value": "toxicity", "key": "t"}, {"value": "self_harm", "label": "Self-harm", "key": key}]
    (message,) = criterion_errors(key="flags", type="multi_label", options=options)
    assert message.startswith("criterion 1 (flags): options: keyboard key")
    assert "'self_harm'" in message and f"{key!r}" in message
    assert "the page keeps s, f, u, g" in message


@pytest.mark.parametrize(
    "criterion",
    [
        {"type": "likert", "options": [{"value": 1, "key": "1"}, {"value": 2, "key": "u"}]},
        {"type": "categorical", "options": [{"value": "yes", "key": "g"}, "no"]},
        {"type": "binary", "options": [{"value": True, "key": "f"}, {"value": False, "key": "n"}]},
        {"type": "pairwise", "options": [{"value": "A", "key": "s"}, {"value": "tie"}, {"value": "B"}]},
    ],
    ids=lambda c: c["type"],
)
def test_no_type_may_give_an_option_a_key_the_rating_page_keeps(criterion):
    (message,) = criterion_errors(key="c", **criterion)
    assert "is the rating page's key for" in message


def test_the_reserved_keys_are_the_rating_pages_own_list():
    assert set(RATE_PAGE_KEYS) == {"skip", "flag", "back", "guidelines"}
    assert set(RESERVED_KEYS) == set(RATE_PAGE_KEYS.values()) == {"s", "f", "u", "g"}


def test_a_multi_label_option_may_be_exclusive_and_only_that_option_stores_the_flag():
    flags = one(
        key="flags",
        type="multi_label",
        options=["toxicity", {"value": "none", "label": "None", "key": "0", "exclusive": True}],
    )
    assert flags["options"] == [
        {"value": "toxicity", "label": "toxicity", "key": "1"},
        {"value": "none", "label": "None", "key": "0", "exclusive": True},
    ]
    spec = RubricSpec(name="R", criteria=[flags])
    assert parse_rubric(rubric_to_yaml(spec)) == spec
    assert "exclusive: true" in rubric_to_yaml(spec)


def test_exclusive_false_is_the_same_as_leaving_it_out():
    plain = one(key="flags", type="multi_label", options=["a", "b"])
    assert one(key="flags", type="multi_label", options=["a", {"value": "b", "exclusive": False}]) == plain


def test_exclusive_must_be_true_or_false():
    (message,) = criterion_errors(key="flags", type="multi_label", options=["a", {"value": "b", "exclusive": "yes"}])
    assert message == "criterion 1 (flags): options: exclusive for value 'b' must be true or false, got 'yes'"


def test_only_multi_label_options_may_be_exclusive():
    (message,) = criterion_errors(key="pick", type="categorical", options=["a", {"value": "b", "exclusive": True}])
    assert "unknown field 'exclusive'" in message


def test_an_exclusive_option_cannot_live_with_a_minimum_above_one():
    options = ["a", "b", {"value": "none", "exclusive": True}]
    (message,) = criterion_errors(key="flags", type="multi_label", options=options, min_selected=2)
    assert message.startswith("criterion 1 (flags): min_selected: at most 1 when an option is exclusive")
    assert "'none'" in message


def test_safety_example_keeps_clear_of_the_page_keys_and_none_goes_alone():
    flags, needs_expert = parse_rubric((EXAMPLES / "safety_flags.yaml").read_text()).criteria
    keys = [o["key"].lower() for c in (flags, needs_expert) for o in c["options"]]
    assert not set(keys) & set(RESERVED_KEYS)
    assert [o["value"] for o in flags["options"] if o.get("exclusive")] == ["none"]
