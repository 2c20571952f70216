"""Each user is shown the menus and create buttons they can use, and no link that would refuse them."""

import re

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from annotate.context_processors import Menu, menu_for
from annotate.models import Campaign, Membership
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

CREATE_URLS = [
    reverse("ratings:campaign-create"),
    reverse("annotate:dataset-upload"),
    reverse("annotate:rubric-create"),
]
LIST_PAGES = [reverse("home"), reverse("annotate:dataset-list"), reverse("annotate:rubric-list")]


@pytest.fixture(autouse=True)
def fresh_menus() -> None:
    """Menus are kept a minute per user; each test starts from the roles it sets up."""
    cache.clear()


def _menu(client: Client, user: User) -> list[str]:
    """The names in the main menu of the home page, as `user` sees it."""
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    nav = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', page, re.S).group(1)
    return re.findall(r">([^<]+)</a>", nav)


def _links(page: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', page))


def test_raters_are_offered_neither_datasets_nor_rubrics(client, rater):
    assert _menu(client, rater) == ["Campaigns"]


def test_adjudicators_are_offered_neither_datasets_nor_rubrics(client, adjudicator):
    assert _menu(client, adjudicator) == ["Campaigns"]


def test_viewers_are_offered_neither_datasets_nor_rubrics(client, viewer):
    assert _menu(client, viewer) == ["Campaigns"]


def test_users_without_a_role_are_offered_campaigns_only(client, outsider):
    assert _menu(client, outsider) == ["Campaigns"]


def test_curators_are_offered_datasets_and_rubrics(client, curator):
    assert _menu(client, curator) == ["Campaigns", "Datasets", "Rubrics"]


def test_owners_who_may_not_create_are_offered_their_campaigns_datasets_and_rubrics(client, campaign: Campaign):
    owner = UserFactory(username="second-owner")
    MembershipFactory(campaign=campaign, user=owner, role=Membership.Role.OWNER)
    assert _menu(client, owner) == ["Campaigns", "Datasets", "Rubrics"]
    page = client.get(reverse("annotate:dataset-list")).content.decode()
    assert campaign.dataset.name in page
    assert not _links(page) & set(CREATE_URLS)


def test_staff_are_offered_the_admin(client, staff):
    assert _menu(client, staff) == ["Campaigns", "Datasets", "Rubrics", "Admin"]


def test_every_menu_link_opens_for_its_user(client, rater, adjudicator, viewer, outsider, curator, staff):
    for user in (rater, adjudicator, viewer, outsider, curator, staff):
        client.force_login(user)
        page = client.get(reverse("home")).content.decode()
        nav = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', page, re.S).group(1)
        for url in _links(nav):
            assert client.get(url).status_code == 200, (user.username, url)


def test_no_page_offers_a_create_button_that_would_refuse(client, rater, adjudicator, viewer, outsider):
    for user in (rater, adjudicator, viewer, outsider):
        client.force_login(user)
        for url in LIST_PAGES:
            offered = _links(client.get(url).content.decode()) & set(CREATE_URLS)
            assert not offered, (user.username, url, offered)
            # Each of them is refused: campaign creation answers 404, dataset and rubric creation 403.
            assert all(client.get(create).status_code in (403, 404) for create in CREATE_URLS)


def test_curators_are_offered_every_create_button(client, curator):
    client.force_login(curator)
    for url, create in zip(LIST_PAGES, CREATE_URLS, strict=True):
        assert create in _links(client.get(url).content.decode()), url
        assert client.get(create).status_code == 200


def test_the_rule_is_one_function_of_the_user(rater, curator, staff):
    assert menu_for(rater) == Menu(datasets=False, rubrics=False, admin=False)
    assert menu_for(curator) == Menu(datasets=True, rubrics=True, admin=False)
    assert menu_for(staff) == Menu(datasets=True, rubrics=True, admin=True)


def test_a_new_role_shows_in_the_menus_once_the_kept_answer_expires(client, outsider, campaign):
    assert _menu(client, outsider) == ["Campaigns"]
    MembershipFactory(campaign=campaign, user=outsider, role=Membership.Role.OWNER)
    cache.clear()  # as MENU_CACHE_SECONDS passing does
    assert _menu(client, outsider) == ["Campaigns", "Datasets", "Rubrics"]
