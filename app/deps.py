"""Dependencies declared once, so handler signatures read like sentences."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import networkx as nx
from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Connection

from app.config import Settings


def get_conn(request: Request) -> Iterator[Connection]:
    with request.app.state.engine.connect() as conn:
        yield conn


def get_graph(request: Request) -> nx.MultiDiGraph:
    """The graph built at start-up; waits for it if the background build is still running."""
    state = request.app.state
    state.graph_ready.wait()
    if state.graph is None:
        raise RuntimeError("the graph could not be built from the database (see the log)")
    return state.graph


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates


ConnDep = Annotated[Connection, Depends(get_conn)]
GraphDep = Annotated[nx.MultiDiGraph, Depends(get_graph)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
