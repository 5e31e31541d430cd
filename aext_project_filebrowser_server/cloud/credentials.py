"""Where the cloud credential comes from, and re-reading it after the cloud refuses it.

In order: the `cloud_api_key` setting, the `ANACONDA_AUTH_API_KEY` environment variable,
then the login that `anaconda login` stored, read through anaconda-auth (the optional extra
`[anaconda]`) for the cloud URL's domain. That last one is read the supported way,
`TokenInfo.load(domain).get_access_token()`, which also refuses an expired token.
anaconda-auth does not refresh tokens itself: its `BearerAuth` reads the stored login for
each request. Reading it for each request would put keyring I/O on the event loop, so the
value is kept and read again, in a worker thread, when the cloud answers "login needed"
(`refresh_credential`, at most once per `RELOAD_MIN_S`): a user who runs `anaconda login`
again is picked up by the next request, without restarting Jupyter.

The value is never logged or shown; `GET health` shows only the source and a problem.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import httpx

CredentialSource = Literal["setting", "environment", "anaconda-auth", "none"]
ENV_VAR = "ANACONDA_AUTH_API_KEY"
RELOAD_MIN_S = 5.0
log = logging.getLogger(__name__)


@dataclass
class Credential:
    """The bearer sent to the cloud and where it came from. Mutable on purpose: an
    anaconda-auth login is read again after the cloud refused it. `problem` says why there
    is no usable value (no stored login, an expired one), in words for the user."""

    source: CredentialSource
    value: str = field(default="", repr=False)
    domain: str | None = None
    problem: str | None = None
    loaded_at: float = 0.0


def anaconda_auth_available() -> bool:
    try:
        import anaconda_auth.token  # noqa: F401
    except ImportError:
        return False
    return True


def read_anaconda_auth(domain: str) -> tuple[str, str | None]:
    """(token, problem) of the login anaconda-auth stored for `domain` (blocking: keyring)."""
    from anaconda_auth.exceptions import TokenExpiredError, TokenNotFoundError
    from anaconda_auth.token import TokenInfo

    try:
        return TokenInfo.load(domain).get_access_token(), None
    except TokenNotFoundError:
        return "", f"no login stored for {domain}: run `anaconda login`"
    except TokenExpiredError:
        return "", f"the stored login for {domain} has expired: run `anaconda login --force`"
    except Exception as exc:  # a keyring or token it cannot read: say so, never crash
        return "", f"the stored login for {domain} could not be read ({type(exc).__name__})"


def _load(credential: Credential) -> bool:
    """Read anaconda-auth's login into `credential`; True when the value changed."""
    assert credential.domain is not None
    value, problem = read_anaconda_auth(credential.domain)
    changed = value != credential.value
    credential.value, credential.problem = value, problem
    credential.loaded_at = time.monotonic()
    if problem:
        log.info("cloud login through anaconda-auth: %s", problem)
    return changed


def resolve_credential(setting: str, environ: Mapping[str, str], cloud_url: str) -> Credential:
    """The credential to use, by the order in the module docstring (reads the keyring:
    call it at start-up, not on the event loop)."""
    if setting:
        return Credential("setting", setting)
    if environ.get(ENV_VAR):
        return Credential("environment", environ[ENV_VAR])
    if not anaconda_auth_available():
        return Credential("none")
    credential = Credential("anaconda-auth", domain=httpx.URL(cloud_url).netloc.decode())
    _load(credential)
    return credential


async def refresh_credential(credential: Credential | None) -> bool:
    """After the cloud refused the login: read anaconda-auth's stored login again; True
    when there is a new value to try. Other sources cannot change while Jupyter runs."""
    if credential is None or credential.source != "anaconda-auth":
        return False
    if time.monotonic() - credential.loaded_at < RELOAD_MIN_S:
        return False
    return await asyncio.to_thread(_load, credential) and bool(credential.value)
