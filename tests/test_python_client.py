"""The Python client (accord_client.py) against a live server: the README's example end to end on the demo, and
the client's errors, pages and waits as a notebook meets them."""

import gc
import re
import threading
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
import requests
from django.contrib.auth.models import User
from django.core.management import call_command

import accord_client
from accord_client import Accord, AccordError
from annotate.models import Campaign, Dataset, Item, MachineRater, Membership
from annotate.services.api_tokens import api_token_create
from ratings import api as agreement_api
from ratings import export_runs, tasks
from ratings.models import Rating
from tests.factories import CampaignFactory, RatingFactory

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Use Accord from Python"


@pytest.fixture
def server(live_server) -> str:
    """The live server's address as a notebook would type it (127.0.0.1 is in ALLOWED_HOSTS, with no lookup)."""
    return live_server.url.replace("://localhost:", "://127.0.0.1:")


class TrackedSession(requests.Session):
    """A requests session that the test closes when it ends."""

    opened: list[requests.Session] = []

    def __init__(self) -> None:
        super().__init__()
        TrackedSession.opened.append(self)


@pytest.fixture(autouse=True)
def server_threads_finish(transactional_db, monkeypatch) -> Iterator[None]:
    """Every connection the test's clients opened is closed, and the live server thread that served it has ended
    (closing its database session), before the test database is flushed or dropped.

    A kept-alive connection holds a server thread and its database session; a response kept alive by an
    AccordError's traceback, until the garbage collector frees it, holds its socket open.
    """
    monkeypatch.setattr(accord_client.requests, "Session", TrackedSession)
    yield
    while TrackedSession.opened:
        TrackedSession.opened.pop().close()
    gc.collect()
    for thread in threading.enumerate():
        if thread.name.endswith("(process_request_thread)"):
            thread.join(timeout=30)
            assert not thread.is_alive(), f"{thread.name} still serves a connection"


@pytest.fixture
def client_for(server: str, transactional_db) -> Callable[[User], Accord]:
    """A client acting as a user through a new API token."""

    def make(user: User) -> Accord:
        _token, secret = api_token_create(user=user, name=f"notebook-{user.pk}")
        return Accord(server, secret, timeout=30)

    return make


