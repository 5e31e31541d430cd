"""The OpenAPI document covers every REST route, and every documented operation refuses
unauthenticated requests (parametrized over the document, so a new route cannot skip it)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from tornado import web
from tornado.websocket import WebSocketHandler

from aext_project_filebrowser_server.handlers import default_handlers
from aext_project_filebrowser_server.handlers.openapi import EXTENSION_PATH, openapi_document

from .helpers import Api

DOCUMENT = openapi_document()
OPERATIONS = [(path, method) for path, item in DOCUMENT["paths"].items() for method in item]
METHODS = ("get", "post", "patch", "put", "delete")


def concrete(path: str) -> str:
    return (
        path.replace("{project_id}", str(uuid.uuid4()))
        .replace("{path}", "data/a b.csv")
        .replace("{version}", "v1")
    )


def implemented(handler: type[Any]) -> list[str]:
    return [m for m in METHODS if getattr(handler, m) is not getattr(web.RequestHandler, m, None)]


def test_every_rest_handler_method_is_documented() -> None:
    documented = {(method, f"/{EXTENSION_PATH}{concrete(path)}") for path, method in OPERATIONS}
    for pattern, handler in default_handlers:
        if issubclass(handler, WebSocketHandler):
            continue
        for method in implemented(handler):
            assert any(m == method and re.fullmatch(pattern, url) for m, url in documented), (
                f"{method.upper()} {pattern} is missing from the OpenAPI route table"
            )


def test_every_documented_operation_has_a_handler() -> None:
    for path, method in OPERATIONS:
        url = f"/{EXTENSION_PATH}{concrete(path)}"
        handlers = [h for p, h in default_handlers if re.fullmatch(p, url)]
        assert handlers, f"no handler for {url}"
        assert method in implemented(handlers[0]), f"{method.upper()} {url} is not implemented"


async def test_the_served_document_is_openapi_3_1_built_from_the_models(
    api: Api, jp_base_url: str
) -> None:
    reply = await api.get("openapi.json")
    assert reply.code == 200
    assert reply.body["openapi"] == "3.1.0"
    assert reply.body["servers"] == [{"url": f"{jp_base_url}{EXTENSION_PATH}"}]
    assert reply.body["paths"] == DOCUMENT["paths"]
    schemas = reply.body["components"]["schemas"]
    create = schemas["CreateProjectBody"]
    assert create["additionalProperties"] is False
    assert create["required"] == ["title"]
    assert "sync" in schemas["LocalProject"]["properties"]
    post = reply.body["paths"]["/projects"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateProjectBody"
    }
    assert set(post["responses"]) >= {"201", "400", "403", "502"}


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
async def test_unauthenticated_requests_are_403(api: Api, path: str, method: str) -> None:
    parts = concrete(path).strip("/").split("/")
    reply = await api.call(
        method.upper(),
        *parts,
        raw="{}" if method in ("post", "patch", "put") else None,
        headers={"Authorization": "", "If-Match": "1"},
    )
    assert reply.code == 403, reply.body
