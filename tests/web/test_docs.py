"""``/api/docs``: Swagger UI from the package's own files (issue 11, finding 9: the page was
blank, its Swagger UI came from a CDN that the app's CSP blocks). The browser test,
tests/browser/test_browser_docs.py, checks that it shows the operations under that CSP."""

from __future__ import annotations

import re
import warnings

import pytest

from vagus.web.routes.docs import ASSETS, SWAGGER_UI_DIR

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def test_docs_page_loads_only_this_servers_files(client: TestClient) -> None:
    answer = client.get("/api/docs")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert "http://" not in page
    assert "https://" not in page
    assert "<style" not in page
    assert "style=" not in page
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts == [
        ' src="/api/docs/assets/swagger-ui-bundle.js"',
        ' src="/static/docs.js"',
    ]  # no inline script: every <script> has a src on this server
    assert '<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">' in page
    assert 'data-openapi="/api/openapi.json"' in page
    # The app's own policy, unchanged: the page needs no exception to it.
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/api/docs/assets/swagger-ui-bundle.js", "text/javascript"),
        ("/api/docs/assets/swagger-ui.css", "text/css"),
        ("/api/docs/assets/index.css", "text/css"),
        ("/api/docs/assets/favicon-32x32.png", "image/png"),
        ("/static/docs.js", "text/javascript"),
    ],
)
def test_assets_are_served_with_their_types(client: TestClient, path: str, media_type: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] == media_type
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.content


def test_an_asset_is_the_bundles_file(client: TestClient) -> None:
    for name in ASSETS:
        assert (
            client.get(f"/api/docs/assets/{name}").content == (SWAGGER_UI_DIR / name).read_bytes()
        )


@pytest.mark.parametrize(
    "path",
    [
        "/api/docs/assets/..%2F..%2F__init__.py",
        "/api/docs/assets/%2e%2e%2fswagger-ui.css",
        "/api/docs/assets/../../../../etc/passwd",
        "/api/docs/assets/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/api/docs/assets/swagger-ui-bundle.js.map",
        "/api/docs/assets/index.html",
        "/api/docs/assets/",
        "/api/docs/assets/%00",
    ],
)
def test_nothing_else_is_served(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404, path
    assert b"root:" not in answer.content


def test_the_docs_are_not_in_the_api_document(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith("/api/docs")]
