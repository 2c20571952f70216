"""A rubric version keeps the YAML or JSON its author wrote, and the editor shows it again for the next edit."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from annotate.models import Rubric, RubricVersion
from annotate.rubrics import parse_rubric
from annotate.services.rubrics import rubric_create, rubric_load, rubric_version_save
from tests.factories import CampaignFactory, RubricVersionFactory

pytestmark = pytest.mark.django_db

# What the generated YAML loses: comments, a label equal to the default, the author's key order and quoting,
# a flow mapping, trailing spaces that make a Markdown line break, and characters outside ASCII.
WRITTEN = """\
# Tone rubric, second draft: agreed with the safety team.
name: Tone
description: "How it sounds: polite, or not."
guidelines: |
  ## Décider vite 🙂
  First line ends in a hard break··
  second line.

criteria:
  # Keep this one first: raters answer it fastest.
  - type: binary          # yes / no
    key: polite
    label: Polite
  - key: warmth
    type: likert
    scale: {min: 1, max: 5}
    anchors:
      1: 'Cold'
      5: "Warm — très chaleureux"
""".replace("··", "  ")


def edit_page_text(client, rubric: Rubric) -> str:
    return client.get(reverse("annotate:rubric-edit", args=[rubric.pk])).context["form"]["text"].value()


def post_edit(client, rubric: Rubric, text: str):
    page = client.get(reverse("annotate:rubric-edit", args=[rubric.pk]))
    base = page.context["form"]["base"].value()
    return client.post(reverse("annotate:rubric-edit", args=[rubric.pk]), {"text": text, "base": base}, follow=True)


# ---------------------------------------------------------------- services


def test_rubric_create_keeps_the_text_it_was_parsed_from(curator):
    version = rubric_create(spec=parse_rubric(WRITTEN), user=curator, source=WRITTEN)
    assert RubricVersion.objects.get(pk=version.pk).source == WRITTEN


def test_a_version_made_without_text_has_no_source(curator):
    version = rubric_create(spec=parse_rubric(WRITTEN), user=curator)
    CampaignFactory(rubric_version=version)
    newer = rubric_version_save(
        rubric=version.rubric, guidelines="Other.", criteria=version.criteria, description=None, user=curator
    )
    assert (version.source, newer.source) == ("", "")


def test_browser_line_breaks_are_stored_as_the_author_typed_them(curator):
    version = rubric_create(spec=parse_rubric(WRITTEN), user=curator, source=WRITTEN.replace("\n", "\r\n"))
    assert RubricVersion.objects.get(pk=version.pk).source == WRITTEN


def test_new_text_with_the_same_content_updates_only_the_text_even_of_a_frozen_version(curator):
    version = rubric_create(spec=parse_rubric(WRITTEN), user=curator, source=WRITTEN)
    CampaignFactory(rubric_version=version)
    commented = WRITTEN + "# Next: add a criterion for formality.\n"
    spec = parse_rubric(commented)
    saved = rubric_version_save(
        rubric=version.rubric,
        guidelines=spec.guidelines,
        criteria=spec.criteria,
        description=spec.description,
        user=curator,
        source=commented,
    )
    assert saved.pk == version.pk and RubricVersion.objects.count() == 1
    version.refresh_from_db()
    assert version.source == commented and version.criteria == spec.criteria


def test_a_new_version_keeps_its_own_text_and_the_frozen_one_keeps_its_own(curator):
    version = rubric_create(spec=parse_rubric(WRITTEN), user=curator, source=WRITTEN)
    CampaignFactory(rubric_version=version)
    changed = WRITTEN.replace("scale: {min: 1, max: 5}", "scale: {min: 1, max: 7}")
    spec = parse_rubric(changed)
    newer = rubric_version_save(
        rubric=version.rubric,
        guidelines=spec.guidelines,
        criteria=spec.criteria,
        description=None,
        user=curator,
        source=changed,
    )
    version.refresh_from_db()
    assert (newer.number, newer.source, version.source) == (2, changed, WRITTEN)


def test_loading_a_file_keeps_its_text_and_a_comment_only_change_updates_the_text_not_the_version():
    version, _ = rubric_load(text=WRITTEN)
    assert version.source == WRITTEN
    again, changed = rubric_load(text=WRITTEN)
    assert not changed and again.source == WRITTEN
    commented = "# Reviewed.\n" + WRITTEN
    latest, changed = rubric_load(text=commented)
    assert changed and latest.pk == version.pk and latest.number == 1
    assert RubricVersion.objects.get().source == commented


def test_the_load_rubric_command_keeps_the_file_as_written(tmp_path, capsys):
    path = tmp_path / "tone.yaml"
    path.write_text(WRITTEN, encoding="utf-8")
    call_command("load_rubric", str(path))
    assert RubricVersion.objects.get().source == WRITTEN
    path.write_text(WRITTEN + "# Reviewed.\n", encoding="utf-8")
    call_command("load_rubric", str(path))
    assert "Loaded rubric Tone version 1 (updated)" in capsys.readouterr().out
    assert RubricVersion.objects.get().source == WRITTEN + "# Reviewed.\n"


def test_the_api_keeps_the_text_it_loads(client, curator):
    client.force_login(curator)
    response = client.post(reverse("api:rubric-list"), {"text": WRITTEN}, content_type="application/json")
    assert response.status_code == 201
    assert RubricVersion.objects.get().source == WRITTEN


# ---------------------------------------------------------------- pages


def test_the_editor_shows_the_text_as_written_after_creating_from_the_page(client, curator):
    client.force_login(curator)
    response = client.post(reverse("annotate:rubric-create"), {"text": WRITTEN})
    assert response.status_code == 302
    rubric = Rubric.objects.get()
    text = edit_page_text(client, rubric)
    assert text == WRITTEN
    body = client.get(reverse("annotate:rubric-edit", args=[rubric.pk])).content.decode()
    assert "# Keep this one first: raters answer it fastest." in body and "label: Polite" in body


def test_the_editor_shows_an_uploaded_file_as_written(client, curator):
    client.force_login(curator)
    upload = SimpleUploadedFile("tone.yaml", ("\ufeff" + WRITTEN).encode("utf-8"))
    client.post(reverse("annotate:rubric-create"), {"text": "", "file": upload})
    assert edit_page_text(client, Rubric.objects.get()) == WRITTEN


def test_the_editor_shows_json_as_written(client, curator):
    written = '{\n  "name": "Tone",\n  "criteria": [{"type": "binary", "key": "polite"}]\n}\n'
    rubric_load(text=written, user=curator)
    client.force_login(curator)
    assert edit_page_text(client, Rubric.objects.get()) == written


def test_saving_from_the_editor_keeps_comments_for_the_next_edit(client, curator):
    rubric = rubric_create(spec=parse_rubric(WRITTEN), user=curator, source=WRITTEN).rubric
    client.force_login(curator)
    commented = WRITTEN.replace("# yes / no", "# yes / no, never blank")
    response = post_edit(client, rubric, commented.replace("\n", "\r\n"))
    assert "Saved your text of version 1; its guidelines and criteria did not change." in response.content.decode()
    assert edit_page_text(client, rubric) == commented


def test_saving_a_changed_rubric_from_the_editor_keeps_its_text(client, curator):
    rubric = rubric_create(spec=parse_rubric(WRITTEN), user=curator, source=WRITTEN).rubric
    client.force_login(curator)
    changed = WRITTEN.replace("label: Polite", "label: Polite  # as asked").replace("max: 5}", "max: 7}")
    response = post_edit(client, rubric, changed)
    assert "Updated version 1 in place" in response.content.decode()
    assert edit_page_text(client, rubric) == changed
    assert rubric.versions.get().criteria[1]["options"][-1]["value"] == 7


def test_a_version_without_text_is_edited_from_generated_yaml(client, curator):
    version = RubricVersionFactory(rubric__created_by=curator, rubric__name="Plain")
    client.force_login(curator)
    text = edit_page_text(client, version.rubric)
    assert text.startswith("name: Plain\n") and parse_rubric(text).criteria == version.criteria


def test_a_file_loaded_under_another_spelling_of_the_name_can_be_saved_from_the_editor(client, curator):
    rubric = rubric_create(spec=parse_rubric(WRITTEN), user=curator, source=WRITTEN).rubric
    loaded = WRITTEN.replace("name: Tone", "name: tone").replace("max: 5}", "max: 7}")
    rubric_load(text=loaded, user=curator)
    client.force_login(curator)
    assert edit_page_text(client, rubric) == loaded
    response = post_edit(client, rubric, loaded.replace("# yes / no", "# yes or no"))
    assert response.redirect_chain and "did not change" in response.content.decode()


def test_someone_elses_text_only_save_is_noticed(client, curator):
    rubric = rubric_create(spec=parse_rubric(WRITTEN), user=curator, source=WRITTEN).rubric
    client.force_login(curator)
    page = client.get(reverse("annotate:rubric-edit", args=[rubric.pk]))
    base = page.context["form"]["base"].value()
    rubric_load(text="# Someone else's note.\n" + WRITTEN, user=curator)
    response = client.post(reverse("annotate:rubric-edit", args=[rubric.pk]), {"text": WRITTEN, "base": base})
    assert response.status_code == 200
    assert "Someone saved this rubric after you opened the page" in response.content.decode()
