"""A local replica of the cloud Project API, for development and tests.

Start it with `aext-project-replica --port 0` (prints its URL first; demo keys
`demo-alice-key`, `demo-bob-key`, `demo-carol-key`), or in tests with the `replica` /
`replica_factory` fixtures (`fixtures`). Module map:

- `server` (start-up, shutdown), `__main__` (the command line), `app` (route table);
- handlers: `base` (faults, auth, JSON errors), `project_handlers`, `file_handlers`,
  `admin_handlers`; request parsing: `bodies`, `paths`, `ranges`, `cursors`, `upload`;
- storage: `storage` (engine, the DB thread), `models`, `project_store`, `file_store`,
  `blobs` (content-addressed bodies), `accounts`, `access` (roles), `seed`;
- `faults` (fault injection), `serialize` (the API's JSON shapes), `errors`.
"""
