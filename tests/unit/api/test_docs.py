"""/docs and /redoc work without internet: every asset they reference is served by the API."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from ingest_api.main import create_app

from .stopped_backends import settings_without_backends


class AssetLinks(HTMLParser):
    """The URLs a page makes the browser load: script src, link href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src", "iframe": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


@pytest.fixture
def client() -> Iterator[TestClient]:
    # No backend listens on these ports: the docs need none.
    settings = settings_without_backends(api_keys=["s3cret"])
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.mark.parametrize(("page", "expected"), [("/docs", "swagger-ui"), ("/redoc", "redoc")])
def test_docs_pages_load_every_asset_from_the_service(client: TestClient, page: str, expected: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    parser = AssetLinks()
    parser.feed(html)
    assert any(expected in url for url in parser.urls), parser.urls
    assert any(url.endswith(".js") for url in parser.urls), parser.urls
    for url in parser.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{page} loads {url} from outside the service"
        asset = client.get(urljoin(f"http://testserver{page}", url))
        assert asset.status_code == 200, url
        assert asset.content, url
    # Nor may the page's inline script make the browser reach out (CDN, validator badge, fonts).
    assert "https://" not in html and "http://" not in html


def test_swagger_ui_is_pointed_at_the_openapi_document_of_this_service(client: TestClient) -> None:
    html = client.get("/docs").text
    assert "url: '/openapi.json'" in html
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs/oauth2-redirect").status_code == 200


def test_the_swagger_ui_script_is_version_5_which_reads_openapi_3_1(client: TestClient) -> None:
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    script = client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert b"swagger-ui" in script.content[:2_000_000].lower()


def test_the_docs_need_no_api_key(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").status_code == 200
