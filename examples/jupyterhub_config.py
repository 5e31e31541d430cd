"""jupyterhub_config.py: every user's single-user server runs the projects extension.

Installing `aext-project-filebrowser-server` in the single-user environment enables it; the
hub only has to tell each server where the cloud is and which cloud key is this user's.
The tests (`tests/hub`) run a real hub with this file, so it stays working.

- The cloud URL is not a secret: it goes on the server's command line.
- A user's cloud API key is: it goes into that user's server environment only
  (`ANACONDA_AUTH_API_KEY`), never on a command line (every user on the host can read
  command lines with `ps`), never in a config file that other users can read.
- Each server keeps its own store under the user's Jupyter data directory
  (`~/.local/share/jupyter/aext_project_filebrowser/`) and its project folders under
  `~/projects`: put the home directory on persistent storage (on Kubernetes, the user's
  home volume) and both survive restarts; nothing but the cloud is shared between users.
"""

import asyncio
import json
import os
from pathlib import Path

c = get_config()  # noqa: F821  (JupyterHub defines it while loading this file)

# The Project API all users share.
CLOUD_URL = os.environ.get("AEXT_PFB_CLOUD_URL", "https://anaconda.com")
# Where the hub finds keys for users it cannot get one from at login: a JSON object
# {"<hub user>": "<cloud API key>"}, readable by the hub's account only.
KEYS_FILE = Path(os.environ.get("AEXT_PFB_KEYS_FILE", "/etc/jupyterhub/cloud-keys.json"))


def key_from_file(user: str) -> str | None:
    """The user's key in `KEYS_FILE`, if there is one."""
    if not KEYS_FILE.is_file():
        return None
    key = json.loads(KEYS_FILE.read_text()).get(user)
    return key if isinstance(key, str) else None


async def pass_cloud_key(spawner):  # type: ignore[no-untyped-def]
    """Give the server being spawned its user's key, from the login (an OAuth
    authenticator that keeps `auth_state`, e.g. Anaconda's) or from `KEYS_FILE`. A user with
    neither gets no key: the extension's local features work, cloud calls say `not logged in`.
    """
    auth_state = await spawner.user.get_auth_state() or {}
    key = auth_state.get("access_token")
    if not key:  # read off the hub's event loop
        key = await asyncio.to_thread(key_from_file, spawner.user.name)
    if key:
        spawner.environment["ANACONDA_AUTH_API_KEY"] = key


c.Spawner.pre_spawn_hook = pass_cloud_key
c.Spawner.args = [f"--ProjectFileBrowserApp.cloud_url={CLOUD_URL}"]
# The hub stops a server with SIGINT, then SIGTERM, then SIGKILL, each after a timeout
# (10, 5 and 5 s by default). The extension stops in about a second at SIGINT, finishing or
# cancelling a running sync at a safe point; the next start picks up where it stopped.
c.Spawner.interrupt_timeout = 10
