"""CloudProject <-> LocalProject translation."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from aext_project_filebrowser_server.schemas.projects import (
    CloudProject,
    LocalProject,
    cloud_update_body,
    local_from_cloud,
    merge_cloud_into_local,
)

CLOUD_JSON: dict[str, Any] = {
    "id": "0b9e6b8e-5d7e-4c55-9d0f-1f1f2a3b4c5d",
    "name": "random-slug-1234",
    "title": "Sales forecast",
    "created_at": "2026-01-02T03:04:05Z",
    "updated_at": "2026-01-03T03:04:05Z",
    "metadata": {
        "tags": ["finance"],
        "description": "Quarterly",
        "user_client": "jupyterlab",
        "hidden": False,
        "something_new": 1,
    },
    "owner": {"id": "user-42", "type": "user", "name": "alice"},
    "field_added_later": {"x": 1},
}


def test_cloud_to_local_to_update_body() -> None:
    cloud = CloudProject.model_validate(CLOUD_JSON)
    local = local_from_cloud(cloud, "/home/u/projects/Sales forecast")
    assert local.owner_id == "user-42" and local.owner_type == "user"
    assert local.owner_name == "alice"
    assert local.tags == ("finance",) and local.description == "Quarterly"
    assert cloud_update_body(local) == {
        "title": "Sales forecast",
        "metadata": {"tags": ["finance"], "description": "Quarterly"},
    }
    assert LocalProject.model_validate(local.model_dump()) == local


def test_owner_object_can_never_land_in_the_owner_id() -> None:
    cloud = CloudProject.model_validate(CLOUD_JSON)
    fields = local_from_cloud(cloud).model_dump()
    fields["owner_id"] = CLOUD_JSON["owner"]
    with pytest.raises(ValidationError):
        LocalProject.model_validate(fields)


def test_local_model_rejects_cloud_only_fields() -> None:
    fields = local_from_cloud(CloudProject.model_validate(CLOUD_JSON)).model_dump()
    with pytest.raises(ValidationError):
        LocalProject.model_validate({**fields, "metadata": {}})


@pytest.mark.parametrize(
    "change",
    [
        {"owner": {"id": "u", "type": "team"}},
        {"owner": "user-42"},
        {"created_at": "yesterday"},
        {"id": ""},
        {"metadata": {"tags": "not-a-list"}},
    ],
)
def test_malformed_cloud_json_is_a_validation_error(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CloudProject.model_validate({**CLOUD_JSON, **change})


def test_merge_keeps_local_path_and_version() -> None:
    cloud = CloudProject.model_validate(CLOUD_JSON)
    local = local_from_cloud(cloud, "/x").model_copy(update={"version": 7})
    renamed = cloud.model_copy(update={"title": "Renamed"})
    merged = merge_cloud_into_local(local, renamed)
    assert (merged.title, merged.local_path, merged.version) == ("Renamed", "/x", 7)
