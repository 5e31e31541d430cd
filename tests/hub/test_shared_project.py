"""A project of the `acme` organization, synced between alice's and bob's servers on one
hub: both edit one file, the second sync keeps both versions, and the conflict copy says
which hub user's server made it (the `server_name` default behind a hub)."""

from __future__ import annotations

import socket
from pathlib import Path

from aext_project_filebrowser_server.testing import cloud_client, local_files, remote_files

from .conftest import KEYS, HubWorld
from .users import as_user, create_project, run, wait_downloaded

ACME = "ac3e0000-0000-4000-8000-0000000000a1"  # the demo seed's organization


async def test_shared_project_conflict_keeps_both(hub_world: HubWorld) -> None:
    hub, tokens = hub_world.hub, hub_world.tokens
    with as_user(hub, "alice", tokens["alice"]) as alice, as_user(hub, "bob", tokens["bob"]) as bob:
        project = create_project(alice, "Acme shared analysis", owner=ACME)
        assert project["owner_type"] == "organization", project
        alice_dir = Path(project["local_path"])
        assert alice_dir.is_relative_to(hub.home("alice"))
        (alice_dir / "notes.md").write_text("# Plan\n")
        pushed = await run(hub, "alice", tokens["alice"], project["id"], "push")
        assert pushed.unclean() is None, pushed.messages

        listed = bob.get("projects", params={"refresh": "true"}).json()["projects"]
        assert project["id"] in {p["id"] for p in listed}
        bob_dir = Path(wait_downloaded(bob, project["id"])["local_path"])
        assert bob_dir.is_relative_to(hub.home("bob"))
        assert local_files(bob_dir) == {"notes.md": b"# Plan\n"}

        (alice_dir / "notes.md").write_text("# Plan\nalice: ship on Monday\n")
        (bob_dir / "notes.md").write_text("# Plan\nbob: ship on Friday\n")
        first = await run(hub, "alice", tokens["alice"], project["id"], "sync")
        assert first.unclean() is None and not first.conflicts, first.messages
        second = await run(hub, "bob", tokens["bob"], project["id"], "sync")
        assert second.unclean() is None, second.messages
        [conflict] = second.conflicts
        assert conflict["path"] == "notes.md"
        assert f"bob on bob@{socket.gethostname()}" in conflict["copy_path"], conflict
        third = await run(hub, "alice", tokens["alice"], project["id"], "sync")
        assert third.unclean() is None, third.messages

    expected = {
        "notes.md": b"# Plan\nalice: ship on Monday\n",
        conflict["copy_path"]: b"# Plan\nbob: ship on Friday\n",
    }
    assert local_files(alice_dir) == expected
    assert local_files(bob_dir) == expected
    with cloud_client(hub_world.replica.url, KEYS["bob"]) as cloud:
        assert remote_files(cloud, project["id"]) == expected
