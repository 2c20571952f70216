"""Rubric versions compared: linked from the rubric page, every version listed, any two diffed beside the figures."""

import copy

import pytest
from django.core.cache import cache
from django.urls import reverse

from annotate.models import Membership
from ratings import rubric_comparison
from tests.factories import (
    LIKERT_CRITERION,
    CampaignFactory,
    MembershipFactory,
    RatingFactory,
    RubricVersionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


def likert(**changes) -> dict:
    criterion = copy.deepcopy(LIKERT_CRITERION)
    criterion.update(changes)
    return criterion


@pytest.fixture
def versions(curator):
    """v1 (rated in the curator's campaign), v2 (used by no campaign) and v3 (relabelled, a criterion added)."""
    v1 = RubricVersionFactory(number=1, rubric__created_by=curator, guidelines="Rate the response.")
    v2 = RubricVersionFactory(rubric=v1.rubric, number=2, guidelines="Rate the response.\n\nBe strict.")
    flag = {"key": "polite", "type": "binary", "label": "Polite", "required": True, "level": "nominal"}
    flag["options"] = [{"value": True, "label": "Yes", "key": "y"}, {"value": False, "label": "No", "key": "n"}]
    v3 = RubricVersionFactory(
        rubric=v1.rubric,
        number=3,
        guidelines="Rate the response.\n\nBe fair.",
        criteria=[likert(label="How helpful"), flag],
    )
    campaign = CampaignFactory(slug="first-run", rubric_version=v1, with_items=5, owner=curator)
    items = list(campaign.items.order_by("order_key"))
    for username, values in (("r1", [1, 2, 3, 4, 5]), ("r2", [1, 2, 3, 4, 4])):
        rater = UserFactory(username=username)
        for item, value in zip(items, values, strict=True):
            RatingFactory(campaign_item=item, rater=rater, values={"helpful": value})
    return v1, v2, v3


def compare(client, rubric_id: int, **query):
    return client.get(reverse("ratings:rubric-compare", args=[rubric_id]), query)


# ---------------------------------------------------------------- links from the rubric page


def test_the_rubric_page_links_to_the_comparison_and_each_version_to_its_changes(client, curator, versions):
    v1, v2, v3 = versions
    client.force_login(curator)
    body = client.get(reverse("annotate:rubric-detail", args=[v1.rubric_id])).content.decode()
    url = reverse("ratings:rubric-compare", args=[v1.rubric_id])
    assert f'href="{url}"' in body
    assert f"{url}?from=2&amp;to=3" in body and f"{url}?from=1&amp;to=2" in body
    older = client.get(reverse("annotate:rubric-version-detail", args=[v1.rubric_id, 2])).content.decode()
    assert "What changed from v1" in older


def test_a_rubric_with_one_version_offers_no_comparison(client, curator):
    version = RubricVersionFactory(rubric__created_by=curator)
    client.force_login(curator)
    body = client.get(reverse("annotate:rubric-detail", args=[version.rubric_id])).content.decode()
    assert reverse("ratings:rubric-compare", args=[version.rubric_id]) not in body


# ---------------------------------------------------------------- every version, figures beside the diff


def test_every_version_is_listed_and_unused_ones_say_so(client, curator, versions):
    v1, _, _ = versions
    client.force_login(curator)
    response = compare(client, v1.rubric_id)
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert [(v.number, v.campaigns) for v in comparison.versions] == [(1, ["first-run"]), (2, []), (3, [])]
    body = response.content.decode()
    assert body.count("not used by any campaign you can read") >= 2
    assert '<option value="2">v2 · not used by any campaign you can read</option>' in body


def test_the_last_two_versions_are_compared_by_default(client, curator, versions):
    v1, _, _ = versions
    client.force_login(curator)
    response = compare(client, v1.rubric_id)
    pair = response.context["pair"]
    assert (pair.before.number, pair.after.number) == (2, 3)
    assert {r.change.key: r.change.status for r in pair.rows} == {"helpful": "changed", "polite": "added"}
    body = response.content.decode()
    assert '<option value="2" selected>' in body and '<option value="3" selected>' in body
    assert "<del>“Helpfulness”</del> → <ins>“How helpful”</ins>" in body
    assert (
        '<del class="diff-line"><span class="diff-number">3</span><span class="diff-mark">−</span>Be strict.</del>'
        in body
    )
    assert (
        '<ins class="diff-line"><span class="diff-number">3</span><span class="diff-mark">+</span>Be fair.</ins>'
        in body
    )


def test_any_two_versions_in_either_order_with_the_figures_beside_the_diff(client, curator, versions):
    v1, _, _ = versions
    client.force_login(curator)
    response = compare(client, v1.rubric_id, **{"from": "3", "to": "1"})
    pair = response.context["pair"]
    assert (pair.before.number, pair.after.number) == (3, 1)
    rows = {r.change.key: r for r in pair.rows}
    assert rows["polite"].change.status == "removed"
    assert rows["helpful"].after.alpha is not None and rows["helpful"].before.readable is False
    body = response.content.decode()
    assert f"{rows['helpful'].after.alpha:.3f}" in body and "What changed from v3 to v1" in body


def test_a_version_with_few_pairable_items_is_marked_too_few_to_judge(client, curator, versions):
    """Five items rated twice are far below the dashboard's minimum for a slice: the figure says so."""
    v1, _, _ = versions
    client.force_login(curator)
    response = compare(client, v1.rubric_id, **{"from": "1", "to": "3"})
    cell = response.context["comparison"].cell("helpful", 1)
    assert cell.n_pairable_items == 5 and cell.too_few
    body = response.content.decode()
    assert "5 pairable items" in body and "too few to judge" in body
    assert "fewer than 20 pairable items" in body


def test_the_same_version_twice_says_so(client, curator, versions):
    v1, _, _ = versions
    client.force_login(curator)
    body = compare(client, v1.rubric_id, **{"from": "2", "to": "2"}).content.decode()
    assert "You chose v2 twice" in body


def test_figures_between_versions_skip_those_without_figures(curator, versions):
    v1, _, _ = versions
    v4 = RubricVersionFactory(rubric=v1.rubric, number=4)
    later = CampaignFactory(rubric_version=v4, with_items=5, owner=curator)
    for username, values in (("r3", [1, 2, 3, 4, 5]), ("r4", [2, 2, 3, 4, 5])):
        rater = UserFactory(username=username)
        for item, value in zip(later.items.order_by("order_key"), values, strict=True):
            RatingFactory(campaign_item=item, rater=rater, values={"helpful": value})
    comparison = rubric_comparison.rubric_versions_compared(v1.rubric, user=curator, n_boot=50)
    row = next(c for c in comparison.criteria if c.key == "helpful")
    assert [(d.from_number, d.to_number) for d in row.diffs] == [(1, 4)]
    assert [c.readable for c in row.cells] == [True, False, False, True]


# ---------------------------------------------------------------- who sees what


def test_a_user_who_reads_no_campaign_gets_the_diff_without_figures(client, curator, versions):
    v1, _, _ = versions
    stranger = UserFactory(username="stranger", is_staff=False)
    v1.rubric.created_by = stranger
    v1.rubric.save()
    Membership.objects.filter(user=curator).delete()
    client.force_login(stranger)
    response = compare(client, v1.rubric_id, **{"from": "1", "to": "3"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "first-run" not in body and "0.9" not in body
    assert "<ins>“How helpful”</ins>" in body
    assert "No version of this rubric is used by any campaign you can read" in body


def test_a_rater_of_a_campaign_on_the_rubric_sees_no_figures(client, curator, versions):
    v1, _, _ = versions
    rater = UserFactory(username="member")
    MembershipFactory(campaign=v1.campaigns.get(), user=rater, role=Membership.Role.RATER)
    v1.rubric.created_by = rater
    v1.rubric.save()
    client.force_login(rater)
    body = compare(client, v1.rubric_id).content.decode()
    assert "first-run" not in body and "No version of this rubric is used by any campaign you can read" in body


def test_an_outsider_gets_404(client, outsider, versions):
    v1, _, _ = versions
    client.force_login(outsider)
    assert compare(client, v1.rubric_id).status_code == 404


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "9"}, "from: no version &#x27;9&#x27; of this rubric (its versions: 1, 2, 3)"),
        ({"to": "abc"}, "to: no version &#x27;abc&#x27; of this rubric"),
        ({"to": "-1"}, "to: no version &#x27;-1&#x27;"),
        ({"from": "1" * 5000}, "from: no version"),
        ({"from": "٣"}, "from: no version"),
        ({"from": "1\x00"}, "&#x27;from&#x27; contains a NUL character"),
    ],
)
def test_a_bad_version_in_the_query_is_a_400_naming_it(client, curator, versions, query, message):
    v1, _, _ = versions
    client.force_login(curator)
    response = compare(client, v1.rubric_id, **query)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and "1" * 200 not in body


def test_a_rubric_without_versions_says_so(client, curator):
    from tests.factories import RubricFactory

    rubric = RubricFactory(created_by=curator)
    client.force_login(curator)
    response = compare(client, rubric.pk)
    assert response.status_code == 200 and "This rubric has no version yet." in response.content.decode()


def test_guidelines_markup_is_shown_as_text_and_the_page_has_no_inline_style(client, curator, versions):
    v1, _, v3 = versions
    v3.guidelines = 'Be <b>kind</b>.<script>alert("x")</script>'
    v3.save()
    client.force_login(curator)
    body = compare(client, v1.rubric_id).content.decode()
    assert "Be &lt;b&gt;kind&lt;/b&gt;.&lt;script&gt;" in body and "<script>alert" not in body
    assert " style=" not in body
