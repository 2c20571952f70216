"""The Django admin lists every model for staff."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import CampaignFactory, RatingFactory, RatingRevisionFactory, RubricVersionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("app_label", ["annotate", "ratings"])
def test_every_model_is_registered_in_the_admin(app_label):
    for model in apps.get_app_config(app_label).get_models():
        assert admin.site.is_registered(model), model.__name__


def test_staff_can_open_every_changelist_and_change_page(client):
    RatingRevisionFactory(rating=RatingFactory())
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    for app_label in ["annotate", "ratings"]:
        for model in apps.get_app_config(app_label).get_models():
            name = model._meta.model_name
            assert client.get(reverse(f"admin:{app_label}_{name}_changelist")).status_code == 200, name
            obj = model.objects.first()
            if obj is not None:
                url = reverse(f"admin:{app_label}_{name}_change", args=[obj.pk])
                assert client.get(url).status_code == 200, name


def test_a_rubric_version_in_use_cannot_be_edited_in_the_admin(client):
    version = CampaignFactory().rubric_version
    unused = RubricVersionFactory()
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    used_page = client.get(reverse("admin:annotate_rubricversion_change", args=[version.pk])).content.decode()
    unused_page = client.get(reverse("admin:annotate_rubricversion_change", args=[unused.pk])).content.decode()
    assert 'name="criteria"' not in used_page and 'name="guidelines"' not in used_page
    assert 'name="criteria"' in unused_page and 'name="guidelines"' in unused_page
