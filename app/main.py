"""The ASGI entry points: ``create_app(settings)`` and ``app_from_env`` for uvicorn's
``--factory`` (the application itself is assembled in :mod:`app.web.app`)."""

from app.web.app import app_from_env, create_app

__all__ = ["app_from_env", "create_app"]
