"""Marking gold items: the service's checks, the owner's gold page and the mark_gold command."""

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from annotate.models import Campaign, CampaignItem
from annotate.rubrics import validate_criteria
from ratings.gold import campaign_items_mark_gold, campaign_items_unmark_gold, gold_answer_validate
from tests.factories import CampaignFactory, RubricVersionFactory

pytestmark = pytest.mark.django_db

CRITERIA = validate_criteria(
    [
        {"key": "helpful", "type": "likert", "scale": {"min": 1, "max": 5}},
        {"key": "score", "type": "numeric", "min": 0, "max": 10, "step": 0.5},
        {"key": "issues", "type": "multi_label", "options": ["wrong", "rude", "long"]},
        {"key": "safe", "type": "binary"},
        {"key": "topic", "type": "categorical", "options": ["code", "math"]},
        {"key": "why", "type": "free_text"},
    ]
)


@pytest.fixture
def rich(curator: User) -> Campaign:
    """A campaign whose rubric has one criterion of each kind, owned by `curator`; items item-a … item-d."""
    campaign = CampaignFactory(
        rubric_version=RubricVersionFactory(criteria=CRITERIA), with_items=4, owner=curator, slug="rich"
    )
    for letter, campaign_item in zip("abcd", campaign.items.order_by("order_key"), strict=True):
        campaign_item.item.external_id = f"item-{letter}"
        campaign_item.item.save(update_fields=["external_id"])
    return campaign


def _gold(campaign: Campaign) -> dict[str, dict | None]:
    rows = CampaignItem.objects.filter(campaign=campaign, is_gold=True).values_list("item__external_id", "gold_answer")
    return dict(rows)


# --------------------------------------------------------------------------- the service


def test_partial_answers_are_checked_only_for_the_criteria_given(rich: Campaign) -> None:
    answers = {"item-a": {"helpful": 4}, "item-b": {"issues": ["long", "wrong"], "safe": False, "score": 7.5}}
    assert campaign_items_mark_gold(campaign=rich, external_ids=["item-a", "item-b"], answers=answers) == 2
    # Multi-label values are kept in the rubric's option order, as a rating's are.
    assert _gold(rich) == {
        "item-a": {"helpful": 4},
        "item-b": {"issues": ["wrong", "long"], "safe": False, "score": 7.5},
    }


