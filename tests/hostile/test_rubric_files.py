"""Hostile rubric files: alias bombs, deep nesting, huge option lists, NUL characters, other owners' names.

Every path that reads a rubric (the parser, `load_rubric`, the API and the web form) gives a clear error,
writes nothing and stays within a small, bounded amount of memory and time.
"""

import json
from io import StringIO

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotate.models import Rubric, RubricVersion
from annotate.rubrics import MAX_CRITERIA, MAX_DEPTH, MAX_OPTIONS, MAX_RUBRIC_BYTES, parse_rubric
from tests.factories import UserFactory
from tests.hostile.bounded import PEAK_RSS_LIMIT_MB, run_bounded

# Nine levels of anchors, each a list of nine aliases of the level before: 9**9 (387 million) strings once
# expanded, from about 400 bytes of text.
ALIAS_BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{b}: &{b} [*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)]
)
BOMB_AS_NAME = ALIAS_BOMB + "\nname: *i\ncriteria: [{key: q, type: binary}]\n"
BOMB_AS_OPTIONS = ALIAS_BOMB + "\nname: Bomb\ncriteria: [{key: q, type: categorical, options: *i}]\n"

GOOD = "name: Tone\ndescription: How it sounds.\ncriteria:\n  - key: polite\n    type: binary\n"


def _curator(username: str) -> User:
    user = UserFactory(username=username)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="annotate", codename__in=["add_dataset", "add_rubric", "add_campaign"]
        )
    )
    return User.objects.get(pk=user.pk)


def _deep_json(levels: int) -> str:
    return '{"name": "Deep", "criteria": ' + "[" * levels + "]" * levels + "}"


def _deep_yaml(levels: int) -> str:
    return "name: Deep\ncriteria: " + "[" * levels + "]" * levels + "\n"


def _many_options(n: int) -> str:
    return json.dumps(
        {"name": "Wide", "criteria": [{"key": "c", "type": "categorical", "options": list(map(str, range(n)))}]}
    )


# --------------------------------------------------------------------------- the parser


@pytest.mark.parametrize("text", [BOMB_AS_NAME, BOMB_AS_OPTIONS], ids=["name", "options"])
def test_an_alias_bomb_is_refused_before_it_expands(text):
    with pytest.raises(ValidationError, match=r"alias \(\*b\) repeats another value|anchor \(&a\) is not allowed"):
        parse_rubric(text)


def test_an_alias_bomb_stays_within_bounded_memory(tmp_path):
    outcome = run_bounded(
        f"""
        from django.core.exceptions import ValidationError
        from annotate.rubrics import parse_rubric
        try:
            parse_rubric({BOMB_AS_NAME!r})
        except ValidationError as exc:
            print("REFUSED", len(" ".join(exc.messages)))
        """,
        data_dir=tmp_path,
        timeout=60,
    )
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    assert "REFUSED" in outcome.stdout
    assert outcome.peak_rss_mb < PEAK_RSS_LIMIT_MB


def test_a_plain_anchor_without_alias_is_refused_too():
    with pytest.raises(ValidationError, match=r"anchor \(&n\) is not allowed"):
        parse_rubric("name: &n Tone\ncriteria: [{key: q, type: binary}]\n")


def test_a_merge_key_is_refused_as_an_alias():
    text = "name: Tone\ncriteria:\n  - &base {key: q, type: binary}\n  - {<<: *base, key: r}\n"
    with pytest.raises(ValidationError, match="anchor"):
        parse_rubric(text)


@pytest.mark.parametrize("text", [_deep_json(10_000), _deep_yaml(10_000)], ids=["json", "yaml"])
def test_deep_nesting_is_a_clear_error_not_a_crash(text):
    with pytest.raises(ValidationError, match=f"nested more than {MAX_DEPTH} levels deep"):
        parse_rubric(text)


def test_nesting_within_the_limit_but_in_odd_places_is_refused_by_depth():
    nested = {"name": "Deep", "criteria": [{"key": "q", "type": "binary", "help": "x"}]}
    inner: dict = nested
    for _ in range(MAX_DEPTH + 2):
        inner["help"] = {"help": "x"}
        inner = inner["help"]
    with pytest.raises(ValidationError, match="nested more than"):
        parse_rubric(json.dumps(nested))


def test_fifty_thousand_options_are_refused_at_once():
    with pytest.raises(ValidationError, match=f"50,000 options is too many \\(at most {MAX_OPTIONS}\\)"):
        parse_rubric(_many_options(50_000))


