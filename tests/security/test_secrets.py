"""Suite 7: the cloud API key never shows: not in the server log (any level), not in an
error message or any answer of the REST API or the WebSocket, not in the health endpoint,
not in the store (the SQLite file's bytes, WAL included) nor in any file the server writes.

The server runs a realistic session (create, push, plan, file listing, versions, restore,
permissions, history, refresh) once with a key the cloud accepts and once with one it
refuses, and once through a cloud failing with 5xx; everything it said or wrote is searched
for the key. The key comes from the environment, from a Jupyter config, or from the login
`anaconda login` stored (read through anaconda-auth from its own keyring, which lives
outside the searched folders: holding the token is its job).
"""

from __future__ import annotations

import json
import logging
import time
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from anaconda_auth.token import TokenInfo

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess, start_replica
from aext_project_filebrowser_server.cloud.replica.seed import DEFAULT_SEED
from aext_project_filebrowser_server.testing import ALICE_KEY, EXTENSION, write_tree

REFUSED_KEY = "sk-live-9f8e7d6c5b4a39281706f5e4d3c2b1a0-refused"


def login_token() -> str:
    """A token shaped like the ones `anaconda login` stores (a JWT; anaconda-auth reads its
    `exp`), unique, so finding it anywhere means it leaked."""
    claims = {"exp": int(time.time() + 3600), "sub": uuid.uuid4().hex}
    return jwt.encode(claims, "secrets-test-signing-key-0123456789abcdef", algorithm="HS256")


LOGIN_ACCEPTED, LOGIN_REFUSED = login_token(), login_token()


