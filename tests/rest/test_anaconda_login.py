"""The login the user already has: with no `cloud_api_key` and no `ANACONDA_AUTH_API_KEY`,
the extension uses what `anaconda login` stored, read through anaconda-auth itself (its own
configuration, `ANACONDA_AUTH_KEYRING_PATH`, pointed at a temp keyring and at the replica's
domain; the token is stored with `TokenInfo.save()`, as `anaconda login` does)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from anaconda_auth.token import TokenInfo

from aext_project_filebrowser_server.cloud import credentials
from aext_project_filebrowser_server.cloud.replica.seed import DEFAULT_SEED

from .helpers import Api


def token(expires_in: float = 3600) -> str:
    """An API key shaped like anaconda-auth's (a JWT; it checks only its `exp`)."""
    claims = {"exp": int(time.time() + expires_in), "sub": uuid.uuid4().hex}
    return jwt.encode(claims, "replica-test-signing-key-0123456789", algorithm="HS256")


ALICE_TOKEN = token()


@pytest.fixture
def login_replica(replica_factory: Any, tmp_path: Path) -> Any:
    """A replica whose alice also has the key `anaconda login` would have stored."""
    seed = json.loads(DEFAULT_SEED.read_text())
    alice = next(u for u in seed["users"] if u["name"] == "alice")
    alice["api_keys"] = [*alice["api_keys"], ALICE_TOKEN]
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    return replica_factory(seed=path)


@pytest.fixture
def store_login(
    login_replica: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str | None], None]:
    """anaconda-auth's own configuration pointed at a temp keyring; stores a login for the
    replica's domain the way `anaconda login` does (None: no login at all)."""
    monkeypatch.delenv("ANACONDA_AUTH_API_KEY", raising=False)
    monkeypatch.delenv("ANACONDA_AUTH_DOMAIN", raising=False)
    monkeypatch.setenv("ANACONDA_AUTH_KEYRING_PATH", str(tmp_path / "keyring"))
    monkeypatch.setenv("ANACONDA_CONFIG_TOML", str(tmp_path / "config.toml"))
    monkeypatch.setattr(credentials, "RELOAD_MIN_S", 0.0)
    domain = httpx.URL(login_replica.url).netloc.decode()

    def store(api_key: str | None) -> None:
        if api_key is not None:
            TokenInfo(domain=domain, api_key=api_key).save()

    return store


@pytest.fixture
def stored(request: pytest.FixtureRequest) -> str | None:
    """The login stored before Jupyter starts (parametrized indirectly)."""
    value: str | None = getattr(request, "param", ALICE_TOKEN)
    return value


@pytest.fixture
def pfb_extension_config(
    pfb_extension_config: dict[str, Any],
    login_replica: Any,
    store_login: Callable[[str | None], None],
    stored: str | None,
) -> dict[str, Any]:
    store_login(stored)
    config = {k: v for k, v in pfb_extension_config.items() if k != "cloud_api_key"}
    return {**config, "cloud_url": login_replica.url, "cloud_retry_attempts": 2}


async def test_the_stored_login_is_used_and_never_shown(api: Api) -> None:
    listed = await api.get("projects", params={"refresh": "true"})
    assert (listed.code, listed.body["cloud_status"]) == (200, "ok")
    assert listed.body["projects"], "alice's demo projects"
    health = await api.get("health")
    cloud = health.body["cloud"]
    assert (cloud["credential_source"], cloud["credential_problem"]) == ("anaconda-auth", None)
    assert cloud["login"] == "ok"
    assert ALICE_TOKEN not in json.dumps(health.body)


@pytest.mark.parametrize("stored", [token()], indirect=True)
async def test_logging_in_again_is_picked_up_without_a_restart(
    api: Api, store_login: Callable[[str | None], None]
) -> None:
    """A login the cloud refuses (revoked, or another account's) is "log in again"; after
    `anaconda login` stores a good one, the next request uses it."""
    refused = await api.get("projects", params={"refresh": "true"})
    assert refused.body["cloud_status"] == "auth_required"
    assert (await api.get("health")).body["cloud"]["login"] == "login_needed"
    store_login(ALICE_TOKEN)
    again = await api.get("projects", params={"refresh": "true"})
    assert again.body["cloud_status"] == "ok"
    assert (await api.get("health")).body["cloud"]["login"] == "ok"


@pytest.mark.parametrize(
    ("stored", "problem"),
    [(None, "run `anaconda login`"), (token(-60), "has expired")],
    indirect=["stored"],
)
async def test_no_usable_login_says_how_to_log_in(api: Api, problem: str) -> None:
    listed = await api.get("projects", params={"refresh": "true"})
    assert (listed.code, listed.body["cloud_status"]) == (200, "auth_required")
    cloud = (await api.get("health")).body["cloud"]
    assert cloud["credential_source"] == "anaconda-auth"
    assert problem in cloud["credential_problem"]
    assert cloud["login"] == "login_needed"


@pytest.mark.parametrize(
    ("setting", "env", "source"),
    [("k-set", "k-env", "setting"), ("", "k-env", "environment")],
)
def test_a_setting_or_the_environment_come_first(setting: str, env: str, source: str) -> None:
    credential = credentials.resolve_credential(
        setting, {"ANACONDA_AUTH_API_KEY": env}, "https://anaconda.com"
    )
    assert credential.source == source and credential.value in (setting, env)
    assert credential.value not in repr(credential)
