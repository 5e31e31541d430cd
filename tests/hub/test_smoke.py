from __future__ import annotations

import httpx

from .conftest import HubWorld


def test_health_through_the_proxy(hub_world: HubWorld) -> None:
    for user, token in hub_world.tokens.items():
        answer = httpx.get(
            hub_world.hub.ext_url(user, "health"),
            headers={"Authorization": f"token {token}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        print(user, answer.json(), hub_world.first_start_s)
