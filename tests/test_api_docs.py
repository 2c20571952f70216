"""The API's documentation is linked from every page, its schema reads in a browser, and /favicon.ico is served."""

import json
import re
from html.parser import HTMLParser

import pytest
import yaml
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
SCHEMA = reverse("api-schema")


class InlineCode(HTMLParser):
    """Collects what a strict CSP refuses: style elements, style attributes, inline scripts and handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "style":
            self.found.append("<style>")
        if "style" in names:
            self.found.append(f'<{tag} style="{names["style"]}">')
        self.found += [f"<{tag} {name}>" for name in names if name.startswith("on")]
        if tag == "script":
            self._script = names

    def handle_data(self, data: str) -> None:
        # A JSON data block is not run; any other script element with a body is.
        script = self._script
        if script is not None and data.strip() and not script.get("src") and script.get("type") != "application/json":
            self.found.append(f"<script>{data.strip()[:60]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None


def _inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def test_every_page_links_the_api_documentation_and_schema(client: Client, rater: User) -> None:
    client.force_login(rater)
    for url in (reverse("home"), reverse("password_change"), "/no-such-page/"):
        page = client.get(url).content.decode()
        assert f'href="{reverse("api-docs")}"' in page and f'href="{SCHEMA}"' in page, url


def test_the_login_page_links_the_api_documentation(client: Client) -> None:
    assert f'href="{reverse("api-docs")}"' in client.get(reverse("login")).content.decode()


def test_a_browser_is_shown_the_schema_as_text(client: Client) -> None:
    response = client.get(SCHEMA, HTTP_ACCEPT=BROWSER)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "attachment" not in response.get("Content-Disposition", "")
    assert yaml.safe_load(response.content)["info"]["title"] == "Accord API"


def test_a_browser_asking_for_json_is_shown_json(client: Client) -> None:
    response = client.get(SCHEMA, {"format": "json"}, HTTP_ACCEPT=BROWSER)
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["openapi"].startswith("3.")


def test_tools_still_get_openapi_types(client: Client) -> None:
    assert client.get(SCHEMA)["Content-Type"] == "application/vnd.oai.openapi; charset=utf-8"
    assert client.get(SCHEMA, {"format": "json"})["Content-Type"] == "application/vnd.oai.openapi+json"
    assert client.get(SCHEMA, HTTP_ACCEPT="application/json")["Content-Type"] == "application/json"
    assert client.get(SCHEMA, HTTP_ACCEPT="application/yaml")["Content-Type"] == "application/yaml; charset=utf-8"


def test_the_schema_page_varies_on_accept(client: Client) -> None:
    assert "Accept" in client.get(SCHEMA, HTTP_ACCEPT=BROWSER)["Vary"]


def test_the_api_docs_page_has_no_inline_style_or_script(client: Client) -> None:
    response = client.get(reverse("api-docs"))
    page = response.content.decode()
    assert response.status_code == 200
    assert _inline_code(page) == []
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert any("swagger-ui-bundle.js" in src for src in scripts) and any("script=" in src for src in scripts)
    assert "/static/css/api-docs.css" in page


def test_the_api_docs_start_script_is_a_separate_file(client: Client) -> None:
    response = client.get(reverse("api-docs"), {"script": ""})
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


def test_the_browsable_api_pages_have_no_inline_style_or_script(client: Client, curator: User) -> None:
    client.force_login(curator)
    for url in ("/api/v1/datasets/", "/api/v1/rubrics/", "/api/v1/campaigns/"):
        response = client.get(url, HTTP_ACCEPT=BROWSER)
        assert response["Content-Type"].startswith("text/html")
        assert _inline_code(response.content.decode()) == [], url


def test_the_browsable_api_links_home_and_names_the_icon(client: Client, curator: User) -> None:
    client.force_login(curator)
    page = client.get("/api/v1/datasets/", HTTP_ACCEPT=BROWSER).content.decode()
    assert 'rel="icon"' in page and f'href="{reverse("home")}"' in page
    assert "django-rest-framework.org" not in page


def test_favicon_ico_is_served_without_signing_in(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\0\0\1\0"  # an icon resource
    assert "max-age" in response["Cache-Control"]


def test_favicon_ico_answers_head(client: Client) -> None:
    assert client.head("/favicon.ico").status_code == 200


def test_the_admin_names_the_icon(client: Client, staff: User) -> None:
    for url in (reverse("admin:index"), reverse("admin:auth_user_changelist"), reverse("admin:auth_user_add")):
        assert 'rel="icon"' in client.get(url).content.decode(), url


def test_the_admin_login_names_the_icon(client: Client) -> None:
    assert 'rel="icon"' in client.get(reverse("admin:login")).content.decode()


def test_the_api_docs_name_the_sites_icon(client: Client) -> None:
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get(reverse("api-docs")).content.decode()


def _operations(client: Client) -> list[tuple[str, str, dict]]:
    schema = client.get(SCHEMA, {"format": "json"}, HTTP_ACCEPT="application/json").json()
    return [(method, path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]


def test_every_operation_sits_in_a_named_section_with_a_summary(client: Client) -> None:
    schema = client.get(SCHEMA, {"format": "json"}, HTTP_ACCEPT="application/json").json()
    sections = [tag["name"] for tag in schema["tags"]]
    assert sections[:3] == ["Datasets and items", "Rubrics", "Rating"]
    for method, path, operation in _operations(client):
        assert operation["tags"][0] in sections, f"{method} {path} has no section"
        assert operation["summary"] and len(operation["summary"]) < 250, f"{method} {path} has no summary line"


def test_every_operation_documents_its_errors_in_the_one_error_shape(client: Client) -> None:
    for method, path, operation in _operations(client):
        for code in ("400", "401", "403", "404", "429"):
            body = operation["responses"][code]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}, f"{method} {path} {code}"
