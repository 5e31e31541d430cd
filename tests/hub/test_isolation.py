"""Two users behind a real hub: everything goes through `/user/<name>/`, each user reaches
only their own server and store, cookie sessions need the XSRF token to write, and foreign
pages cannot open the socket."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from tornado.httpclient import HTTPClientError

from .conftest import HubWorld
from .users import as_user, browser_login, cookie, cookie_header, socket, subscribe_message


def test_each_user_has_a_server_and_a_store_of_their_own(hub_world: HubWorld) -> None:
    hub = hub_world.hub
    stores = {}
    for user, token in hub_world.tokens.items():
        with as_user(hub, user, token) as api:
            health = api.get("health")
            assert health.status_code == 200, health.text
            body = health.json()
            assert body["status"] == "ok" and body["cloud"]["reachable"], body
            stores[user] = Path(body["db_path"])
        assert stores[user].is_relative_to(hub.home(user)), stores[user]
        assert stores[user].is_file()
    assert stores["alice"] != stores["bob"]


@pytest.mark.parametrize(("owner", "intruder"), [("alice", "bob"), ("bob", "alice")])
def test_a_users_token_is_refused_by_the_other_users_server(
    hub_world: HubWorld, owner: str, intruder: str
) -> None:
    hub = hub_world.hub
    with as_user(hub, owner, hub_world.tokens[intruder]) as api:
        for method, path in (("GET", "health"), ("GET", "projects"), ("POST", "projects")):
            answer = api.request(
                method, path, json={"title": "intrusion"} if method == "POST" else None
            )
            assert answer.status_code == 403, (method, path, answer.status_code, answer.text)
    with as_user(hub, owner, hub_world.tokens[owner]) as api:
        titles = [p["title"] for p in api.get("projects").json()["projects"]]
    assert "intrusion" not in titles


def test_no_credentials_no_entry(hub_world: HubWorld) -> None:
    hub = hub_world.hub
    for user in hub_world.tokens:
        answer = httpx.get(hub.ext_url(user, "projects"), timeout=30)
        assert answer.status_code == 403, (answer.status_code, answer.text[:300])


def test_cookie_session_writes_need_the_xsrf_token(hub_world: HubWorld) -> None:
    hub = hub_world.hub
    with browser_login(hub, "alice") as browser:
        listed = browser.get("user/alice/aext_project_filebrowser_server/projects")
        assert listed.status_code == 200, listed.text
        forged = browser.post(
            "user/alice/aext_project_filebrowser_server/projects", json={"title": "Forged"}
        )
        assert forged.status_code == 403, (forged.status_code, forged.text)
        xsrf = cookie(browser, "_xsrf", "/user/alice/")
        made = browser.post(
            "user/alice/aext_project_filebrowser_server/projects",
            json={"title": "From the browser"},
            headers={"X-XSRFToken": xsrf},
        )
        assert made.status_code == 201, made.text
        titles = [
            p["title"]
            for p in browser.get("user/alice/aext_project_filebrowser_server/projects").json()[
                "projects"
            ]
        ]
    assert "From the browser" in titles and "Forged" not in titles


async def test_the_socket_refuses_foreign_origins(hub_world: HubWorld) -> None:
    hub = hub_world.hub
    with browser_login(hub, "bob") as browser:
        cookies = cookie_header(browser, "/user/bob/aext_project_filebrowser_server/ws")
    for origin in ("https://evil.example", "http://127.0.0.1.evil.example", "null"):
        with pytest.raises(HTTPClientError) as refused:
            await socket(hub, "bob", {"Cookie": cookies, "Origin": origin})
        assert refused.value.code == 403, origin
    # The hub's own origin, with the same cookies, gets in (the control).
    ws = await socket(hub, "bob", {"Cookie": cookies, "Origin": hub.url.rstrip("/")})
    ws.write_message(subscribe_message())
    assert json.loads(await ws.read_message())["type"] == "subscribed"
    ws.close()