def test_the_largest_allowed_option_list_is_accepted():
    spec = parse_rubric(_many_options(MAX_OPTIONS))
    assert len(spec.criteria[0]["options"]) == MAX_OPTIONS


def test_duplicate_options_are_named_once_each_in_order():
    text = json.dumps({"name": "D", "criteria": [{"key": "c", "type": "categorical", "options": ["x", "y", "x", "y"]}]})
    with pytest.raises(ValidationError) as raised:
        parse_rubric(text)
    assert [m for m in raised.value.messages if "more than once" in m] == [
        "criterion 1 (c): options: value 'x' appears more than once",
        "criterion 1 (c): options: value 'y' appears more than once",
    ]


def test_too_many_criteria_are_refused():
    criteria = [{"key": f"c{n}", "type": "binary"} for n in range(MAX_CRITERIA + 1)]
    with pytest.raises(ValidationError, match=f"at most {MAX_CRITERIA}"):
        parse_rubric(json.dumps({"name": "Many", "criteria": criteria}))


def test_a_file_over_the_size_limit_is_refused_before_parsing():
    text = "name: Big\nguidelines: " + "x" * MAX_RUBRIC_BYTES + "\ncriteria: [{key: q, type: binary}]\n"
    with pytest.raises(ValidationError, match="at most 512 KB"):
        parse_rubric(text)


def test_error_messages_quote_a_huge_value_only_in_part():
    text = json.dumps({"name": ["x" * 1000] * 10_000, "criteria": [{"key": "q", "type": "binary"}]})
    with pytest.raises(ValidationError) as raised:
        parse_rubric(text)
    assert all(len(message) < 300 for message in raised.value.messages)


def test_a_nul_character_in_a_json_rubric_is_named():
    text = json.dumps({"name": "To\x00ne", "criteria": [{"key": "q", "type": "binary"}]})
    with pytest.raises(ValidationError, match="field 'name': contains a NUL character"):
        parse_rubric(text)


def test_a_nul_character_in_an_option_is_named_with_its_place():
    text = json.dumps({"name": "T", "criteria": [{"key": "q", "type": "categorical", "options": ["a", "b\x00"]}]})
    with pytest.raises(ValidationError, match="criteria.*options.*NUL"):
        parse_rubric(text)


# --------------------------------------------------------------------------- load_rubric


def _load(path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("load_rubric", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text", [BOMB_AS_NAME, BOMB_AS_OPTIONS, _deep_json(10_000), _deep_yaml(10_000), _many_options(100_000)]
)
def test_the_command_prints_a_clear_error_and_loads_nothing(tmp_path, capsys, text):
    path = tmp_path / ("rubric.json" if text.startswith("{") else "rubric.yaml")
    path.write_text(text)
    err = StringIO()
    with pytest.raises(CommandError, match="1 of 1 rubric file failed to load"):
        call_command("load_rubric", str(path), stdout=StringIO(), stderr=err)
    assert str(path) in err.getvalue() and "Traceback" not in err.getvalue()
    assert len(err.getvalue()) < 1000
    assert Rubric.objects.count() == 0


@pytest.mark.django_db
def test_the_command_refuses_a_file_over_the_size_limit_without_reading_it(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (MAX_RUBRIC_BYTES + 1))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("load_rubric", str(path), stdout=StringIO(), stderr=err)
    assert "larger than the 512 KB" in err.getvalue()


# --------------------------------------------------------------------------- the API and the web form


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text", [BOMB_AS_NAME, BOMB_AS_OPTIONS, _deep_json(10_000), _deep_yaml(10_000), _many_options(100_000)]
)
def test_the_api_answers_400_and_stores_nothing(client, curator, text):
    client.force_login(curator)
    response = client.post(reverse("api:rubric-list"), {"text": text}, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid", "text") and error["message"]
    assert len(response.content) < 2000
    assert Rubric.objects.count() == 0


@pytest.mark.django_db
def test_the_api_refuses_a_json_body_nested_too_deeply(client, curator):
    client.force_login(curator)
    body = '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post(reverse("api:rubric-list"), body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("text", [BOMB_AS_NAME, _deep_json(10_000), _deep_yaml(10_000), _many_options(100_000)])
def test_the_web_form_shows_the_error_and_stores_nothing(client, curator, text):
    client.force_login(curator)
    response = client.post(reverse("annotate:rubric-create"), {"text": text})
    assert response.status_code == 200
    assert b'class="errorlist' in response.content
    assert Rubric.objects.count() == 0


# ----------------------------------------------------------------- names reach only what the caller may change


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["Tone", "TONE", "tone"])
def test_another_owner_loading_the_same_name_gets_a_rubric_of_their_own(client, name):
    alice, bob = _curator("alice"), _curator("bob")
    client.force_login(alice)
    assert client.post(reverse("api:rubric-list"), {"text": GOOD}, content_type="application/json").status_code == 201
    theirs = Rubric.objects.get(created_by=alice)

    client.force_login(bob)
    injected = GOOD.replace("Tone", name).replace("How it sounds.", "Overwritten.")
    response = client.post(reverse("api:rubric-list"), {"text": injected}, content_type="application/json")

    assert response.status_code == 201 and response.json()["id"] != theirs.pk
    theirs.refresh_from_db()
    assert theirs.description == "How it sounds."
    assert list(theirs.versions.values_list("number", "created_by")) == [(1, alice.pk)]
    assert Rubric.objects.get(created_by=bob).description == "Overwritten."


