"""The REST API for datasets and items: detail, JSON records imported at once, items paged, searched and filtered,
one item, and the per-field summary; each readable only by those who may see the dataset."""

import base64
import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.models import Dataset, Item, Membership
from annotate.services.api_tokens import api_token_create
from annotate.services.datasets import MAX_RECORDS_PER_CALL, dataset_import
from tests.factories import CampaignFactory, DatasetFactory, ItemFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

RECORDS = [
    {"id": "a1", "prompt": "Where is Lisbon?", "response": "In Portugal.", "model": "atlas", "lang": "en"},
    {"id": "a2", "prompt": "Wo liegt Berlin?", "response": "In Deutschland.", "model": "atlas", "lang": "de"},
    {"id": "a3", "prompt": "Where is Porto?", "response": "Also in Portugal.", "model": "zephyr", "lang": "en"},
]


def _client(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _import(client: APIClient, dataset_pk: int, records: Any, **options: Any) -> Any:
    body = {"records": records, **options}
    return client.post(reverse("api:dataset-items-import", args=[dataset_pk]), body, format="json")


def _items(client: APIClient, dataset_pk: int, **query: Any) -> Any:
    return client.get(reverse("api:dataset-items-import", args=[dataset_pk]), query)


def _error(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.content
    return response.json()["error"]


@pytest.fixture
def imported(curator: User) -> Dataset:
    """A dataset of the curator's holding RECORDS, model and lang as metadata."""
    dataset = DatasetFactory(created_by=curator, name="capitals", content_fields=[], metadata_fields=[])
    response = _import(_client(curator), dataset.pk, RECORDS, metadata_fields=["model", "lang"])
    assert response.status_code == 201, response.content
    dataset.refresh_from_db()
    return dataset


# ---------------------------------------------------------------- the whole path


def test_a_curator_creates_a_dataset_imports_records_and_reads_them_back(curator):
    client = _client(curator)
    created = client.post(reverse("api:dataset-list"), {"name": "capitals"}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]

    response = _import(client, pk, RECORDS, content_fields=["prompt", "response"], metadata_fields=["model", "lang"])

    assert response.status_code == 201, response.content
    assert response.json() == {"dataset": pk, "imported": 3, "item_count": 3}
    detail = client.get(reverse("api:dataset-detail", args=[pk])).json()
    assert detail["item_count"] == 3
    assert (detail["content_fields"], detail["metadata_fields"]) == (["prompt", "response"], ["model", "lang"])
    results = _items(client, pk).json()["results"]
    assert [item["external_id"] for item in results] == ["a1", "a2", "a3"]
    first = results[0]
    assert list(first["content"].items()) == [("prompt", "Where is Lisbon?"), ("response", "In Portugal.")]
    assert list(first["metadata"].items()) == [("model", "atlas"), ("lang", "en")]
    one = client.get(reverse("api:dataset-item-detail", args=[pk, first["id"]]))
    assert one.json() == first


def test_records_append_to_a_dataset_that_already_has_items(client, curator, imported):
    more = [{"id": "a4", "prompt": "Where is Oslo?", "response": "Norway.", "model": "atlas", "lang": "en"}]
    response = _import(_client(curator), imported.pk, more, metadata_fields=["model", "lang"])
    assert response.json() == {"dataset": imported.pk, "imported": 1, "item_count": 4}
    assert list(imported.items.order_by("position").values_list("external_id", flat=True)) == ["a1", "a2", "a3", "a4"]


def test_an_api_token_reads_and_imports_as_its_user(curator, imported):
    _token, secret = api_token_create(user=curator, name="pipeline")
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {secret}")
    listed = client.get(reverse("api:dataset-list")).json()
    assert [d["id"] for d in listed["results"]] == [imported.pk]
    response = _import(client, imported.pk, [{"id": "t1", "prompt": "From a token."}])
    assert response.status_code == 201, response.content
    assert _items(client, imported.pk, **{"meta.model": "atlas"}).status_code == 200


# ---------------------------------------------------------------- bad records: 400 naming record and field


def test_a_record_without_an_id_is_refused_naming_its_number_and_field(curator, imported):
    records = [{"id": "b1", "prompt": "fine"}, {"prompt": "no id"}]
    error = _error(_import(_client(curator), imported.pk, records))
    assert (error["row"], error["field"]) == (2, "id")
    assert error["message"] == "record 2, field 'id': the id is missing."
    imported.refresh_from_db()
    assert imported.item_count == 3 and imported.items.count() == 3


# Each bad record set, as a file's lines would be checked: the message names the record where the file names the line.
BAD_RECORDS = {
    "not an object": [{"id": "x"}, ["a", "list"]],
    "an id that is an object": [{"id": {"nested": 1}}],
    "an empty id": [{"id": "  "}],
    "an id twice": [{"id": "x", "t": "a"}, {"id": "x", "t": "b"}],
    "an id too long": [{"id": "x" * 300}],
    "too many fields": [{"id": "x", **{f"f{n}": n for n in range(600)}}],
    "nesting deeper than an item is stored": [{"id": "x"}, {"id": "y", "v": json.loads("[" * 300 + "]" * 300)}],
}


@pytest.mark.parametrize("name", list(BAD_RECORDS))
def test_bad_records_get_the_file_imports_message_counted_by_record(curator, name, tmp_path):
    records = BAD_RECORDS[name]
    dataset = DatasetFactory(created_by=curator, content_fields=[], metadata_fields=[])
    lines = "".join(json.dumps(record) + "\n" for record in records)
    with pytest.raises(ValidationError) as from_file:
        dataset_import(source=io.BytesIO(lines.encode()), fmt="jsonl", dataset=DatasetFactory(created_by=curator))
    expected = from_file.value.messages[0].replace("line ", "record ", 1)

    error = _error(_import(_client(curator), dataset.pk, records))

    assert error["message"] == expected
    assert error["row"] == int(expected.split(" ")[1].rstrip(",:"))
    assert Item.objects.filter(dataset=dataset).count() == 0


def test_a_key_twice_in_one_record_is_refused_not_silently_dropped(curator, imported):
    body = '{"records": [{"id": "d1", "prompt": "one", "prompt": "two"}]}'
    url = reverse("api:dataset-items-import", args=[imported.pk])
    response = _client(curator).post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert "the key 'prompt' appears twice in one object" in response.json()["error"]["message"]
    assert imported.items.count() == 3


def test_a_whole_number_past_64_bits_is_stored_as_a_file_line_would_store_it(curator, imported):
    body = '{"records": [{"id": "n1", "prompt": "big", "score": 123456789012345678901234567890}]}'
    url = reverse("api:dataset-items-import", args=[imported.pk])
    response = _client(curator).post(url, body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Item.objects.get(dataset=imported, external_id="n1").content["score"] == pytest.approx(1.2345678901e29)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"records": []}, "records"),
        ({"records": {"id": "x"}}, "records"),
        ({}, "records"),
        ({"records": [{"id": "x"}], "content_fields": "prompt"}, "content_fields"),
        ({"records": [{"id": "x"}], "metadata_fields": [""]}, "metadata_fields.0"),
        ({"records": [{"id": "x"}], "id_field": ""}, "id_field"),
    ],
)
def test_a_malformed_body_is_a_400_naming_the_field(curator, imported, body, field):
    url = reverse("api:dataset-items-import", args=[imported.pk])
    error = _error(_client(curator).post(url, body, format="json"))
    assert error["field"] == field
    assert imported.items.count() == 3


