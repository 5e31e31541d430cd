"""The async client of the cloud Project API (§2 of the design), in one namespace.

Plain async functions that take a small frozen `CloudClient` value. Each job lives in its
own module; this one only gathers their public names, so callers write
`from ..cloud import client as cloud` and `cloud.list_files(...)`:

| module        | job                                                              |
|---------------|------------------------------------------------------------------|
| `session`     | the `CloudClient` value, its lifecycle, URLs                      |
| `sending`     | one request, retries with backoff, pagination                     |
| `answers`     | statuses as typed errors, JSON as models, tolerant listing pages  |
| `projects`    | list (the user's, their organizations', shared), CRUD             |
| `files`       | file listing, revisions, uploads, deletes                         |
| `downloads`   | downloads, redirects followed without the credential              |
| `accounts`    | account, organizations, permissions, healthz                      |
| `preconditions` | whether the cloud honours `If-Match` (a probe)                  |

Every answer is validated into a pydantic model; anything unusable raises
`InvalidCloudResponse`, never a `KeyError`. Errors are the typed `CloudError` subclasses of
`cloud.errors`; no message ever contains the credential.
"""

from __future__ import annotations

from .accounts import (
    CloudAccount,
    CloudOrganization,
    CloudPermissions,
    CloudUser,
    PermissionGrant,
    get_account,
    get_permissions,
    healthz,
    list_my_organizations,
    set_permissions,
)
from .downloads import DownloadResult, download_file
from .files import current_version, delete_file, list_file_versions, list_files, upload_file
from .preconditions import probe_preconditions
from .projects import (
    create_project,
    delete_project,
    get_project,
    list_all_projects,
    list_projects,
    list_shared_projects,
    list_user_projects,
    update_project,
)
from .session import (
    DEFAULT_API_VERSION,
    DEFAULT_TIMEOUT,
    CloudClient,
    CloudNotes,
    RetryPolicy,
    aclose,
    make_cloud_client,
    open_cloud_client,
)

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_TIMEOUT",
    "CloudAccount",
    "CloudClient",
    "CloudNotes",
    "CloudOrganization",
    "CloudPermissions",
    "CloudUser",
    "DownloadResult",
    "PermissionGrant",
    "RetryPolicy",
    "aclose",
    "create_project",
    "current_version",
    "delete_file",
    "delete_project",
    "download_file",
    "get_account",
    "get_permissions",
    "get_project",
    "healthz",
    "list_all_projects",
    "list_file_versions",
    "list_files",
    "list_my_organizations",
    "list_projects",
    "list_shared_projects",
    "list_user_projects",
    "make_cloud_client",
    "open_cloud_client",
    "probe_preconditions",
    "set_permissions",
    "update_project",
    "upload_file",
]
