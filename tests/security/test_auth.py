"""Suite 7: nobody gets in without credentials.

- Every route the extension registers (collected from its handler table, cross-checked with
  the OpenAPI document), every HTTP method, and the WebSocket answer 403 without
  credentials, with a wrong token (header or query) and with a forged cookie, both in the
  default configuration and with `ServerApp.allow_unauthenticated_access=False`.
- A cross-origin WebSocket (cookie-authenticated, as a browser would) from a foreign origin is
  refused, look-alikes of the allowed origin included (suffix, prefix, port, scheme).
- jupyter_server's XSRF rule holds: cookie-authenticated POST/PATCH/DELETE without the `_xsrf`
  token are refused, and with it they get through (the positive control).
"""

from __future__ import annotations

import json
import re
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest, HTTPResponse
from tornado.websocket import WebSocketHandler, websocket_connect

from aext_project_filebrowser_server.handlers import default_handlers
from aext_project_filebrowser_server.handlers.openapi import EXTENSION_PATH, openapi_document
from aext_project_filebrowser_server.testing import EXTENSION

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
ALLOWED_ORIGIN = "https://lab.example.org"
WRONG_CREDENTIALS = {
    "none": {"Authorization": ""},
    "wrong-token": {"Authorization": "token not-the-token"},
    "wrong-bearer": {"Authorization": "Bearer not-the-token"},
    "malformed": {"Authorization": "token"},
    "forged-cookie": {"Authorization": "", "Cookie": "username-127-0-0-1=2|1:0|10:1|forged"},
}


def concrete(pattern: str) -> str:
    """One URL a handler pattern matches (ids and paths filled in)."""
    url = pattern.replace("(?P<project_id>[^/]+)", str(uuid.uuid4()))
    url = url.replace("(?P<path>.+)", "data/a%20b.csv").replace("(?P<version>[^/]+)", "v1")
    url = url.replace("/?", "").replace("\\.", ".")
    assert re.fullmatch(pattern, url), (pattern, url)
    return url


def implemented(handler: type[Any]) -> set[str]:
    return {
        m
        for m in METHODS
        if getattr(handler, m.lower()) is not getattr(web.RequestHandler, m.lower())
    }


def registered(jp_serverapp: Any) -> list[tuple[str, type[Any]]]:
    """The handlers the running extension app registered (not a copy of the table)."""
    (app,) = jp_serverapp.extension_manager.extension_apps[EXTENSION]
    routes = [(pattern, handler) for pattern, handler, *_ in app.handlers]
    assert {h for _, h in routes} == {h for _, h in default_handlers}
    # Every documented operation is served by one of them.
    for path in openapi_document()["paths"]:
        filled = path.replace("{project_id}", "x").replace("{path}", "y").replace("{version}", "z")
        assert any(re.fullmatch(p, f"/{EXTENSION_PATH}{filled}") for p, _ in routes), path
    return routes


def rest_routes(jp_serverapp: Any) -> list[tuple[str, type[Any]]]:
    return [
        (concrete(p), h) for p, h in registered(jp_serverapp) if not issubclass(h, WebSocketHandler)
    ]


def ws_routes(jp_serverapp: Any) -> list[str]:
    return [concrete(p) for p, h in registered(jp_serverapp) if issubclass(h, WebSocketHandler)]


@pytest.fixture(params=["default", "no-unauthenticated-access"])
def jp_server_config(
    request: pytest.FixtureRequest, pfb_db_setup: None, pfb_extension_config: dict[str, Any]
) -> dict[str, Any]:
    server: dict[str, Any] = {
        "jpserver_extensions": {"aext_project_filebrowser_server": True},
        "allow_origin": ALLOWED_ORIGIN,
    }
    if request.param == "no-unauthenticated-access":
        server["allow_unauthenticated_access"] = False
    return {"ServerApp": server, "ProjectFileBrowserApp": pfb_extension_config}


@pytest.fixture(autouse=True)
def serving(http_server_client: Any) -> None:
    """The test server listens on `jp_http_port` only once its HTTP client fixture exists."""


def url(port: int, base_url: str, path: str, scheme: str = "http") -> str:
    return f"{scheme}://127.0.0.1:{port}{base_url.rstrip('/')}{path}"