@pytest.mark.django_db
def test_the_answer_to_another_owners_name_is_the_answer_to_a_new_name(client):
    alice, bob = _curator("alice"), _curator("bob")
    client.force_login(alice)
    client.post(reverse("api:rubric-list"), {"text": GOOD}, content_type="application/json")
    client.force_login(bob)
    taken = client.post(reverse("api:rubric-list"), {"text": GOOD}, content_type="application/json")
    fresh = client.post(
        reverse("api:rubric-list"), {"text": GOOD.replace("Tone", "Voice")}, content_type="application/json"
    )
    assert taken.status_code == fresh.status_code == 201
    assert set(taken.json()) == set(fresh.json())


@pytest.mark.django_db
def test_loading_your_own_rubric_again_adds_a_version(client):
    alice = _curator("alice")
    client.force_login(alice)
    client.post(reverse("api:rubric-list"), {"text": GOOD}, content_type="application/json")
    changed = GOOD.replace("How it sounds.", "Tone of voice.").replace("polite", "warm")
    response = client.post(reverse("api:rubric-list"), {"text": changed}, content_type="application/json")
    assert response.status_code == 201 and response.json()["latest_version"] == 2
    assert Rubric.objects.count() == 1


@pytest.mark.django_db
def test_the_web_form_lets_another_owner_use_a_taken_name_without_revealing_it(client):
    alice, bob = _curator("alice"), _curator("bob")
    client.force_login(alice)
    client.post(reverse("annotate:rubric-create"), {"text": GOOD})
    client.force_login(bob)
    response = client.post(reverse("annotate:rubric-create"), {"text": GOOD})
    assert response.status_code == 302
    assert Rubric.objects.filter(name="Tone").count() == 2
    assert RubricVersion.objects.filter(rubric__created_by=alice).count() == 1


@pytest.mark.django_db
def test_a_user_who_may_not_curate_cannot_load_rubrics(client):
    client.force_login(UserFactory(username="rater"))
    response = client.post(reverse("api:rubric-list"), {"text": GOOD}, content_type="application/json")
    assert response.status_code == 403 and Rubric.objects.count() == 0


@pytest.mark.django_db
def test_the_command_with_owner_reaches_only_that_owners_rubrics(tmp_path):
    alice, bob = _curator("alice"), _curator("bob")
    path = tmp_path / "tone.yaml"
    path.write_text(GOOD)
    call_command("load_rubric", str(path), "--owner", "alice", stdout=StringIO())
    path.write_text(GOOD.replace("How it sounds.", "Changed by bob."))
    out = StringIO()
    call_command("load_rubric", str(path), "--owner", "bob", stdout=out)
    assert "(created)" in out.getvalue()
    assert Rubric.objects.get(created_by=alice).description == "How it sounds."
    assert Rubric.objects.get(created_by=bob).description == "Changed by bob."


@pytest.mark.django_db
def test_the_command_without_owner_asks_which_when_several_rubrics_share_a_name(tmp_path):
    for owner in (_curator("alice"), _curator("bob")):
        Rubric.objects.create(name="Tone", created_by=owner)
    path = tmp_path / "tone.yaml"
    path.write_text(GOOD)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("load_rubric", str(path), stdout=StringIO(), stderr=err)
    assert "2 rubrics are named 'Tone' (owners: alice, bob); load it with --owner USER" in err.getvalue()
