"""Suite 6: the WebSocket takes any garbage and answers it with an `error`, stays open, and
leaves the server unharmed (health 200, Jupyter's own API 200, a new socket works).

After each fuzzed message the test sends a `subscribe` with a fresh probe id and reads up to
its `subscribed` echo: every reply in between must be a well-formed server message, and the
echo proves the same socket still works. Messages over the 1 MiB limit close the socket
(tornado answers 1009); the server stays up and a new socket works.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tornado.websocket import WebSocketClientConnection

from aext_project_filebrowser_server.testing import EXTENSION

MIB = 1024 * 1024
EXAMPLES_DEFAULT = 150
EXAMPLES_LONG = 5_000
SERVER_TYPES = {
    "error",
    "failed",
    "accepted",
    "progress",
    "completed",
    "conflict",
    "project_changed",
    "subscribed",
}


async def probe(ws: WebSocketClientConnection, timeout: float = 10) -> list[dict[str, Any]]:
    """Subscribe with a fresh id; the replies that came before its echo."""
    marker = f"probe-{uuid.uuid4().hex[:16]}"
    ws.write_message(json.dumps({"type": "subscribe", "project_ids": [marker]}))
    before: list[dict[str, Any]] = []
    while True:
        raw = await asyncio.wait_for(ws.read_message(), timeout)
        assert raw is not None, "the server closed the socket"
        reply = json.loads(raw)
        if reply == {"type": "subscribed", "project_ids": [marker]}:
            return before
        before.append(reply)


def check_replies(replies: list[dict[str, Any]], *, expect_error: bool) -> None:
    for reply in replies:
        assert isinstance(reply, dict) and reply.get("type") in SERVER_TYPES, reply
        if reply["type"] == "error":
            assert isinstance(reply["code"], str) and reply["code"], reply
            assert isinstance(reply["message"], str), reply
    if expect_error:
        assert [r["type"] for r in replies] == ["error"], replies


async def assert_server_unharmed(jp_fetch: Any, jp_ws_fetch: Any) -> None:
    assert (await jp_fetch(EXTENSION, "health")).code == 200
    assert (await jp_fetch("api", "contents")).code == 200
    fresh = await jp_ws_fetch(EXTENSION, "ws")
    assert await probe(fresh) == []
    fresh.close()


GARBAGE: list[str | bytes] = [
    "",
    "not json",
    "{",
    "null",
    "true",
    "[]",
    "[1, 2]",
    "42",
    '"sync"',
    "1e999999",
    "NaN",
    '{"type": "explode"}',
    '{"type": null}',
    '{"type": 5}',
    '{"type": ["sync"]}',
    '{"type": {"type": "sync"}}',
    '{"type": "sync"}',
    '{"type": "push", "request_id": 123, "project_id": "p"}',
    '{"type": "push", "request_id": "", "project_id": "p"}',
    json.dumps({"type": "push", "request_id": "r" * 129, "project_id": "p"}),
    json.dumps({"type": "push", "request_id": "r", "project_id": "p" * 65}),
    '{"type": "sync", "request_id": "r", "project_id": "p", "force": "yes please"}',
    '{"type": "sync", "request_id": "r", "project_id": "p", "paths": "a.txt"}',
    '{"type": "sync", "request_id": "r", "project_id": "p", "paths": [1, 2]}',
    json.dumps({"type": "sync", "request_id": "r", "project_id": "p", "paths": [""]}),
    json.dumps({"type": "sync", "request_id": "r", "project_id": "p", "paths": ["x"] * 10_001}),
    json.dumps({"type": "sync", "request_id": "r", "project_id": "p", "paths": ["p" * 1025]}),
    '{"type": "sync", "request_id": "r", "project_id": "p", "unknown": 1}',
    '{"type": "subscribe", "project_ids": 5}',
    '{"type": "subscribe", "project_ids": "all"}',
    '{"type": "subscribe", "project_ids": [null]}',
    '{"type": "cancel"}',
    '{"type": "cancel", "request_id": ["r"]}',
    "[" * 100_000 + "]" * 100_000,  # 200 KB of nesting
    '{"a": ' * 50_000 + "1" + "}" * 50_000,
    json.dumps({"type": "sync", "blob": "x" * (MIB - 200)}),  # just under the limit
    "\u0000\u0001\u0002",
    "\ud7ff\ue000\uffff",
    b"\xff\xfe\xfd",  # a binary frame that is not UTF-8
    b'{"type": "explode"}',  # a binary frame
]


async def test_garbage_gets_an_error_and_the_socket_stays_up(
    jp_fetch: Any, jp_ws_fetch: Any
) -> None:
    ws = await jp_ws_fetch(EXTENSION, "ws")
    for message in GARBAGE:
        ws.write_message(message, binary=isinstance(message, bytes))
        replies = await probe(ws)
        check_replies(replies, expect_error=True)
        assert replies[0]["code"] == "invalid_message", (message[:80], replies)
    ws.close()
    await assert_server_unharmed(jp_fetch, jp_ws_fetch)


async def test_requests_for_unknown_things_fail_cleanly(jp_fetch: Any, jp_ws_fetch: Any) -> None:
    ws = await jp_ws_fetch(EXTENSION, "ws")
    ws.write_message(json.dumps({"type": "cancel", "request_id": "never-started"}))
    [reply] = await probe(ws)
    assert reply["type"] == "error" and reply["code"] == "not_running"
    for kind in ("push", "pull", "sync"):
        ws.write_message(
            json.dumps({"type": kind, "request_id": f"r-{kind}", "project_id": "../../etc"})
        )
        [reply] = await probe(ws)
        assert reply["type"] == "failed" and reply["code"] == "not_found", reply
    ws.close()
    await assert_server_unharmed(jp_fetch, jp_ws_fetch)


@pytest.mark.parametrize("size", [MIB + 1, 4 * MIB])
async def test_messages_over_one_mib_close_the_socket_not_the_server(
    size: int, jp_fetch: Any, jp_ws_fetch: Any
) -> None:
    ws = await jp_ws_fetch(EXTENSION, "ws")
    ws.write_message(json.dumps({"type": "sync", "blob": "x" * size}))
    while (raw := await asyncio.wait_for(ws.read_message(), 10)) is not None:
        assert json.loads(raw)["type"] == "error"  # an error reply is the other acceptable end
    assert ws.close_code in (1009, None), ws.close_code
    await assert_server_unharmed(jp_fetch, jp_ws_fetch)


async def test_a_flood_of_bad_messages_is_answered_in_order(
    jp_fetch: Any, jp_ws_fetch: Any
) -> None:
    ws = await jp_ws_fetch(EXTENSION, "ws")
    for i in range(500):
        ws.write_message(json.dumps({"type": "explode", "n": i}))
    replies = await probe(ws, timeout=30)
    assert len(replies) == 500
    assert {r["code"] for r in replies} == {"invalid_message"}
    ws.close()
    await assert_server_unharmed(jp_fetch, jp_ws_fetch)


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
TYPES = st.sampled_from(["push", "pull", "sync", "cancel", "subscribe", "SYNC", "", "error"])
SHAPED = st.fixed_dictionaries(
    {"type": TYPES | JSON},
    optional={
        "request_id": JSON,
        "project_id": JSON,
        "project_ids": JSON | st.just("*"),
        "force": JSON,
        "paths": JSON | st.lists(st.text(max_size=30), max_size=5),
    },
)
MESSAGES = st.one_of(
    JSON.map(json.dumps),
    SHAPED.map(json.dumps),
    st.text(max_size=200),
    st.binary(max_size=200),
)


def fuzz_socket(jp_asyncio_loop: Any, jp_fetch: Any, jp_ws_fetch: Any, examples: int) -> int:
    ws = jp_asyncio_loop.run_until_complete(jp_ws_fetch(EXTENSION, "ws"))
    sent = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(message=MESSAGES)
    def send(message: str | bytes) -> None:
        nonlocal sent
        ws.write_message(message, binary=isinstance(message, bytes))
        sent += 1
        replies = jp_asyncio_loop.run_until_complete(probe(ws))
        # Valid-looking requests name unknown projects: `failed`, never a crash.
        check_replies(replies, expect_error=False)
        assert len(replies) <= 2, replies

    send()
    ws.close()
    jp_asyncio_loop.run_until_complete(assert_server_unharmed(jp_fetch, jp_ws_fetch))
    return sent


def test_random_messages_never_break_the_socket(
    jp_asyncio_loop: Any, jp_fetch: Any, jp_ws_fetch: Any
) -> None:
    assert fuzz_socket(jp_asyncio_loop, jp_fetch, jp_ws_fetch, EXAMPLES_DEFAULT) >= 100


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_random_messages_never_break_the_socket_long(
    jp_asyncio_loop: Any, jp_fetch: Any, jp_ws_fetch: Any
) -> None:
    assert fuzz_socket(jp_asyncio_loop, jp_fetch, jp_ws_fetch, EXAMPLES_LONG) >= 4_000