def test_more_records_than_one_call_may_send_are_refused(curator, imported):
    records = [{"id": str(n)} for n in range(MAX_RECORDS_PER_CALL + 1)]
    error = _error(_import(_client(curator), imported.pk, records))
    assert error["field"] == "records" and f"{MAX_RECORDS_PER_CALL:,}" in error["message"]
    assert imported.items.count() == 3


def test_a_content_field_no_record_has_is_refused(curator, imported):
    error = _error(_import(_client(curator), imported.pk, [{"id": "c1", "text": "x"}], content_fields=["prompt"]))
    assert "The content field 'prompt' does not occur" in error["message"]
    assert imported.items.count() == 3


def test_a_body_that_is_not_json_is_a_400(curator, imported):
    url = reverse("api:dataset-items-import", args=[imported.pk])
    response = _client(curator).post(url, "{records: [", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"


# ---------------------------------------------------------------- who may import and read


def test_a_user_who_may_not_curate_cannot_import_records(rater, campaign):
    response = _import(_client(rater), campaign.dataset_id, [{"id": "r1"}])
    assert response.status_code == 403
    assert not Item.objects.filter(external_id="r1").exists()


def test_another_curator_neither_finds_nor_imports_into_the_dataset(imported):
    other = UserFactory(username="other-curator")
    other.user_permissions.add(*Permission.objects.filter(codename__in=["add_dataset", "add_rubric", "add_campaign"]))
    client = _client(other)
    assert _import(client, imported.pk, [{"id": "s1"}]).status_code == 404
    staff = _client(UserFactory(username="admin", is_staff=True))
    for url in (
        reverse("api:dataset-detail", args=[imported.pk]),
        reverse("api:dataset-items-import", args=[imported.pk]),
        reverse("api:dataset-item-detail", args=[imported.pk, imported.items.first().pk]),
        reverse("api:dataset-summary", args=[imported.pk]),
    ):
        assert client.get(url).status_code == 404, url
        assert staff.get(url).status_code == 200, url
    assert client.get(reverse("api:dataset-list")).json() == {"next": None, "previous": None, "results": []}
    assert imported.items.count() == 3


def test_anonymous_callers_get_401(client, imported):
    response = client.get(reverse("api:dataset-items-import", args=[imported.pk]))
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


def test_raters_adjudicators_and_viewers_of_a_campaign_do_not_see_its_dataset(campaign, rater, adjudicator, viewer):
    url = reverse("api:dataset-detail", args=[campaign.dataset_id])
    for user in (rater, adjudicator, viewer):
        client = _client(user)
        assert client.get(url).status_code == 404
        assert client.get(reverse("api:dataset-list")).json()["results"] == []


def test_the_owner_of_a_campaign_on_another_users_dataset_sees_it(curator):
    dataset = DatasetFactory(created_by=UserFactory(username="alice"))
    campaign = CampaignFactory(dataset=dataset)
    MembershipFactory(campaign=campaign, user=curator, role=Membership.Role.OWNER)
    client = _client(curator)
    assert [d["id"] for d in client.get(reverse("api:dataset-list")).json()["results"]] == [dataset.pk]
    assert client.get(reverse("api:dataset-detail", args=[dataset.pk])).status_code == 200


def test_an_item_of_another_dataset_is_not_found_through_this_one(curator, imported):
    theirs = ItemFactory()
    mine_too = ItemFactory(dataset=DatasetFactory(created_by=curator))
    client = _client(curator)
    for item in (theirs, mine_too):
        assert client.get(reverse("api:dataset-item-detail", args=[imported.pk, item.pk])).status_code == 404
    assert client.get(f"/api/v1/datasets/{imported.pk}/items/{'9' * 40}/").status_code == 404


# ---------------------------------------------------------------- pages, search and filters


def test_the_dataset_list_is_a_page_whose_next_link_leads_on(curator):
    made = [DatasetFactory(created_by=curator).pk for _ in range(5)]
    client = _client(curator)
    seen, url = [], reverse("api:dataset-list") + "?limit=2"
    while url:
        body = client.get(url).json()
        seen += [d["id"] for d in body["results"]]
        url = body["next"]
    assert seen == sorted(made)


def test_items_page_forward_and_back_by_their_links(curator):
    dataset = DatasetFactory(created_by=curator)
    ids = [ItemFactory(dataset=dataset).pk for _ in range(5)]
    client = _client(curator)
    first = _items(client, dataset.pk, limit=2).json()
    assert [i["id"] for i in first["results"]] == ids[:2] and first["previous"] is None
    second = client.get(first["next"]).json()
    assert [i["id"] for i in second["results"]] == ids[2:4]
    third = client.get(second["next"]).json()
    assert [i["id"] for i in third["results"]] == ids[4:] and third["next"] is None
    back = client.get(third["previous"]).json()
    assert [i["id"] for i in back["results"]] == ids[2:4]
    assert [i["id"] for i in client.get(back["previous"]).json()["results"]] == ids[:2]


def test_metadata_filters_combine_and_keep_to_exact_values(curator, imported):
    client = _client(curator)
    atlas = _items(client, imported.pk, **{"meta.model": "atlas"}).json()["results"]
    assert [i["external_id"] for i in atlas] == ["a1", "a2"]
    both = _items(client, imported.pk, **{"meta.model": "atlas", "meta.lang": "en"}).json()["results"]
    assert [i["external_id"] for i in both] == ["a1"]
    assert _items(client, imported.pk, **{"meta.model": "Atlas"}).json()["results"] == []


def test_search_words_find_items_alone_and_with_filters(curator, imported):
    client = _client(curator)
    found = _items(client, imported.pk, q="portugal").json()["results"]
    assert [i["external_id"] for i in found] == ["a1", "a3"]
    assert [i["external_id"] for i in _items(client, imported.pk, q="Lisb").json()["results"]] == ["a1"]
    narrowed = _items(client, imported.pk, q="portugal", **{"meta.model": "zephyr"}).json()["results"]
    assert [i["external_id"] for i in narrowed] == ["a3"]


def test_a_search_pages_by_its_next_link(curator, imported):
    client = _client(curator)
    first = _items(client, imported.pk, q="portugal", limit=1).json()
    second = client.get(first["next"]).json()
    assert [i["external_id"] for i in first["results"] + second["results"]] == ["a1", "a3"]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"meta.colour": "red"}, "meta.colour"),
        ({"meta.": "x"}, "meta."),
        ({"meta": "x"}, "meta"),
        ({"meta.model": ""}, "meta.model"),
        ({"meta.model": "x" * 300}, "meta.model"),
        ({"q": "w" * 201}, "q"),
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_a_bad_item_query_is_a_400_naming_the_parameter(curator, imported, query, field):
    error = _error(_items(_client(curator), imported.pk, **query))
    assert error["field"] == field