class Everything(logging.Handler):
    """Every record of every logger, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.name} {record.levelname} {record.getMessage()}"
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.lines.append(text)


@pytest.fixture
def all_logs() -> Iterator[Everything]:
    """Installed before the server starts, so start-up logging is searched too."""
    handler = Everything()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(params=["environment"])
def key_source(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["accepted-key", "refused-key"])
def api_key(request: pytest.FixtureRequest, key_source: str) -> str:
    accepted = request.param == "accepted-key"
    if key_source == "anaconda-auth":
        return LOGIN_ACCEPTED if accepted else LOGIN_REFUSED
    return ALICE_KEY if accepted else REFUSED_KEY


@pytest.fixture(scope="module")
def login_replica(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplicaProcess]:
    """A replica whose alice also has the token `anaconda login` stored."""
    seed = json.loads(DEFAULT_SEED.read_text())
    alice = next(u for u in seed["users"] if u["name"] == "alice")
    alice["api_keys"] = [*alice["api_keys"], LOGIN_ACCEPTED]
    path = tmp_path_factory.mktemp("login-seed") / "seed.json"
    path.write_text(json.dumps(seed))
    server = start_replica(tmp_path_factory.mktemp("login-replica") / "data", seed=path)
    yield server
    server.stop()


@pytest.fixture
def security_cloud_url(
    request: pytest.FixtureRequest, key_source: str, security_replica: ReplicaProcess
) -> str:
    if key_source == "anaconda-auth":
        replica: ReplicaProcess = request.getfixturevalue("login_replica")
        return replica.url
    return security_replica.url


@pytest.fixture
def pfb_extension_config(
    pfb_extension_config: dict[str, Any],
    api_key: str,
    key_source: str,
    monkeypatch: pytest.MonkeyPatch,
    all_logs: Everything,
) -> dict[str, Any]:
    """The key the way users give it: `anaconda login` → ANACONDA_AUTH_API_KEY (the
    default), or `c.ProjectFileBrowserApp.cloud_api_key` in a Jupyter config."""
    config = {k: v for k, v in pfb_extension_config.items() if k != "cloud_api_key"}
    if key_source == "anaconda-auth":  # no setting, no variable: the stored login
        monkeypatch.delenv("ANACONDA_AUTH_API_KEY", raising=False)
        domain = httpx.URL(config["cloud_url"]).netloc.decode()
        TokenInfo(domain=domain, api_key=api_key).save()  # as `anaconda login` does
        return config
    if key_source == "environment":
        monkeypatch.setenv("ANACONDA_AUTH_API_KEY", api_key)
        return config
    monkeypatch.delenv("ANACONDA_AUTH_API_KEY", raising=False)
    return {**config, "cloud_api_key": api_key}


def jupyters_own_config_dump(line: str) -> bool:
    """traitlets' `Application._config_changed` logs every config value at DEBUG level
    (`Config changed: {...}`): a key put in a Jupyter config shows there, in jupyter's
    --debug output, whatever the extension does. Hence the environment variable default."""
    return " DEBUG Config changed: {" in line


async def session(jp_fetch: Any, jp_ws_fetch: Any, projects_root: Path) -> list[str]:
    """A working session; returns every answer (status, headers, body) and WS message."""
    said: list[str] = []

    async def call(method: str, *parts: str, body: Any = None, **kw: Any) -> Any:
        if body is None and method in ("POST", "PATCH"):
            body = {}
        response = await jp_fetch(
            EXTENSION,
            *parts,
            method=method,
            body=None if body is None else json.dumps(body),
            raise_error=False,
            allow_nonstandard_methods=True,
            **kw,
        )
        said.append(f"{response.code} {dict(response.headers)} {response.body!r}")
        return json.loads(response.body) if response.body else None

    async def over_ws(message: dict[str, Any]) -> None:
        ws = await jp_ws_fetch(EXTENSION, "ws")
        ws.write_message(json.dumps(message))
        while True:
            raw = await ws.read_message()
            said.append(str(raw))
            reply = json.loads(raw)
            if reply.get("request_id") == message.get("request_id") and reply["type"] in (
                "completed",
                "failed",
                "error",
            ):
                break
        ws.close()

    await call("GET", "health")
    created = await call("POST", "projects", body={"title": "Secret keeper"})
    project_id = created.get("id") if isinstance(created, dict) and "id" in created else None
    await call("GET", "projects", params={"refresh": "true"})
    await over_ws({"type": "push", "request_id": "r0", "project_id": "no-such-project"})
    await over_ws({"type": "subscribe"})
    if project_id is not None:
        folder = Path(created["local_path"])
        write_tree(folder, {"a.txt": b"a", "data/b.csv": b"1,2\n"})
        await over_ws({"type": "push", "request_id": "r1", "project_id": project_id})
        await over_ws({"type": "sync", "request_id": "r2", "project_id": project_id})
        for parts in (
            (),
            ("files",),
            ("plan",),
            ("files", "a.txt", "versions"),
            ("files", "missing.txt", "versions"),
            ("permissions",),
            ("history",),
            ("conflicts",),
        ):
            await call("GET", "projects", project_id, *parts)
        await call(
            "POST", "projects", project_id, "files", "a.txt", "restore", body={"version": "nope"}
        )
        await call("POST", "projects", project_id, "permissions", body={"is_public": "maybe"})
        await call(
            "PATCH", "projects", project_id, body={"title": "renamed"}, headers={"If-Match": "1"}
        )
    await call("GET", "projects", "0e71c0de-0000-4000-8000-000000000000")
    await call(
        "DELETE", "projects", "0e71c0de-0000-4000-8000-000000000000", params={"scope": "cloud"}
    )
    await call("GET", "health")
    return said


def files_containing(folder: Path, secret: bytes) -> list[str]:
    return sorted(
        str(p)
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink() and secret in p.read_bytes()
    )


def assert_never_shown(
    key: str,
    said: list[str],
    logs: Everything,
    pfb_db_path: Path,
    tmp_path: Path,
    *,
    allow_config_dump: bool = False,
) -> None:
    assert len(key) >= 12
    for text in said:
        assert key not in text, text[:500]
    leaked = [
        line
        for line in logs.lines
        if key in line and not (allow_config_dump and jupyters_own_config_dump(line))
    ]
    assert not leaked, leaked[:3]
    store = [p for p in pfb_db_path.parent.iterdir() if p.name.startswith(pfb_db_path.name)]
    assert store, "no store file was written"
    for part in store:
        assert key.encode() not in part.read_bytes(), part
    assert files_containing(tmp_path, key.encode()) == []


async def test_the_api_key_is_never_shown(
    api_key: str,
    key_source: str,
    jp_fetch: Any,
    jp_ws_fetch: Any,
    projects_root: Path,
    all_logs: Everything,
    pfb_db_path: Path,
    tmp_path: Path,
) -> None:
    said = await session(jp_fetch, jp_ws_fetch, projects_root)
    assert len(all_logs.lines) > 50  # the log was captured at DEBUG level
    assert_never_shown(api_key, said, all_logs, pfb_db_path, tmp_path)


@pytest.mark.parametrize("key_source", ["config"], indirect=True)
@pytest.mark.parametrize("api_key", ["accepted-key"], indirect=True)
async def test_a_configured_key_shows_only_in_jupyters_own_debug_config_dump(
    api_key: str,
    key_source: str,
    jp_fetch: Any,
    jp_ws_fetch: Any,
    projects_root: Path,
    all_logs: Everything,
    pfb_db_path: Path,
    tmp_path: Path,
) -> None:
    said = await session(jp_fetch, jp_ws_fetch, projects_root)
    assert_never_shown(api_key, said, all_logs, pfb_db_path, tmp_path, allow_config_dump=True)


@pytest.mark.parametrize("api_key", ["accepted-key"], indirect=True)
async def test_the_api_key_is_never_shown_when_the_cloud_fails(
    api_key: str,
    jp_fetch: Any,
    jp_ws_fetch: Any,
    projects_root: Path,
    all_logs: Everything,
    pfb_db_path: Path,
    tmp_path: Path,
    security_replica: ReplicaProcess,
) -> None:
    security_replica.set_faults("error_rate=1,status=503")
    try:
        said = await session(jp_fetch, jp_ws_fetch, projects_root)
    finally:
        security_replica.set_faults("")
    assert any("cloud_unavailable" in s for s in said), said
    assert_never_shown(api_key, said, all_logs, pfb_db_path, tmp_path)


@pytest.mark.parametrize("key_source", ["anaconda-auth"], indirect=True)
async def test_an_anaconda_login_is_never_shown(
    api_key: str,
    key_source: str,
    jp_fetch: Any,
    jp_ws_fetch: Any,
    projects_root: Path,
    all_logs: Everything,
    pfb_db_path: Path,
    tmp_path: Path,
) -> None:
    """The token anaconda-auth hands over is treated like any key: it never shows in the
    log, an answer, health, an error or the store, whether the cloud accepts it or not."""
    said = await session(jp_fetch, jp_ws_fetch, projects_root)
    health = (await jp_fetch(EXTENSION, "health")).body.decode()
    listed = (await jp_fetch(EXTENSION, "projects", params={"refresh": "true"})).body.decode()
    said += [health, listed]
    assert json.loads(health)["cloud"]["credential_source"] == "anaconda-auth", health
    expected = "auth_required" if api_key == LOGIN_REFUSED else "ok"
    assert json.loads(listed)["cloud_status"] == expected, listed
    assert len(all_logs.lines) > 50
    assert_never_shown(api_key, said, all_logs, pfb_db_path, tmp_path)
