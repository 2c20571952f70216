"""Machine raters: a named judge without a login, its provenance kept."""

import pytest
from django.core.exceptions import ValidationError

from annotate.services.machine_raters import Provenance, machine_rater_get_or_create
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def test_a_new_machine_rater_gets_an_account_that_cannot_log_in():
    campaign = CampaignFactory(slug="evals")
    machine, created = machine_rater_get_or_create(
        campaign=campaign, name="gpt-judge", provenance=Provenance(model="gpt-4o", version="v2")
    )
    assert created
    assert machine.user.username == "gpt-judge+machine@evals"
    assert not machine.user.is_active and not machine.user.has_usable_password()
    assert (machine.model, machine.version, machine.prompt) == ("gpt-4o", "v2", "")


def test_the_same_name_is_the_same_machine_rater_and_missing_provenance_is_filled_in():
    campaign = CampaignFactory()
    first, _ = machine_rater_get_or_create(campaign=campaign, name="judge", provenance=Provenance(model="m"))
    again, created = machine_rater_get_or_create(campaign=campaign, name="judge", provenance=Provenance(prompt="p"))
    assert not created and again.pk == first.pk
    again.refresh_from_db()
    assert (again.model, again.prompt) == ("m", "p")


def test_other_provenance_under_the_same_name_is_refused_naming_the_field():
    campaign = CampaignFactory()
    machine_rater_get_or_create(campaign=campaign, name="judge", provenance=Provenance(version="1"))
    with pytest.raises(ValidationError, match="version '1', not '2'"):
        machine_rater_get_or_create(campaign=campaign, name="judge", provenance=Provenance(version="2"))


@pytest.mark.parametrize("name", ["", "   ", "has space", "x" * 101])
def test_a_bad_machine_rater_name_is_refused(name):
    with pytest.raises(ValidationError, match="machine rater"):
        machine_rater_get_or_create(campaign=CampaignFactory(), name=name)