def readme_example() -> str:
    """The one Python code block of the README's "Use Accord from Python" section."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{SECTION}\n")
    end = text.index("\n## ", start + len(SECTION) + 2)
    blocks = re.findall(r"^```python\n(.*?)^```$", text[start:end], flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, f"{SECTION} should hold one python code block, found {len(blocks)}"
    return blocks[0]


def requests_seen(accord: Accord) -> list[requests.Response]:
    """Every response the client receives from now on, in order."""
    seen: list[requests.Response] = []
    accord.session.hooks["response"].append(lambda response, *args, **kwargs: seen.append(response))
    return seen


def test_the_readme_example_runs_against_the_demo_and_leaves_what_it_says(server, monkeypatch, capsys):
    call_command("load_demo", stdout=StringIO())
    owner = User.objects.get(username="owner")
    _token, secret = api_token_create(user=owner, name="notebook")
    monkeypatch.setenv("ACCORD_URL", server)
    monkeypatch.setenv("ACCORD_TOKEN", secret)
    namespace: dict = {"__name__": "readme_example"}

    exec(compile(readme_example(), str(README), "exec"), namespace)

    printed = capsys.readouterr().out
    assert "'n_items': 4" in printed and "quiz-judge" in printed
    assert "404 not_found" in printed

    dataset = Dataset.objects.get(name="Quiz answers", created_by=owner)
    items = dict(Item.objects.filter(dataset=dataset).values_list("external_id", "content"))
    assert items["q1"] == {"prompt": "Capital of Portugal?", "answer": "Lisbon."}
    assert set(items) == {"q1", "q2", "q3", "q4"}
    assert Item.objects.get(dataset=dataset, external_id="q2").metadata == {"model": "model-b"}

    campaign = Campaign.objects.get(slug="quiz")
    assert campaign.status == Campaign.Status.ACTIVE
    assert campaign.dataset == dataset and campaign.rubric_version.rubric.name == "Quiz grading"
    assert campaign.items.count() == 4 and campaign.overlap == 2
    assert "model" not in campaign.visible_fields
    assert campaign.memberships.filter(user__username="rater1", role=Membership.Role.RATER).exists()

    judge = MachineRater.objects.get(campaign=campaign, name="quiz-judge")
    assert (judge.model, judge.version) == ("gpt-4o-mini", "2026-10")
    labels = {
        rating.campaign_item.item.external_id: rating.values
        for rating in Rating.objects.filter(campaign=campaign, rater=judge.user).select_related("campaign_item__item")
    }
    assert labels == {
        "q1": {"correct": True, "clarity": 5},
        "q2": {"correct": False, "clarity": 4},
        "q3": {"correct": True, "clarity": 4},
        "q4": {"correct": True, "clarity": 3},
    }
    # The judge's labels are kept apart from the human pool: nobody has rated yet.
    assert not Rating.objects.filter(campaign=campaign, by_machine=False).exists()

    agreement = namespace["agreement"]
    assert isinstance(agreement, pd.DataFrame)
    assert list(agreement.columns) == accord_client.AGREEMENT_COLUMNS
    by_key = agreement.set_index("key")
    assert {"helpful", "honest", "harmless"} <= set(by_key.index)
    for key in ("helpful", "honest"):
        assert by_key.loc[key, "status"] == "ok"
        assert by_key.loc[key, "ci_low"] <= by_key.loc[key, "alpha"] <= by_key.loc[key, "ci_high"]
        assert by_key.loc[key, "n_raters"] == 4 and by_key.loc[key, "level"] == "ordinal"
    assert agreement.attrs["report"]["campaign_slug"] == "demo"

    export = namespace["labels"]
    demo = Campaign.objects.get(slug="demo")
    assert isinstance(export, pd.DataFrame)
    assert len(export) == demo.items.count()
    assert export.columns.str.startswith("helpful").any()

    machine_raters = Accord(server, secret).machine_raters("quiz")
    assert machine_raters[["name", "n_labels"]].to_dict(orient="records") == [{"name": "quiz-judge", "n_labels": 4}]


def test_a_refused_request_raises_accord_error_with_the_apis_fields(client_for, curator):
    accord = client_for(curator)

    with pytest.raises(AccordError) as refused:
        accord.create_dataset("")
    error = refused.value
    assert (error.status, error.code, error.field, error.row) == (400, "invalid", "name", None)
    assert error.details[0]["field"] == "name"
    assert str(error) == f"400 invalid: {error.message} (field name)"
    assert not Dataset.objects.exists()


def test_a_bad_record_names_its_row_and_field_and_nothing_is_imported(client_for, curator):
    accord = client_for(curator)
    dataset = accord.create_dataset("Answers")
    records = [{"id": "a", "text": "one"}, {"id": "b", "text": "two"}, {"text": "three, without an id"}]

    with pytest.raises(AccordError) as refused:
        accord.import_items(dataset, records)
    error = refused.value
    assert (error.status, error.code, error.row, error.field) == (400, "invalid", 3, "id")
    assert str(error).startswith("400 invalid: ") and str(error).endswith("(field id, row 3)")
    assert not Item.objects.filter(dataset_id=dataset["id"]).exists()


def test_a_campaign_hidden_from_you_is_a_404_and_a_wrong_token_a_401(client_for, server, campaign, outsider):
    with pytest.raises(AccordError) as hidden:
        client_for(outsider).agreement_report(campaign.slug)
    assert (hidden.value.status, hidden.value.code) == (404, "not_found")

    with pytest.raises(AccordError) as refused:
        Accord(server, "acc_not-a-token").campaigns()
    assert (refused.value.status, refused.value.code) == (401, "authentication_failed")


def test_a_network_error_is_requests_own(transactional_db):
    # Nothing listens on port 9 (discard) of this machine.
    with pytest.raises(requests.ConnectionError):
        Accord("http://127.0.0.1:9", "acc_x", timeout=5).campaigns()


def test_lists_follow_every_next_link(client_for, curator, monkeypatch):
    for n in range(5):
        CampaignFactory(created_by=curator, owner=curator, slug=f"paged-{n}")
    accord = client_for(curator)
    monkeypatch.setattr(accord_client, "PAGE_LIMIT", 2)
    seen = requests_seen(accord)

    campaigns = accord.campaigns()

    assert sorted(campaigns["slug"]) == [f"paged-{n}" for n in range(5)]
    assert campaigns["slug"].is_unique
    assert len(seen) == 3
    assert "limit=2" in seen[0].url and all("cursor=" in response.url for response in seen[1:])


def test_more_records_than_one_request_takes_go_up_as_a_file_a_worker_imports(client_for, curator, monkeypatch):
    monkeypatch.setattr(accord_client, "JSON_IMPORT_LIMIT", 3)
    accord = client_for(curator)
    dataset = accord.create_dataset("Many answers")
    frame = pd.DataFrame(
        {"id": [f"r{n}" for n in range(7)], "text": [f"answer {n}" for n in range(7)], "topic": ["x", "y"] * 3 + ["x"]}
    )
    seen = requests_seen(accord)

    result = accord.import_items(dataset, frame, content_fields=["text"], metadata_fields=["topic"])

    assert result == {"dataset": dataset["id"], "imported": 7, "item_count": 7}
    upload = seen[0].request
    assert upload.headers["Content-Type"].startswith("multipart/form-data")
    assert seen[0].status_code == 202
    assert Item.objects.get(dataset_id=dataset["id"], external_id="r6").metadata == {"topic": "x"}
    assert Item.objects.get(dataset_id=dataset["id"], external_id="r6").content == {"text": "answer 6"}
    by_topic = accord.items(dataset, topic="y")
    assert by_topic["external_id"].tolist() == ["r1", "r3", "r5"]
    assert by_topic.columns.tolist() == ["id", "external_id", "text", "topic"]
    assert accord.items(dataset, q="answer", topic="x")["external_id"].tolist() == ["r0", "r2", "r4", "r6"]


def test_a_file_import_that_fails_raises_accord_error_naming_the_line(client_for, curator, monkeypatch):
    monkeypatch.setattr(accord_client, "JSON_IMPORT_LIMIT", 1)
    accord = client_for(curator)
    dataset = accord.create_dataset("Broken answers")

    with pytest.raises(AccordError) as failed:
        accord.import_items(dataset, [{"id": "a", "text": "one"}, {"id": "a", "text": "the same id again"}])

    error = failed.value
    assert error.status is None and error.code == "import failed"
    assert error.row == 2 and "'a'" in error.message
    assert not Item.objects.filter(dataset_id=dataset["id"]).exists()


def test_agreement_waits_while_a_worker_computes_the_report(client_for, curator, campaign, monkeypatch):
    RatingFactory.create_batch(2, campaign_item=campaign.items.first())
    served = tasks.agreement_report_served
    answers = iter([(None, False)])
    # The first request finds no report yet, as a large campaign's first request does; the next is served.
    monkeypatch.setattr(tasks, "agreement_report_served", lambda *a, **k: next(answers, None) or served(*a, **k))
    monkeypatch.setattr(agreement_api, "RETRY_SECONDS", 1)
    accord = client_for(curator)
    seen = requests_seen(accord)

    agreement = accord.agreement(campaign.slug)

    assert [response.status_code for response in seen] == [202, 200]
    assert seen[0].headers["Retry-After"] == "1"
    assert list(agreement.columns) == accord_client.AGREEMENT_COLUMNS
    assert agreement.attrs["report"]["campaign_slug"] == campaign.slug


def test_a_large_export_is_waited_for_and_read_from_its_file(client_for, curator, campaign, monkeypatch):
    RatingFactory.create_batch(3, campaign_item=campaign.items.first())
    monkeypatch.setattr(export_runs, "EXPORT_INLINE_RATINGS", 0)
    accord = client_for(curator)
    seen = requests_seen(accord)

    per_rating = accord.export(campaign.slug, per="rating", format="csv")

    assert seen[0].status_code == 202
    assert "/file/" in seen[-1].url and seen[-1].status_code == 200
    assert len(per_rating) == 3


def test_a_rater_rates_through_the_client_and_the_owner_reads_it_back(client_for, curator, campaign, rater):
    as_rater, as_owner = client_for(rater), client_for(curator)

    served = as_rater.next_assignment(campaign.slug)
    assignment = served["assignment"]
    assert [field["name"] for field in assignment["item"]["fields"]] == ["prompt", "response"]
    rating = as_rater.submit(campaign.slug, assignment["id"], {"helpful": 4}, comment="Clear enough.")
    mine = as_rater.my_ratings(campaign.slug)
    assert mine["id"].tolist() == [rating["id"]]
    assert mine.loc[0, "values"] == {"helpful": 4}

    everyone = as_owner.ratings(campaign.slug)
    assert everyone["id"].tolist() == [rating["id"]]
    assert everyone.loc[0, "username"] == "rater" and everyone.loc[0, "comment"] == "Clear enough."
    assert as_owner.ratings(campaign.slug, who="machines").empty
    assert set(as_owner.members(campaign.slug)["username"]) == {"curator", "rater"}
    assert as_owner.campaign(campaign.slug)["overlap"] == campaign.overlap
    assert as_owner.progress(campaign.slug)["n_ratings"] == 1
    assert as_owner.campaigns()["slug"].tolist() == [campaign.slug]
    assert isinstance(as_owner.data_card(campaign.slug), str)
    assert list(as_owner.adjudication_queue(campaign.slug).columns)[:1] == ["item"]

    dataset = campaign.dataset
    assert as_owner.datasets()["id"].tolist() == [dataset.pk]
    items = as_owner.items(dataset.pk)
    assert len(items) == 5
    assert {"id", "external_id", "prompt", "response", "model"} <= set(items.columns)
    assert isinstance(as_owner.dataset_summary(dataset.pk), dict)
    assert as_owner.rubrics()["id"].tolist() == [campaign.rubric_version.rubric_id]

    board = as_owner.leaderboard(campaign.slug, criterion="helpful")
    assert board.attrs["leaderboard"]["criterion_key"] == "helpful"

    assert as_owner.close(campaign.slug)["status"] == Campaign.Status.CLOSED
    with pytest.raises(AccordError) as closed:
        as_rater.submit(campaign.slug, assignment["id"], {"helpful": 5})
    assert (closed.value.status, closed.value.code) == (409, "conflict")
    assert "closed" in closed.value.message


def test_a_judges_labels_go_in_calls_each_all_or_nothing(client_for, curator, campaign, monkeypatch):
    monkeypatch.setattr(accord_client, "MACHINE_RATINGS_PER_CALL", 2)
    accord = client_for(curator)
    external_ids = list(campaign.items.order_by("order_key").values_list("item__external_id", flat=True))
    # The last label answers nothing, and the rubric's one criterion is required: the third call is refused
    # after the first two were stored. (The column holds floats because of the missing value.)
    judge = pd.DataFrame({"item_id": external_ids, "helpful": [5, 4, 3, 2, None]})

    with pytest.raises(AccordError) as refused:
        accord.post_judge_ratings(campaign.slug, "judge-1", judge, model="m-1")
    error = refused.value
    assert (error.status, error.row) == (400, 5)
    assert error.field.startswith("ratings.4.") and external_ids[4] in error.message
    assert "labels 1 to 4 were stored" in error.message
    stored = Rating.objects.filter(campaign=campaign, by_machine=True)
    assert sorted(stored.values_list("values__helpful", flat=True)) == [2, 3, 4, 5]

    completed = judge.fillna({"helpful": 1})
    result = accord.post_judge_ratings(campaign.slug, "judge-1", completed, model="m-1", replace=True)
    assert result == {"machine": "judge-1", "machine_created": False, "created": 1, "replaced": 4, "calls": 3}
    raters = accord.machine_raters(campaign.slug)
    assert raters[["name", "model", "n_labels"]].to_dict(orient="records") == [
        {"name": "judge-1", "model": "m-1", "n_labels": 5}
    ]
