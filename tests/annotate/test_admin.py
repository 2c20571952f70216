"""The Django admin lists every model for staff."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import RatingFactory, RatingRevisionFactory, UserFactory

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