def test_marking_again_replaces_the_expected_answer(rich: Campaign) -> None:
    campaign_items_mark_gold(campaign=rich, external_ids=["item-a"], answers={"item-a": {"helpful": 4}})
    campaign_items_mark_gold(campaign=rich, external_ids=["item-a"], answers={"item-a": {"topic": "math"}})
    assert _gold(rich) == {"item-a": {"topic": "math"}}


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"helpful": 7}, "helpful: 7 is not one of 1, 2, 3, 4, 5"),
        ({"helpful": True}, "helpful: True is not one of"),
        ({"score": 7.3}, "score: 7.3 is not on a step of 0.5 from 0"),
        ({"score": 11}, "score: 11 is outside 0–10"),
        ({"issues": ["wrong", "odd"]}, "issues: 'odd' is not one of 'wrong', 'rude', 'long'"),
        ({"safe": "yes"}, "safe: 'yes' is not yes or no"),
        ({"why": "because"}, "why: a free-text criterion has no expected answer"),
        ({"colour": "red"}, "colour: not a criterion of this rubric"),
    ],
)
def test_each_bad_answer_is_named_by_item_field_and_value(rich: Campaign, answer: dict, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        campaign_items_mark_gold(campaign=rich, external_ids=["item-a"], answers={"item-a": answer})
    assert any(m.startswith(f"item 'item-a': {message}") for m in caught.value.messages), caught.value.messages
    assert _gold(rich) == {}


def test_an_item_outside_the_sample_is_refused_and_nothing_is_marked(rich: Campaign) -> None:
    with pytest.raises(ValidationError) as caught:
        campaign_items_mark_gold(
            campaign=rich, external_ids=["item-a", "nope"], answers={"item-a": {"helpful": 1}, "nope": {"helpful": 1}}
        )
    assert caught.value.messages == ["item 'nope': not in the sample of 'rich'"]
    assert _gold(rich) == {}


# More ids than PostgreSQL binds parameters in one statement (65,535).
MANY_IDS = [f"missing-{n}" for n in range(70_000)]


def test_a_list_of_ids_longer_than_one_statement_takes_is_checked_in_full(rich: Campaign) -> None:
    with pytest.raises(ValidationError) as caught:
        campaign_items_mark_gold(campaign=rich, external_ids=["item-a", *MANY_IDS])
    assert caught.value.messages[0] == "item 'missing-0': not in the sample of 'rich'"
    assert caught.value.messages[-1] == "… and 69980 more errors"
    with pytest.raises(ValidationError) as caught:
        campaign_items_unmark_gold(campaign=rich, external_ids=MANY_IDS)
    assert caught.value.messages[0].startswith("external_ids: 'missing-0', 'missing-1'")
    assert _gold(rich) == {}


def test_gold_answer_validate_is_usable_on_its_own() -> None:
    assert gold_answer_validate(criteria=CRITERIA, answer={"topic": "code", "helpful": None}) == {"topic": "code"}
    with pytest.raises(ValidationError):
        gold_answer_validate(criteria=CRITERIA, answer=["helpful", 3])


# --------------------------------------------------------------------------- the gold page


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_owner_sees_the_form_built_from_the_criteria(rich: Campaign, curator: User) -> None:
    html = _client(curator).get(reverse("ratings:campaign-gold", args=[rich.slug])).content.decode()
    for key in ("helpful", "score", "issues", "safe", "topic"):
        assert f'name="c-{key}"' in html
    assert 'name="c-why"' not in html
    assert "No gold items yet" in html


def test_owner_adds_updates_and_removes_a_gold_item(rich: Campaign, curator: User) -> None:
    client = _client(curator)
    url = reverse("ratings:campaign-gold", args=[rich.slug])
    data = {"external_id": "item-b", "c-helpful": "4", "c-score": "2.5", "c-issues": ["rude"], "c-safe": "true"}
    response = client.post(url, data)
    assert response.status_code == 302
    assert _gold(rich) == {"item-b": {"helpful": 4, "score": 2.5, "issues": ["rude"], "safe": True}}
    page = client.get(url).content.decode()
    assert "item-b" in page and "1 gold item" in page
    client.post(url, {"external_id": "item-b", "c-topic": "math"})
    assert _gold(rich) == {"item-b": {"topic": "math"}}
    remove_url = reverse("ratings:campaign-gold-remove", args=[rich.slug])
    response = client.post(remove_url, {"external_id": "item-b", "confirm": "on"})
    assert response.status_code == 302
    assert _gold(rich) == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"external_id": "nope", "c-helpful": "3"}, "item &#x27;nope&#x27;: not in the sample of &#x27;rich&#x27;"),
        ({"external_id": "item-a"}, "Give an expected value for at least one criterion."),
        ({"external_id": "item-a", "c-helpful": "9"}, "Select a valid choice."),
        ({"external_id": "item-a", "c-score": "3.3"}, "score: 3.3 is not on a step of 0.5 from 0"),
    ],
)
def test_the_page_shows_each_error_and_marks_nothing(rich: Campaign, curator: User, data: dict, message: str) -> None:
    response = _client(curator).post(reverse("ratings:campaign-gold", args=[rich.slug]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _gold(rich) == {}


def test_removing_an_item_that_is_not_gold_says_so(rich: Campaign, curator: User) -> None:
    client = _client(curator)
    response = client.post(
        reverse("ratings:campaign-gold-remove", args=[rich.slug]), {"external_id": "item-c"}, follow=True
    )
    assert "not a gold item of" in response.content.decode()


@pytest.mark.parametrize("role_fixture", ["rater", "viewer", "adjudicator", "outsider"])
def test_only_owners_reach_the_gold_page(campaign: Campaign, role_fixture: str, request: pytest.FixtureRequest) -> None:
    client = _client(request.getfixturevalue(role_fixture))
    item = campaign.items.select_related("item").first().item.external_id
    assert client.get(reverse("ratings:campaign-gold", args=[campaign.slug])).status_code == 404
    post = client.post(reverse("ratings:campaign-gold", args=[campaign.slug]), {"external_id": item, "c-helpful": "3"})
    assert post.status_code == 404
    remove = client.post(reverse("ratings:campaign-gold-remove", args=[campaign.slug]), {"external_id": item})
    assert remove.status_code == 404
    assert not campaign.items.filter(is_gold=True).exists()


def test_anonymous_visitors_are_sent_to_log_in(campaign: Campaign) -> None:
    response = Client().get(reverse("ratings:campaign-gold", args=[campaign.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_campaign_page_links_owners_to_the_gold_page(campaign: Campaign, owner: User, viewer: User) -> None:
    url = reverse("ratings:campaign-gold", args=[campaign.slug])
    assert url in _client(owner).get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()
    assert url not in _client(viewer).get(reverse("ratings:campaign-detail", args=[campaign.slug])).content.decode()


# --------------------------------------------------------------------------- the mark_gold command


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_command_marks_gold_from_csv(rich: Campaign, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    text = "id,helpful,score,issues,safe,topic,why\nitem-a,4,,wrong|long,TRUE,,\nitem-c,,9.5,,,math,\n"
    call_command("mark_gold", "rich", _write(tmp_path, "gold.csv", text))
    assert _gold(rich) == {
        "item-a": {"helpful": 4, "issues": ["wrong", "long"], "safe": True},
        "item-c": {"score": 9.5, "topic": "math"},
    }
    assert "Marked 2 gold items in rich" in capsys.readouterr().out


def test_command_marks_gold_from_jsonl(rich: Campaign, tmp_path: Path) -> None:
    rows = [{"id": "item-b", "helpful": 2, "issues": [], "score": None}, {"id": "item-d", "safe": False}]
    call_command("mark_gold", "rich", _write(tmp_path, "gold.jsonl", "\n".join(json.dumps(r) for r in rows)))
    assert _gold(rich) == {"item-b": {"helpful": 2, "issues": []}, "item-d": {"safe": False}}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("g.csv", "item,helpful\nitem-a,4\n", "header: no 'id' column (columns: item, helpful)"),
        ("g.csv", "id,colour\nitem-a,red\n", "header: column 'colour' is not a criterion of this rubric"),
        ("g.csv", "id,helpful\nitem-a,4\nitem-b,7\n", "line 3 (id 'item-b'): helpful: 7 is not one of 1, 2, 3, 4, 5"),
        ("g.csv", "id,score\nitem-a,ten\n", "line 2 (id 'item-a'): score: 'ten' is not a number"),
        (
            "g.csv",
            "id,why\nitem-a,because\n",
            "line 2 (id 'item-a'): why: a free-text criterion has no expected answer",
        ),
        ("g.csv", "id,helpful\nitem-a,4\nnope,4\n", "line 3 (id 'nope'): not in the sample of 'rich'"),
        ("g.csv", "id,helpful\nitem-a,4\nitem-a,3\n", "line 3: id: 'item-a' is already on line 2 (id 'item-a')"),
        ("g.csv", "id,helpful\n,4\n", "line 2: id: is empty"),
        ("g.csv", "id,helpful\nitem-a,\n", "line 2 (id 'item-a'): no expected value in any criterion column"),
        ("g.csv", "id,helpful\n", "file: no gold items in it"),
        ("g.jsonl", '{"id": "item-a", "helpful": 4}\n{"id": "item-b",\n', "line 2: invalid JSON"),
        ("g.jsonl", '{"id": "item-a", "tone": "warm"}\n', "line 1 (id 'item-a'): tone: not a criterion of this rubric"),
        ("g.jsonl", '{"id": "item-a", "helpful": "4"}\n', "line 1 (id 'item-a'): helpful: '4' is not one of"),
        ("g.txt", "id,helpful\n", "Unknown file extension '.txt'"),
    ],
)
def test_command_names_line_field_and_value_and_marks_nothing(
    rich: Campaign, tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("mark_gold", "rich", _write(tmp_path, name, text))
    assert message in str(caught.value)
    assert _gold(rich) == {}


def test_command_is_atomic_when_a_later_row_fails(rich: Campaign, tmp_path: Path) -> None:
    campaign_items_mark_gold(campaign=rich, external_ids=["item-d"], answers={"item-d": {"helpful": 1}})
    text = "id,helpful,topic\nitem-a,4,code\nitem-b,5,code\nitem-c,3,physics\n"
    with pytest.raises(CommandError) as caught:
        call_command("mark_gold", "rich", _write(tmp_path, "g.csv", text))
    assert "line 4 (id 'item-c'): topic: 'physics' is not one of 'code', 'math'" in str(caught.value)
    assert _gold(rich) == {"item-d": {"helpful": 1}}


def test_command_refuses_an_unknown_campaign(rich: Campaign, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="slug: no campaign 'nope'"):
        call_command("mark_gold", "nope", _write(tmp_path, "g.csv", "id,helpful\nitem-a,4\n"))


def test_command_reads_another_id_column(rich: Campaign, tmp_path: Path) -> None:
    call_command("mark_gold", "rich", _write(tmp_path, "g.csv", "key,helpful\nitem-a,4\n"), "--id-field", "key")
    assert _gold(rich) == {"item-a": {"helpful": 4}}
