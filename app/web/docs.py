"""The API reference pages, /docs (Swagger UI) and /redoc, served with no internet: their
scripts and styles come from ``static/vendor``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

docs_router = APIRouter(include_in_schema=False)
VENDOR = "/static/vendor"


# The HTML FastAPI generates carries an inline <script> (and <style>), which the app's
# Content-Security-Policy refuses, so these pages load their start-up code from /static.
def _page(stylesheet: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reward Atlas API</title>
<link rel="stylesheet" href="{stylesheet}">
<link rel="icon" href="{VENDOR}/swagger-ui/favicon-32x32.png">
</head>
<body>
{body}
</body>
</html>
"""


SWAGGER_HTML = _page(
    f"{VENDOR}/swagger-ui/swagger-ui.css",
    '<div id="swagger-ui"></div>\n'
    f'<script src="{VENDOR}/swagger-ui/swagger-ui-bundle.js"></script>\n'
    '<script src="/static/js/swagger-init.js"></script>',
)
REDOC_HTML = _page(
    "/static/css/redoc.css",
    "<noscript>ReDoc needs JavaScript; the API description is at /openapi.json.</noscript>\n"
    '<redoc spec-url="/openapi.json"></redoc>\n'
    f'<script src="{VENDOR}/redoc/redoc.standalone.js"></script>',
)


@docs_router.get("/docs", response_class=HTMLResponse)
def swagger_ui() -> HTMLResponse:
    return HTMLResponse(SWAGGER_HTML)


@docs_router.get("/redoc", response_class=HTMLResponse)
def redoc() -> HTMLResponse:
    return HTMLResponse(REDOC_HTML)
