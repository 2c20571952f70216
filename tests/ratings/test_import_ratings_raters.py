"""Who receives imported labels: the campaign's external raters, never another account; members only when asked."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from annotate.models import Campaign, Membership
from ratings import services
from ratings.importers import Layout
from ratings.models import Rating
from ratings.services import MAX_NEW_RATERS, ratings_import
from tests.factories import UserFactory
from tests.ratings.test_import_ratings import counts, external_rater, long_rows, make_campaign, write_file


def _member(campaign: Campaign, username: str, role: str = Membership.Role.RATER) -> User:
    user = UserFactory(username=username)
    Membership.objects.create(campaign=campaign, user=user, role=role, rates=role == Membership.Role.RATER)
    return user


def _raters_of(campaign: Campaign) -> set[str]:
    return set(Rating.objects.filter(campaign=campaign).values_list("rater__username", flat=True))


@pytest.mark.django_db
def test_a_real_account_named_in_the_file_gets_no_labels_sees_nothing_and_joins_nothing(tmp_path: Path) -> None:
    campaign = make_campaign()
    bob = UserFactory(username="bob")
    path = write_file(tmp_path, "csv", long_rows(("i1", "bob", "helpful", "4"), ("i2", "bob", "helpful", "2")))
    result = ratings_import(campaign=campaign, source=path)
    assert [(r.name, r.username) for r in result.raters_created] == [("bob", f"bob@{campaign.slug}")]
    assert not Rating.objects.filter(rater=bob).exists()
    assert not Membership.objects.filter(user=bob).exists()
    assert _raters_of(campaign) == {f"bob@{campaign.slug}"}
    client = Client()
    client.force_login(bob)
    assert campaign.name not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("ratings:my-ratings", args=[campaign.slug])).status_code == 404


@pytest.mark.django_db
def test_the_member_flag_never_reaches_an_account_outside_the_campaign(tmp_path: Path) -> None:
    campaign = make_campaign()
    bob = UserFactory(username="bob")
    path = write_file(tmp_path, "csv", long_rows(("i1", "bob", "helpful", "4")))
    result = ratings_import(campaign=campaign, source=path, match_members=True)
    assert result.members_matched == ()
    assert not Rating.objects.filter(rater=bob).exists()
    assert not Membership.objects.filter(user=bob).exists()


@pytest.mark.django_db
def test_with_the_member_flag_a_rater_of_the_campaign_gets_their_labels(tmp_path: Path) -> None:
    campaign = make_campaign()
    carol = _member(campaign, "carol")
    path = write_file(tmp_path, "csv", long_rows(("i1", "carol", "helpful", "4"), ("i1", "newcomer", "helpful", "2")))
    result = ratings_import(campaign=campaign, source=path, match_members=True)
    assert result.members_matched == ("carol",)
    assert [r.name for r in result.raters_created] == ["newcomer"]
    assert Rating.objects.get(rater=carol).values == {"helpful": 4}
    client = Client()
    client.force_login(carol)
    page = client.get(reverse("ratings:my-ratings", args=[campaign.slug]))
    assert page.status_code == 200
    assert "i1" in page.content.decode()


@pytest.mark.django_db
def test_without_the_member_flag_a_rater_of_the_campaign_gets_nothing(tmp_path: Path) -> None:
    campaign = make_campaign()
    carol = _member(campaign, "carol")
    path = write_file(tmp_path, "csv", long_rows(("i1", "carol", "helpful", "4")))
    result = ratings_import(campaign=campaign, source=path)
    assert result.members_matched == ()
    assert not Rating.objects.filter(rater=carol).exists()
    assert _raters_of(campaign) == {f"carol@{campaign.slug}"}


@pytest.mark.django_db
def test_reimporting_with_replace_matches_the_same_external_raters(tmp_path: Path) -> None:
    campaign = make_campaign()
    wide = [{"item_id": "i1", "alice": "4", "bob": "3"}, {"item_id": "i2", "alice": "2", "bob": "5"}]
    path = write_file(tmp_path, "csv", wide)
    layout = Layout(wide=True, criterion="helpful")
    first = ratings_import(campaign=campaign, source=path, layout=layout)
    assert len(first.raters_created) == 2
    users = User.objects.count()
    again = ratings_import(campaign=campaign, source=path, layout=layout, replace=True)
    assert (again.raters_created, again.n_replaced) == ([], 4)
    assert User.objects.count() == users
    assert _raters_of(campaign) == {f"alice@{campaign.slug}", f"bob@{campaign.slug}"}


@pytest.mark.django_db
def test_external_raters_from_an_earlier_version_are_matched_by_their_plain_name(tmp_path: Path) -> None:
    campaign = make_campaign()
    earlier = external_rater(campaign, "alice")
    ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", long_rows(("i1", "alice", "helpful", "4"))))
    path = write_file(tmp_path, "csv", long_rows(("i1", "alice", "helpful", "5")), name="again")
    result = ratings_import(campaign=campaign, source=path, replace=True)
    assert (result.raters_created, result.n_replaced) == ([], 1)
    assert Rating.objects.get().rater == earlier
    assert not User.objects.filter(username=f"alice@{campaign.slug}").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("active", [True, False])
def test_an_external_rater_username_held_by_another_account_is_refused(tmp_path: Path, active: bool) -> None:
    campaign = make_campaign()
    # An account of that username, active or not, that is not one of this campaign's external raters.
    holder = UserFactory(username=f"eve@{campaign.slug}", is_active=active)
    before = counts()
    rows = long_rows(("i1", "alice", "helpful", "4"), ("i2", "eve", "helpful", "3"))
    with pytest.raises(ValidationError) as exc:
        ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", rows))
    message = exc.value.messages[0]
    assert message.startswith(f"line 3, field 'rater', value 'eve': the username 'eve@{campaign.slug}'")
    assert "rename the rater" in message
    assert counts() == before
    assert not Rating.objects.filter(rater=holder).exists()


@pytest.mark.django_db
def test_a_name_too_long_for_the_campaign_suffix_is_refused_naming_the_row(tmp_path: Path) -> None:
    campaign = make_campaign()
    room = 150 - len(f"@{campaign.slug}")
    before = counts()
    rows = long_rows(("i1", "a" * room, "helpful", "4"), ("i1", "b" * (room + 1), "helpful", "3"))
    with pytest.raises(ValidationError) as exc:
        ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", rows))
    message = exc.value.messages[0]
    assert message.startswith("line 3, field 'rater', value 'bbbb")
    assert f"longer than the 150 characters of a username: shorten the name to at most {room}" in message
    assert counts() == before


@pytest.mark.django_db
def test_a_file_naming_more_new_raters_than_the_cap_is_refused_and_creates_no_account(tmp_path: Path) -> None:
    campaign = make_campaign()
    header = ["item_id", *(f"r{n}" for n in range(1, MAX_NEW_RATERS + 2))]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(header) + "\n" + ",".join(["i1", *["3"] * (MAX_NEW_RATERS + 1)]) + "\n")
    before = counts()
    with pytest.raises(ValidationError) as exc:
        ratings_import(campaign=campaign, source=path, layout=Layout(wide=True, criterion="helpful"))
    cap = f"{MAX_NEW_RATERS + 1:,}"
    assert exc.value.messages[0].startswith(f"line 2, field 'r{MAX_NEW_RATERS + 1}', value 'r{MAX_NEW_RATERS + 1}'")
    assert f"this is new rater {cap}, and one import may create at most {MAX_NEW_RATERS:,}" in exc.value.messages[0]
    assert counts() == before


@pytest.mark.django_db
def test_only_new_raters_count_towards_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "MAX_NEW_RATERS", 2)
    campaign = make_campaign()
    external_rater(campaign, f"old1@{campaign.slug}")
    _member(campaign, "member")
    row = {"item_id": "i1", "old1": "1", "member": "2", "new1": "3", "new2": "4"}
    path = write_file(tmp_path, "csv", [row])
    layout = Layout(wide=True, criterion="helpful")
    result = ratings_import(campaign=campaign, source=path, layout=layout, match_members=True)
    assert [r.name for r in result.raters_created] == ["new1", "new2"]
    # Raters the first file created are known now: only new3, new4 and new5 are new.
    row = {**row, "item_id": "i2", "new3": "5", "new4": "5", "new5": "5"}
    path = write_file(tmp_path, "csv", [row], name="more")
    with pytest.raises(ValidationError, match=r"line 2, field 'new5', value 'new5': this is new rater 3"):
        ratings_import(campaign=campaign, source=path, layout=layout, match_members=True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rows", "wide"),
    [
        # A bad value on the rater's row.
        ([{"item_id": "i1", "rater": "{name}", "criterion": "helpful", "value": "9"}], False),
        # A name that, with the campaign's suffix, is too long for a username.
        ([{"item_id": "i1", "rater": "{name}" + "x" * 140, "criterion": "helpful", "value": "3"}], False),
        # The cap on new raters passed at that name.
        ([{"item_id": "i1", **{f"r{n}": "3" for n in range(MAX_NEW_RATERS)}, "{name}": "3"}], True),
    ],
)
def test_no_error_tells_whether_an_account_of_that_name_exists(tmp_path: Path, rows: list[dict], wide: bool) -> None:
    campaign = make_campaign()
    UserFactory(username="known")
    UserFactory(username="known" + "x" * 140)
    messages = {}
    for name in ("known", "nobod"):
        named = [{k.replace("{name}", name): v.replace("{name}", name) for k, v in row.items()} for row in rows]
        layout = Layout(wide=True, criterion="helpful") if wide else Layout()
        with pytest.raises(ValidationError) as exc:
            ratings_import(campaign=campaign, source=write_file(tmp_path, "csv", named, name=name), layout=layout)
        messages[name] = exc.value.messages[0].replace(name, "NAME")
    assert messages["known"] == messages["nobod"]