def test_one_metadata_field_given_twice_is_a_400(curator, imported):
    url = reverse("api:dataset-items-import", args=[imported.pk]) + "?meta.model=atlas&meta.model=zephyr"
    assert _error(_client(curator).get(url))["field"] == "meta.model"


def test_an_unknown_metadata_field_names_the_fields_there_are(curator, imported):
    error = _error(_items(_client(curator), imported.pk, **{"meta.colour": "red"}))
    assert error["message"] == "No metadata field 'colour' in this dataset (its fields: model, lang)."


@pytest.mark.parametrize("key", [10**40, -1, "12", [1, 2]])
def test_a_forged_cursor_is_a_400_not_a_crash(curator, imported, key):
    raw = base64.urlsafe_b64encode(json.dumps(["n", key]).encode()).decode()
    assert _error(_items(_client(curator), imported.pk, cursor=raw.rstrip("=")))["field"] == "cursor"


# ---------------------------------------------------------------- the summary


def test_the_summary_gives_value_counts_and_text_lengths_per_field(curator, imported):
    body = _client(curator).get(reverse("api:dataset-summary", args=[imported.pk])).json()
    assert body["item_count"] == 3
    model = next(m for m in body["metadata"] if m["field"] == "model")
    assert [(v["value"], v["count"]) for v in model["values"]] == [("atlas", 2), ("zephyr", 1)]
    assert (model["other"], model["missing"], model["distinct"]) == (0, 0, 2)
    assert model["values"][0]["percent"] == pytest.approx(200 / 3)
    prompt = next(c for c in body["content"] if c["field"] == "prompt")
    lengths = sorted(len(r["prompt"]) for r in RECORDS)
    assert (prompt["n"], prompt["minimum"], prompt["maximum"]) == (3, lengths[0], lengths[-1])
    assert sum(b["count"] for b in prompt["bins"]) == 3


@pytest.mark.parametrize("depth", [300, 900, 5000])
def test_a_record_nested_too_deeply_is_a_400_not_a_crash(curator, imported, depth):
    body = '{"records": [{"id": "deep", "v": ' + "[" * depth + "]" * depth + "}]}"
    url = reverse("api:dataset-items-import", args=[imported.pk])
    response = _client(curator).post(url, body, content_type="application/json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["row"] == 1 or "nested too deeply" in error["message"]
    assert imported.items.count() == 3
