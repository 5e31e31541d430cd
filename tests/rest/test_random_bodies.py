"""Property test: whatever JSON (or garbage) is sent to POST/PATCH, the answer is never a 5xx
and errors are always `{"message", "code"}`."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import Api

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = ["title", "description", "tags", "owner", "version", "is_public"]
SHAPED = st.dictionaries(st.sampled_from(FIELDS), JSON | st.lists(st.text(max_size=12)), max_size=4)
BODIES = st.one_of(
    JSON.map(json.dumps),
    SHAPED.map(json.dumps),
    st.binary(max_size=64),
    st.text(max_size=64),
)
IF_MATCH = st.one_of(
    st.sampled_from(["1", '"1"', 'W/"1"', "*", "", "99999999999999999999", "-1"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=12),
)
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def check(reply: Any) -> None:
    assert reply.code < 500, reply.body  # the cloud is healthy here: no 502 either
    if reply.code >= 400:
        assert set(reply.body) == {"message", "code"}, reply.body


def test_random_bodies_to_post_projects_never_fail_the_server(
    api: Api, jp_asyncio_loop: Any
) -> None:
    @SETTINGS
    @given(body=BODIES)
    def post(body: str | bytes) -> None:
        reply = jp_asyncio_loop.run_until_complete(api.post("projects", raw=body))
        check(reply)

    post()


def test_random_bodies_to_patch_never_fail_the_server(api: Api, jp_asyncio_loop: Any) -> None:
    project = jp_asyncio_loop.run_until_complete(api.create("Fuzzed"))

    @SETTINGS
    @given(body=BODIES, if_match=IF_MATCH)
    def patch(body: str | bytes, if_match: str) -> None:
        reply = jp_asyncio_loop.run_until_complete(
            api.call("PATCH", "projects", project["id"], raw=body, headers={"If-Match": if_match})
        )
        check(reply)

    patch()
