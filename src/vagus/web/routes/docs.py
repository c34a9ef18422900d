"""The JSON API's documentation, ``GET /api/docs``: Swagger UI served from the package's own
files (the ``swagger-ui-bundle`` dependency), under the app's Content-Security-Policy.

FastAPI's own docs page loads Swagger UI from a CDN and starts it with an inline script; the
app's policy (``script-src 'self'; style-src 'self'``, :data:`vagus.web.SECURITY_HEADERS`)
blocks both, so that page was blank (issue 11, finding 9). Here the page is plain HTML that
links

- the Swagger UI files, each from :data:`ASSETS` at ``/api/docs/assets/<name>`` (only these
  names: a request names a key of that table, never a path, so nothing else can be read);
- its initializer, ``/static/docs.js``, which reads the OpenAPI document's URL from the
  page's ``data-`` attributes and adds the CSRF token to the requests that "Try it out"
  sends.

Swagger UI sets its inline styles through the DOM (``element.style``, React), which a
``style-src 'self'`` policy allows; the browser test (tests/browser/test_browser_docs.py)
checks that the operations show and that no CSP violation is reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import swagger_ui_bundle  # type: ignore[import-untyped]  # no py.typed; one str attribute used
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from markupsafe import escape

from vagus.web._csrf import CSRF_HEADER
from vagus.web._deps import csrf_protect

router = APIRouter(dependencies=[Depends(csrf_protect)])

#: Where the Swagger UI files are: the swagger-ui-bundle package's copy of the release.
SWAGGER_UI_DIR: Final = Path(swagger_ui_bundle.swagger_ui_path)
#: The Swagger UI files the page uses, by name, with their media types. The only files served
#: at ``/api/docs/assets/``: the name is looked up here, never joined to a path as given.
ASSETS: Final[dict[str, str]] = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "index.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}
#: How long a browser may keep an asset, s: they change only with the package's version.
ASSET_MAX_AGE_S: Final = 86_400
#: Where the page is and where its assets are.
DOCS_PATH: Final = "/api/docs"
ASSETS_PATH: Final = DOCS_PATH + "/assets"

_PAGE: Final = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} API</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="stylesheet" href="{assets}/index.css">
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="{assets}/favicon-16x16.png" sizes="16x16">
</head>
<body>
<div id="swagger-ui" data-openapi="{openapi}" data-csrf-header="{csrf_header}"></div>
<noscript><p>The API documentation needs JavaScript. The OpenAPI document itself is at
<a href="{openapi}">{openapi}</a>.</p></noscript>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""


@router.get(DOCS_PATH, response_class=HTMLResponse, include_in_schema=False)
def docs_page(request: Request) -> Response:
    """The API's documentation page: Swagger UI, from this server only."""
    server = request.app
    page = _PAGE.format(
        title=escape(server.title),
        assets=ASSETS_PATH,
        openapi=escape(server.openapi_url or ""),
        csrf_header=escape(CSRF_HEADER),
    )
    return HTMLResponse(page)


@router.get(ASSETS_PATH + "/{name}", include_in_schema=False)
def docs_asset(name: str) -> Response:
    """One Swagger UI file of :data:`ASSETS`; any other name (``../x``, a source map) is a
    404."""
    media_type = ASSETS.get(name)
    if media_type is None:
        return Response(status_code=404, media_type="text/plain", content="not found")
    return FileResponse(
        SWAGGER_UI_DIR / name,
        media_type=media_type,
        headers={"Cache-Control": f"public, max-age={ASSET_MAX_AGE_S}"},
    )