async def fetch(address: str, method: str, headers: dict[str, str], **kw: Any) -> HTTPResponse:
    body = kw.pop("body", None)
    if body is None and method in ("POST", "PUT", "PATCH"):
        body = b"{}"
    return await AsyncHTTPClient().fetch(
        address,
        method=method,
        headers=headers,
        body=body,
        raise_error=False,
        follow_redirects=False,
        allow_nonstandard_methods=True,
        request_timeout=kw.pop("request_timeout", 10),
        **kw,
    )


async def test_every_route_and_method_refuses_bad_credentials(
    jp_serverapp: Any, jp_http_port: int, jp_base_url: str
) -> None:
    checked = 0
    routes = rest_routes(jp_serverapp)
    assert len(routes) >= 16  # 20 operations on 16 routes
    for credentials, headers in WRONG_CREDENTIALS.items():
        for path, handler in routes:
            ours = implemented(handler)
            for method in METHODS:
                for query in ("", "?token=not-the-token"):
                    address = url(jp_http_port, jp_base_url, path) + query
                    reply = await fetch(address, method, headers)
                    where = f"{method} {path}{query} ({credentials})"
                    if method in ours:
                        assert reply.code == 403, (where, reply.code, reply.body[:200])
                        if method != "HEAD":
                            body = json.loads(reply.body)
                            assert set(body) == {"message", "code"}, (where, body)
                    else:  # not a method of the route: refused either way, never any data
                        assert reply.code in (403, 405), (where, reply.code)
                    checked += 1
    assert checked == len(WRONG_CREDENTIALS) * len(routes) * len(METHODS) * 2


async def test_the_right_token_gets_in(
    jp_serverapp: Any, jp_http_port: int, jp_base_url: str, jp_auth_header: dict[str, str]
) -> None:
    """Positive control: with the server's token the same routes answer (not 403)."""
    for path, handler in rest_routes(jp_serverapp):
        for method in implemented(handler) - {"HEAD"}:
            reply = await fetch(url(jp_http_port, jp_base_url, path), method, jp_auth_header)
            assert reply.code != 403, (method, path, reply.body)
            assert reply.code < 500, (method, path, reply.code)
    health = await fetch(
        url(jp_http_port, jp_base_url, f"/{EXTENSION}/health"), "GET", jp_auth_header
    )
    assert health.code == 200


async def test_the_websocket_refuses_bad_credentials(
    jp_serverapp: Any, jp_http_port: int, jp_base_url: str
) -> None:
    attempts = [*WRONG_CREDENTIALS.items(), ("query-token", {"Authorization": ""})]
    paths = ws_routes(jp_serverapp)
    assert paths
    for path in paths:
        for credentials, headers in attempts:
            address = url(jp_http_port, jp_base_url, path, scheme="ws")
            if credentials == "query-token":
                address += "?token=not-the-token"
            with pytest.raises(HTTPClientError) as refused:
                await websocket_connect(HTTPRequest(address, headers=headers))
            assert refused.value.code == 403, (path, credentials)


