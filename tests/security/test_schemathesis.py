"""Suite 6: schemathesis fuzzes every operation of the served `openapi.json` against a real
Jupyter server (authenticated, over a real port): no 5xx, every error is the documented
`{"message": str, "code": str}`, and answers conform to the documented status codes,
content types and schemas.

The fuzzer is synchronous (requests), so it runs in a worker thread while the test's event
loop serves. Each operation is fuzzed in positive and negative mode, once with generated path
parameters and once aimed at a real project (so ids that exist reach the services, not only
the 404 branch). All failures are collected, then reported together. The default run draws
`EXAMPLES_DEFAULT` examples per (operation, mode, target); the long run (`-m slow`)
`EXAMPLES_LONG`.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from aext_project_filebrowser_server.testing import EXTENSION, Project

EXAMPLES_DEFAULT = 8
EXAMPLES_LONG = 400
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


@dataclass
class Tally:
    operations: int = 0
    requests: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    unsatisfiable: list[str] = field(default_factory=list)


def check_answer(case: Any, response: requests.Response) -> None:
    where = f"{case.method} {response.request.url}"
    assert response.status_code < 500, f"{where} -> {response.status_code}: {response.text[:500]}"
    if response.status_code >= 400:
        try:
            body = json.loads(response.text)
        except ValueError:
            raise AssertionError(
                f"{where} -> {response.status_code}: not JSON: {response.text[:300]!r}"
            ) from None
        assert isinstance(body, dict) and set(body) == {"message", "code"}, (where, body)
        assert isinstance(body["message"], str) and isinstance(body["code"], str), (where, body)
        assert body["code"] and body["message"], (where, body)
    case.validate_response(response, checks=CHECKS)


def fuzz_operation(
    operation: Any,
    mode: schemathesis.GenerationMode,
    fixed: dict[str, str] | None,
    base_url: str,
    auth: dict[str, str],
    examples: int,
    tally: Tally,
) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers=auth, timeout=20)
        tally.requests += 1
        tally.by_status[response.status_code] += 1
        tally.by_operation[label] += 1
        check_answer(case, response)

    try:
        run()
    except Unsatisfiable:  # negative mode of an operation that takes no input
        tally.unsatisfiable.append(label)
    except AssertionError as exc:  # go on with the other operations; report them all
        tally.failures.append(f"{label} [{mode.value}]: {str(exc)[:800]}")


def fuzz(base_url: str, auth: dict[str, str], project_id: str, examples: int) -> Tally:
    """Every operation x mode x (generated ids, the real project); runs in a thread."""
    served = requests.get(f"{base_url}/openapi.json", headers=auth, timeout=10)
    assert served.status_code == 200, served.text
    document = served.json()
    # The harness sends the token itself and keeps no cookie (so XSRF never interferes);
    # without the security section schemathesis does not drop the header in negative mode.
    # test_auth.py covers requests without or with wrong credentials.
    document.pop("security", None)
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    # Deleting the real project early would turn the rest into 404s: deletes go last.
    operations.sort(key=lambda op: op.method.upper() == "DELETE")
    tally = Tally(operations=len(operations))
    for operation in operations:
        targets: list[dict[str, str] | None] = [None]
        if "{project_id}" in operation.path:
            targets.append({"project_id": project_id})
        for mode in MODES:
            for fixed in targets:
                fuzz_operation(operation, mode, fixed, base_url, auth, examples, tally)
    return tally


async def fuzz_server(
    jp_http_port: int,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
    make_project: Callable[[], Awaitable[Project]],
    jp_fetch: Any,
    examples: int,
) -> Tally:
    project = await make_project()
    (project.root / "data.csv").write_text("a,b\n1,2\n")
    base_url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}{EXTENSION}"
    tally = await asyncio.to_thread(fuzz, base_url, jp_auth_header, project.id, examples)
    statuses = dict(sorted(tally.by_status.items()))
    print(f"schemathesis: {tally.operations} operations, {tally.requests} requests, {statuses}")
    assert not tally.failures, "\n\n".join(tally.failures)
    assert (await jp_fetch(EXTENSION, "health")).code == 200
    assert (await jp_fetch("api", "contents")).code == 200
    return tally


async def test_schemathesis_every_operation_no_5xx_and_documented_errors(
    jp_http_port: int,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
    make_project: Callable[[], Awaitable[Project]],
    jp_fetch: Any,
) -> None:
    tally = await fuzz_server(
        jp_http_port, jp_base_url, jp_auth_header, make_project, jp_fetch, EXAMPLES_DEFAULT
    )
    assert len(tally.by_operation) == tally.operations >= 17, tally.by_operation
    assert tally.requests >= 250


@pytest.mark.slow
@pytest.mark.timeout(3600)
async def test_schemathesis_long(
    jp_http_port: int,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
    make_project: Callable[[], Awaitable[Project]],
    jp_fetch: Any,
) -> None:
    tally = await fuzz_server(
        jp_http_port, jp_base_url, jp_auth_header, make_project, jp_fetch, EXAMPLES_LONG
    )
    assert len(tally.by_operation) == tally.operations
    assert tally.requests >= 10_000
