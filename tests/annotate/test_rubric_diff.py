"""What changed between two rubric versions, criterion by criterion and line by line (no database)."""

from annotate.rubric_diff import rubric_diff, text_diff
from annotate.rubrics import parse_rubric

OLD = """\
name: X
guidelines: |
  one
  two
  three
criteria:
  - {key: helpful, type: likert, scale: {min: 1, max: 5}, anchors: {1: Bad, 3: OK, 5: Great}}
  - {key: tone, type: categorical, options: [Good, Bad, Ugly]}
  - {key: gone, type: binary}
  - {key: score, type: numeric, min: 0, max: 100}
  - {key: why, type: free_text}
"""


def diff(old: str, new: str):
    a, b = parse_rubric(old), parse_rubric(new)
    return rubric_diff(a.criteria, b.criteria, a.guidelines, b.guidelines)


def changes(result, key: str) -> list[str]:
    return [c.text for c in next(c for c in result.criteria if c.key == key).changes]


def status(result) -> dict[str, str]:
    return {c.key: c.status for c in result.criteria}


def test_identical_versions_have_no_differences():
    result = diff(OLD, OLD)
    assert result.is_empty and set(status(result).values()) == {"unchanged"}
    assert result.guidelines == () and result.summary.startswith("No differences")


def test_criteria_added_removed_and_changed_in_the_new_order_with_removed_ones_where_they_were():
    new = OLD.replace("  - {key: gone, type: binary}\n", "").replace(
        "  - {key: why, type: free_text}\n", "  - {key: why, type: free_text}\n  - {key: new, type: binary}\n"
    )
    new = new.replace("max: 100}", "max: 10}")
    result = diff(OLD, new)
    assert [c.key for c in result.criteria] == ["helpful", "tone", "gone", "score", "why", "new"]
    assert status(result) == {
        "helpful": "unchanged",
        "tone": "unchanged",
        "gone": "removed",
        "score": "changed",
        "why": "unchanged",
        "new": "added",
    }
    assert changes(result, "score") == ["max: 100 → 10"]
    assert result.summary == "Criteria: 1 changed, 1 added, 1 removed, 3 unchanged; guidelines unchanged."


def test_common_fields_type_label_help_required_and_level():
    new = OLD.replace(
        "{key: gone, type: binary}", "{key: gone, type: binary, label: 'Gone?', help: 'Is it gone?', required: false}"
    ).replace("{key: helpful, type: likert,", "{key: helpful, type: likert, level: interval,")
    new = new.replace(
        "{key: score, type: numeric, min: 0, max: 100}", "{key: score, type: likert, scale: {min: 0, max: 4}}"
    )
    result = diff(OLD, new)
    assert changes(result, "gone") == ["label: “Gone” → “Gone?”", "help: added “Is it gone?”", "required: yes → no"]
    assert changes(result, "helpful") == ["level: ordinal → interval"]
    assert changes(result, "score")[:2] == ["type: numeric → likert", "level: interval → ordinal"]


def test_a_scale_is_described_by_its_bounds_and_anchors():
    new = OLD.replace(
        "scale: {min: 1, max: 5}, anchors: {1: Bad, 3: OK, 5: Great}",
        "scale: {min: 1, max: 7}, anchors: {1: Awful, 3: OK, 7: Superb}",
    )
    assert changes(diff(OLD, new), "helpful") == [
        "scale: 1–5 → 1–7",
        "anchor 1: “Bad” → “Awful”",
        "anchor 5: removed “Great”",
        "anchor 7: added “Superb”",
    ]


def test_options_added_removed_renamed_relabelled_rekeyed_and_reordered():
    new = OLD.replace(
        "options: [Good, Bad, Ugly]",
        "options: [{value: Great, label: Great, key: '1'}, {value: Ugly, label: Very ugly, key: x},"
        " {value: Bad, label: Bad, key: '2'}, {value: Meh, label: Meh, key: m}]",
    )
    assert changes(diff(OLD, new), "tone") == [
        "option renamed: “Good” → “Great”",
        "label of option “Ugly”: “Ugly” → “Very ugly”",
        "key of option “Ugly”: 3 → x",
        "options: added “Meh”, key m",
        "order of options: “Bad”, “Ugly” → “Ugly”, “Bad”",
    ]


def test_an_option_dropped_from_the_end_is_removed_not_renamed():
    new = OLD.replace("options: [Good, Bad, Ugly]", "options: [Good, Bad]")
    assert changes(diff(OLD, new), "tone") == ["options: removed “Ugly”, key 3"]


def test_flag_values_never_match_the_numbers_they_equal():
    """True == 1 in Python; a yes/no flag turned into a 0-1 scale still changes every option."""
    old = "name: X\ncriteria:\n  - {key: a, type: binary}\n"
    new = "name: X\ncriteria:\n  - {key: a, type: likert, scale: {min: 0, max: 1}}\n"
    found = changes(diff(old, new), "a")
    assert "option renamed: yes → 0" in found and "option renamed: no → 1" in found


def test_guidelines_lines_added_and_removed_with_context_and_gaps():
    old = "\n".join(f"line {n}" for n in range(1, 21))
    new = old.replace("line 10", "line ten") + "\nline 21"
    lines = text_diff(old, new)
    kinds = [(line.kind, line.text) for line in lines]
    assert kinds[0] == ("gap", "6 lines unchanged")
    assert ("removed", "line 10") in kinds and ("added", "line ten") in kinds
    assert kinds[-1] == ("added", "line 21")
    removed = next(line for line in lines if line.kind == "removed")
    assert (removed.old_number, removed.new_number) == (10, None)


def test_guidelines_diff_keeps_markup_as_text():
    lines = text_diff("Be kind.", "Be <b>kind</b>. <script>alert(1)</script>")
    assert [line.text for line in lines] == ["Be kind.", "Be <b>kind</b>. <script>alert(1)</script>"]


def test_criteria_reordered_are_noticed():
    new = (
        OLD.replace(
            "  - {key: helpful, type: likert, scale: {min: 1, max: 5}, anchors: {1: Bad, 3: OK, 5: Great}}\n", ""
        )
        + "  - {key: helpful, type: likert, scale: {min: 1, max: 5}, anchors: {1: Bad, 3: OK, 5: Great}}\n"
    )
    result = diff(OLD, new)
    assert result.order_changed and not result.is_empty
    assert result.order_after[-1] == "helpful" and "reordered" in result.summary