async def log_in(port: int, base_url: str, token: str) -> dict[str, str]:
    """A browser's session: the `_xsrf` cookie from the login page, then the login cookie
    the server sets on a token-authenticated request. Returns the cookies by name."""
    cookies: dict[str, str] = {}
    login = await fetch(url(port, base_url, "/login"), "GET", {})
    status = await fetch(
        url(port, base_url, "/api/status"), "GET", {"Authorization": f"token {token}"}
    )
    assert status.code == 200
    for response in (login, status):
        for header in response.headers.get_list("Set-Cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            cookies.update({name: morsel.value for name, morsel in jar.items()})
    assert "_xsrf" in cookies and any(n.startswith("username-") for n in cookies), cookies
    return cookies


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


FOREIGN_ORIGINS = [
    "https://lab.example.org.evil.com",  # suffix
    "https://evil-lab.example.org",  # prefix
    "https://evillab.example.org",
    "https://lab.example.org:444",  # port
    "http://lab.example.org",  # scheme
    "https://lab.example.org.",
    "https://lab.example.org@evil.com",
    "https://evil.com",
    "null",
]


async def test_cross_origin_websocket_is_refused(
    jp_serverapp: Any, jp_http_port: int, jp_base_url: str
) -> None:
    """A browser session (cookie only) opening the socket from a foreign page: refused, the
    look-alikes of the allowed origin included. From the allowed origin and from the
    server's own origin the same cookie gets in (the controls)."""
    cookies = await log_in(jp_http_port, jp_base_url, jp_serverapp.identity_provider.token)
    address = url(jp_http_port, jp_base_url, f"/{EXTENSION}/ws", scheme="ws")
    for origin in FOREIGN_ORIGINS:
        headers = {"Cookie": cookie_header(cookies), "Origin": origin}
        with pytest.raises(HTTPClientError) as refused:
            await websocket_connect(HTTPRequest(address, headers=headers))
        assert refused.value.code == 403, origin
    for origin in (ALLOWED_ORIGIN, f"http://127.0.0.1:{jp_http_port}"):
        headers = {"Cookie": cookie_header(cookies), "Origin": origin}
        ws = await websocket_connect(HTTPRequest(address, headers=headers))
        ws.write_message(json.dumps({"type": "subscribe", "project_ids": "*"}))
        assert json.loads(await ws.read_message())["type"] == "subscribed", origin
        ws.close()


TRASHED = ".aext-project/trash/20261202-011500/a.txt"
UNSAFE_CALLS = [
    ("POST", "/projects", {"title": "made by a forged form"}),
    ("PATCH", "/projects/{id}", {"title": "renamed by a forged form"}),
    ("DELETE", "/projects/{id}?scope=both", None),
    ("POST", "/projects/{id}/permissions", {"is_public": True}),
    ("POST", "/projects/{id}/download", {}),
    ("POST", "/projects/{id}/files/data.csv/restore", {"version": "v1"}),
    ("POST", "/projects/{id}/conflicts/resolve", {"path": "a.txt", "keep": "local"}),
    ("POST", "/projects/{id}/deleted/restore", {"trash_path": TRASHED}),
]


async def test_cookie_authenticated_writes_need_the_xsrf_token(
    jp_serverapp: Any,
    jp_http_port: int,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
    projects_root: Path,
) -> None:
    cookies = await log_in(jp_http_port, jp_base_url, jp_serverapp.identity_provider.token)
    created = await fetch(
        url(jp_http_port, jp_base_url, f"/{EXTENSION}/projects"),
        "POST",
        jp_auth_header,
        body=json.dumps({"title": "XSRF target"}),
    )
    assert created.code == 201, created.body
    project = json.loads(created.body)
    session = {"Cookie": cookie_header(cookies), "Authorization": ""}

    def address(path: str) -> str:
        return url(jp_http_port, jp_base_url, f"/{EXTENSION}{path.replace('{id}', project['id'])}")

    # The cookie does authenticate: a GET with it alone works.
    listed = await fetch(address("/projects"), "GET", session)
    assert listed.code == 200, listed.body
    for method, path, body in UNSAFE_CALLS:
        payload = None if body is None else json.dumps(body)
        headers = {**session, "If-Match": str(project["version"])}
        forged = await fetch(address(path), method, headers, body=payload)
        assert forged.code == 403, (method, path, forged.code, forged.body)
        assert b"_xsrf" in forged.body, forged.body
    after = await fetch(address("/projects/{id}"), "GET", jp_auth_header)
    assert after.code == 200 and json.loads(after.body)["project"]["title"] == "XSRF target"
    titles = [
        p["title"]
        for p in json.loads((await fetch(address("/projects"), "GET", session)).body)["projects"]
    ]
    assert "made by a forged form" not in titles
    # With the token from the `_xsrf` cookie (what JupyterLab sends), the same calls pass the
    # XSRF check and reach the handlers (whatever they then answer).
    for method, path, body in UNSAFE_CALLS[:2]:
        payload = None if body is None else json.dumps(body)
        headers = {
            **session,
            "X-XSRFToken": cookies["_xsrf"],
            "If-Match": str(project["version"]),
        }
        passed = await fetch(address(path), method, headers, body=payload)
        assert passed.code in (200, 201), (method, path, passed.code, passed.body)
