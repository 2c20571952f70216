"""Rubric pages: list, new, detail, edit, older versions, and who may see them."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotate.models import Rubric, RubricVersion
from annotate.rubrics import parse_rubric
from annotate.services.rubrics import rubric_create
from tests.factories import CampaignFactory, RubricFactory, RubricVersionFactory, UserFactory

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "rubrics"
GOOD = "name: Tone\nguidelines: Be **kind**.\ncriteria:\n  - {key: polite, type: binary}\n"


@pytest.fixture
def rubric(curator):
    """A rubric the curator wrote from the hhh example, not yet used by any campaign."""
    spec = parse_rubric((EXAMPLES / "hhh.yaml").read_text())
    return rubric_create(spec=spec, user=curator).rubric


def login(client, user):
    client.force_login(user)
    return client


# ---------------------------------------------------------------- list


def test_rubric_list_redirects_anonymous_users_to_login(client):
    response = client.get(reverse("annotate:rubric-list"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_rubric_list_shows_latest_version_version_count_and_campaign_count(client, curator, rubric):
    CampaignFactory(rubric_version=rubric.versions.get(), owner=curator)
    response = login(client, curator).get(reverse("annotate:rubric-list"))
    assert response.status_code == 200
    row = response.context["rubrics"][0]
    assert (row.name, row.latest_number, row.n_versions, row.n_campaigns) == (rubric.name, 1, 1, 1)
    assert b"1 campaign<" in response.content and b"New rubric" in response.content


def test_rubric_list_hides_other_peoples_rubrics_from_an_outsider(client, outsider, rubric):
    response = login(client, outsider).get(reverse("annotate:rubric-list"))
    assert response.status_code == 200
    assert rubric.name.encode() not in response.content
    assert b"New rubric" not in response.content


def test_campaign_owner_sees_the_rubric_their_campaign_uses(client, campaign, owner):
    response = login(client, owner).get(reverse("annotate:rubric-list"))
    assert campaign.rubric_version.rubric in response.context["rubrics"]


def test_rater_does_not_see_the_rubric_in_the_list(client, campaign, rater):
    response = login(client, rater).get(reverse("annotate:rubric-list"))
    assert response.context["rubrics"] == []


# ---------------------------------------------------------------- new


def test_new_rubric_page_redirects_anonymous_users_to_login(client):
    response = client.get(reverse("annotate:rubric-create"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_new_rubric_page_is_forbidden_to_users_who_cannot_curate(client, outsider):
    assert login(client, outsider).get(reverse("annotate:rubric-create")).status_code == 403
    assert client.post(reverse("annotate:rubric-create"), {"text": GOOD}).status_code == 403
    assert not Rubric.objects.exists()


def test_new_rubric_page_prefills_a_starter_template_and_links_the_examples(client, curator):
    response = login(client, curator).get(reverse("annotate:rubric-create"))
    assert response.status_code == 200
    assert "name: My rubric" in response.context["form"]["text"].value()
    for slug in ("hhh", "pairwise", "safety_flags"):
        assert f"?example={slug}".encode() in response.content


def test_starting_from_an_example_loads_it_into_the_textarea(client, curator):
    response = login(client, curator).get(reverse("annotate:rubric-create") + "?example=pairwise")
    assert response.context["form"]["text"].value() == (EXAMPLES / "pairwise.yaml").read_text()


def test_unknown_example_falls_back_to_the_starter(client, curator):
    response = login(client, curator).get(reverse("annotate:rubric-create") + "?example=../../etc/passwd")
    assert "name: My rubric" in response.context["form"]["text"].value()


def test_posting_valid_yaml_creates_the_rubric_and_shows_it(client, curator):
    response = login(client, curator).post(reverse("annotate:rubric-create"), {"text": GOOD})
    rubric = Rubric.objects.get(name="Tone")
    assert response.status_code == 302 and response.url == reverse("annotate:rubric-detail", args=[rubric.pk])
    version = rubric.versions.get()
    assert version.number == 1 and version.criteria[0]["key"] == "polite" and version.created_by == curator


def test_uploading_a_json_file_creates_the_rubric(client, curator):
    upload = SimpleUploadedFile("r.json", b'{"name": "Up", "criteria": [{"key": "ok", "type": "binary"}]}')
    response = login(client, curator).post(reverse("annotate:rubric-create"), {"text": "", "file": upload})
    assert response.status_code == 302 and Rubric.objects.filter(name="Up").exists()


def test_invalid_rubric_re_renders_with_every_problem_listed(client, curator):
    text = "name: Bad\ncriteria:\n  - {key: a, type: likert}\n  - {key: b, type: numeric, min: 3, max: 1}\n"
    response = login(client, curator).post(reverse("annotate:rubric-create"), {"text": text})
    assert response.status_code == 200 and not Rubric.objects.exists()
    assert b"these 2 problems" in response.content
    assert b"criterion 1 (a): likert needs a scale" in response.content
    assert b"criterion 2 (b): min (3) must be less than max (1)" in response.content
    assert response.context["form"]["text"].value() == text


def test_yaml_syntax_error_is_shown_not_a_server_error(client, curator):
    response = login(client, curator).post(reverse("annotate:rubric-create"), {"text": "name: [unclosed\n"})
    assert response.status_code == 200 and b"YAML syntax error at line" in response.content


def test_rejected_upload_is_shown_in_the_textarea_for_fixing(client, curator):
    upload = SimpleUploadedFile("r.yaml", b"name: x\ncriteria: []\n")
    response = login(client, curator).post(reverse("annotate:rubric-create"), {"text": "", "file": upload})
    assert response.status_code == 200 and b"the list is empty" in response.content
    assert response.context["form"]["text"].value() == "name: x\ncriteria: []\n"


def test_binary_upload_is_rejected_with_a_message(client, curator):
    upload = SimpleUploadedFile("r.yaml", b"\xff\xfe\x00bad")
    response = login(client, curator).post(reverse("annotate:rubric-create"), {"text": "", "file": upload})
    assert response.status_code == 200 and b"is not UTF-8 text" in response.content


def test_empty_submission_asks_for_a_rubric(client, curator):
    response = login(client, curator).post(reverse("annotate:rubric-create"), {"text": "  "})
    assert response.status_code == 200 and b"Paste a rubric" in response.content


def test_name_already_in_use_is_a_form_error(client, curator, rubric):
    text = GOOD.replace("Tone", rubric.name.upper())
    response = login(client, curator).post(reverse("annotate:rubric-create"), {"text": text})
    assert response.status_code == 200 and b"you already have a rubric named" in response.content
    assert Rubric.objects.count() == 1


# ---------------------------------------------------------------- detail


def test_rubric_detail_redirects_anonymous_users_to_login(client, rubric):
    response = client.get(reverse("annotate:rubric-detail", args=[rubric.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_rubric_detail_is_404_for_an_outsider(client, outsider, rubric):
    assert login(client, outsider).get(reverse("annotate:rubric-detail", args=[rubric.pk])).status_code == 404


def test_rubric_detail_is_404_for_a_rater_of_a_campaign_using_it(client, campaign, rater):
    rubric = campaign.rubric_version.rubric
    assert login(client, rater).get(reverse("annotate:rubric-detail", args=[rubric.pk])).status_code == 404


def test_rubric_detail_renders_guidelines_as_markdown_and_each_criterion(client, curator, rubric):
    response = login(client, curator).get(reverse("annotate:rubric-detail", args=[rubric.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h2>What you are rating</h2>" in html and "<strong>prompt</strong>" in html
    assert "Helpfulness" in html and "level: ordinal" in html and "required" in html and "optional" in html
    assert "<kbd>5</kbd>" in html and "Extremely helpful" in html


def test_guidelines_are_sanitised(client, curator):
    version = RubricVersionFactory(
        rubric=RubricFactory(created_by=curator),
        guidelines='<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror="alert(2)">',
    )
    response = login(client, curator).get(reverse("annotate:rubric-detail", args=[version.rubric.pk]))
    html = response.content.decode()
    assert "<script>alert" not in html and 'href="javascript' not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_rubric_detail_lists_versions_with_frozen_badge_and_campaigns(client, curator):
    rubric = RubricFactory(created_by=curator)
    v1 = RubricVersionFactory(rubric=rubric, number=1)
    RubricVersionFactory(rubric=rubric, number=2)
    mine = CampaignFactory(rubric_version=v1, owner=curator, name="Mine")
    CampaignFactory(rubric_version=v1, name="Secret campaign")
    response = login(client, curator).get(reverse("annotate:rubric-detail", args=[rubric.pk]))
    html = response.content.decode()
    versions = response.context["versions"]
    assert [v.number for v in versions] == [2, 1] and response.context["version"].number == 2
    assert [v.frozen for v in versions] == [False, True]
    assert reverse("ratings:campaign-detail", args=[mine.slug]) in html and "Mine" in html
    assert "Secret campaign" not in html and "1 other campaign" in html


def test_rubric_with_no_version_shows_an_empty_state(client, curator):
    rubric = RubricFactory(created_by=curator)
    response = login(client, curator).get(reverse("annotate:rubric-detail", args=[rubric.pk]))
    assert response.status_code == 200 and b"no version yet" in response.content


def test_staff_see_every_rubric(client, rubric):
    staff = UserFactory(username="admin", is_staff=True)
    assert login(client, staff).get(reverse("annotate:rubric-detail", args=[rubric.pk])).status_code == 200


# ---------------------------------------------------------------- older versions


def test_version_page_redirects_anonymous_users_to_login(client, rubric):
    response = client.get(reverse("annotate:rubric-version-detail", args=[rubric.pk, 1]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_version_page_is_404_for_an_outsider(client, outsider, rubric):
    url = reverse("annotate:rubric-version-detail", args=[rubric.pk, 1])
    assert login(client, outsider).get(url).status_code == 404


def test_version_page_shows_an_older_version_with_a_link_to_the_latest(client, curator):
    rubric = RubricFactory(created_by=curator)
    RubricVersionFactory(rubric=rubric, number=1, guidelines="Old rules.")
    RubricVersionFactory(rubric=rubric, number=2, guidelines="New rules.")
    response = login(client, curator).get(reverse("annotate:rubric-version-detail", args=[rubric.pk, 1]))
    html = response.content.decode()
    assert response.status_code == 200 and "Old rules." in html and "New rules." not in html
    assert "an older version" in html


def test_missing_version_number_is_404(client, curator, rubric):
    url = reverse("annotate:rubric-version-detail", args=[rubric.pk, 9])
    assert login(client, curator).get(url).status_code == 404


# ---------------------------------------------------------------- edit


def test_edit_page_redirects_anonymous_users_to_login(client, rubric):
    response = client.get(reverse("annotate:rubric-edit", args=[rubric.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_edit_page_is_404_for_an_outsider(client, outsider, rubric):
    url = reverse("annotate:rubric-edit", args=[rubric.pk])
    assert login(client, outsider).get(url).status_code == 404
    assert client.post(url, {"text": GOOD}).status_code == 404


def test_edit_page_is_forbidden_to_a_campaign_owner_who_cannot_curate(client, campaign):
    owner = UserFactory(username="plain_owner")
    campaign.memberships.create(user=owner, role="owner")
    url = reverse("annotate:rubric-edit", args=[campaign.rubric_version.rubric.pk])
    assert login(client, owner).get(url).status_code == 403


def test_edit_page_prefills_the_latest_version_as_yaml_and_says_it_updates_in_place(client, curator, rubric):
    response = login(client, curator).get(reverse("annotate:rubric-edit", args=[rubric.pk]))
    text = response.context["form"]["text"].value()
    assert parse_rubric(text).criteria == rubric.versions.get().criteria
    assert b"updates version 1 in place" in response.content


def test_edit_page_explains_that_a_frozen_version_gets_a_successor(client, curator, rubric):
    CampaignFactory(rubric_version=rubric.versions.get(), owner=curator)
    response = login(client, curator).get(reverse("annotate:rubric-edit", args=[rubric.pk]))
    assert b"frozen" in response.content and b"Saving creates <strong>version 2</strong>" in response.content


def edit_text(client, rubric) -> tuple[str, str]:
    form = client.get(reverse("annotate:rubric-edit", args=[rubric.pk])).context["form"]
    return form["text"].value(), form["base"].value()


def test_saving_an_unused_version_updates_it_in_place(client, curator, rubric):
    login(client, curator)
    text, base = edit_text(client, rubric)
    response = client.post(
        reverse("annotate:rubric-edit", args=[rubric.pk]),
        {"text": text.replace("Helpfulness", "Usefulness"), "base": base},
    )
    assert response.status_code == 302
    version = rubric.versions.get()
    assert version.number == 1 and version.criteria[0]["label"] == "Usefulness"


def test_saving_a_frozen_version_creates_the_next_one_and_leaves_it_untouched(client, curator, rubric):
    v1 = rubric.versions.get()
    CampaignFactory(rubric_version=v1, owner=curator)
    login(client, curator)
    text, base = edit_text(client, rubric)
    client.post(
        reverse("annotate:rubric-edit", args=[rubric.pk]), {"text": text.replace("Helpfulness", "Use"), "base": base}
    )
    v1.refresh_from_db()
    assert v1.criteria[0]["label"] == "Helpfulness"
    assert rubric.versions.get(number=2).criteria[0]["label"] == "Use"


def test_edit_errors_are_listed_above_the_textarea_and_nothing_is_saved(client, curator, rubric):
    login(client, curator)
    _, base = edit_text(client, rubric)
    bad = f"name: {rubric.name}\ncriteria:\n  - {{key: x, type: likert, scale: {{min: 3, max: 1}}}}\n"
    response = client.post(reverse("annotate:rubric-edit", args=[rubric.pk]), {"text": bad, "base": base})
    assert response.status_code == 200 and b"scale: min (3) must be less than max (1)" in response.content
    assert RubricVersion.objects.get(rubric=rubric).criteria[0]["key"] == "helpful"


def test_edit_cannot_rename_the_rubric(client, curator, rubric):
    login(client, curator)
    text, base = edit_text(client, rubric)
    renamed = text.replace(f"name: {rubric.name}", "name: Something else", 1)
    response = client.post(reverse("annotate:rubric-edit", args=[rubric.pk]), {"text": renamed, "base": base})
    assert response.status_code == 200 and b"the name must stay the same" in response.content


def test_edit_refuses_to_overwrite_a_save_made_since_the_page_was_opened(client, curator, rubric):
    login(client, curator)
    text, base = edit_text(client, rubric)
    RubricVersion.objects.filter(rubric=rubric).update(guidelines="Changed by a colleague.")
    response = client.post(reverse("annotate:rubric-edit", args=[rubric.pk]), {"text": text, "base": base})
    assert response.status_code == 200 and b"Someone saved this rubric" in response.content
    assert rubric.versions.get().guidelines == "Changed by a colleague."


def test_edit_of_a_rubric_without_versions_writes_version_1(client, curator):
    rubric = RubricFactory(created_by=curator, name="Empty: one")
    login(client, curator)
    text, base = edit_text(client, rubric)
    response = client.post(reverse("annotate:rubric-edit", args=[rubric.pk]), {"text": text, "base": base})
    assert response.status_code == 302 and rubric.versions.get().number == 1
