"""Flash messages stay on the server: none travels in a cookie a browser (or anyone who copies it) can read."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_flash_message_is_shown_without_a_messages_cookie(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    response = client.post(reverse("admin:auth_group_add"), {"name": "reviewers"})
    assert response.status_code == 302
    assert "messages" not in response.cookies

    page = client.get(response["Location"])
    assert "reviewers" in page.content.decode() and "was added successfully" in page.content.decode()
    assert "messages" not in page.cookies
    assert "messages" not in client.cookies
