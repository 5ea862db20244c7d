"""Interactive docs that work offline: ``/docs`` (Swagger UI) and ``/redoc`` served by the API.

FastAPI's default pages load their JavaScript and CSS from a CDN, so they are blank on a
machine without internet. Here the pages are FastAPI's own ``get_swagger_ui_html`` and
``get_redoc_html`` pointed at local routes, and the assets are the files shipped in the
``fastapi-offline`` package (Swagger UI 5 and Redoc 2 bundles, a favicon).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS_URL = "/docs/assets"
ASSET_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")


def docs_assets_dir() -> Path:
    """The folder holding ``ASSET_FILES`` (inside the installed fastapi-offline package)."""
    folder = Path(str(files("fastapi_offline") / "static"))
    missing = [name for name in ASSET_FILES if not (folder / name).is_file()]
    if missing:
        raise RuntimeError(f"the docs assets {missing} are missing from {folder}: reinstall fastapi-offline")
    return folder


def install_docs(app: FastAPI) -> None:
    """Serve the docs pages and their assets from this service. Create the app with
    ``docs_url=None, redoc_url=None`` so FastAPI's CDN-backed pages are not registered too."""
    app.mount(ASSETS_URL, StaticFiles(directory=docs_assets_dir()), name="docs-assets")

    def prefix(request: Request) -> str:
        return str(request.scope.get("root_path") or "").rstrip("/")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = prefix(request)
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
            # validatorUrl None: no badge image fetched from validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = prefix(request)
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
