"""A failed cloud call becomes an answer that names its real cause."""

from __future__ import annotations

import pytest

from aext_project_filebrowser_server.cloud.errors import (
    AuthRequired,
    CloudError,
    CloudUnavailable,
    Forbidden,
    InvalidCloudResponse,
    InvalidRequest,
    ProjectNotFound,
    RateLimited,
)
from aext_project_filebrowser_server.services.errors import cloud_failure


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (AuthRequired("key expired", status=401), 401, "auth_required_cloud"),
        (Forbidden("no permission", status=403), 403, "forbidden"),
        (ProjectNotFound("gone", status=404), 404, "not_found"),
        (InvalidRequest("bad path", status=400), 502, "cloud_rejected"),
        (InvalidCloudResponse("listing is not JSON", status=200), 502, "invalid_cloud_response"),
        (RateLimited("slow down", status=429), 502, "cloud_unavailable"),
        (CloudUnavailable("connection refused"), 502, "cloud_unavailable"),
    ],
)
def test_each_cloud_failure_keeps_its_cause(error: CloudError, status: int, code: str) -> None:
    failure = cloud_failure(error)
    assert (failure.status, failure.code) == (status, code)
    if status == 502:  # the cloud's own words say what went wrong there
        assert error.message in failure.message
