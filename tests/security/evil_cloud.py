"""A tiny, malicious Project API (tornado, in the test's event loop) serving listings and
file bodies the real cloud (and the replica, which validates paths) never would.

Only what a pull needs is served: the file listing (one page, or a `next_page_url` of the
test's choosing), file bodies (with lying headers, or cut short), and 404 for the rest.
Every request's method and decoded path is recorded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from urllib.parse import unquote

from tornado import web
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class EvilFile:
    """One listed file and how its body is served."""

    path: str
    body: bytes
    listed_sha256: str | None = None  # default: the body's
    listed_size: int | None = None  # default: the body's
    checksum_header: str | None = None  # default: the body's sha256
    cut_after: int | None = None  # send the full Content-Length, then hang up after N bytes

    def listing(self) -> dict[str, object]:
        return {
            "path": self.path,
            "size": len(self.body) if self.listed_size is None else self.listed_size,
            "sha256": self.listed_sha256 or sha(self.body),
            "last_modified": "2026-01-01T00:00:00Z",
            "file_version_id": f"v-{sha(self.path.encode())[:12]}",
        }


@dataclass
class EvilCloud:
    port: int
    server: HTTPServer | None = None
    files: dict[str, EvilFile] = field(default_factory=dict)
    next_page_url: str | None = None
    requests: list[tuple[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self, *files: EvilFile) -> None:
        self.files = {f.path: f for f in files}


class _Base(web.RequestHandler):
    def initialize(self, cloud: EvilCloud) -> None:
        self.cloud = cloud

    def prepare(self) -> None:
        self.cloud.requests.append((self.request.method or "", unquote(self.request.path)))

    def write_error(self, status_code: int, **kwargs: object) -> None:
        self.finish({"error": {"code": "not_found", "message": "nothing here"}})


class _Listing(_Base):
    def get(self, project_id: str) -> None:
        items = [f.listing() for f in self.cloud.files.values()]
        self.set_header("Content-Type", "application/json")
        self.finish(
            json.dumps(
                {"items": items, "num_items": len(items), "next_page_url": self.cloud.next_page_url}
            )
        )


class _Body(_Base):
    async def get(self, project_id: str, raw_path: str) -> None:
        served = self.cloud.files.get(raw_path)  # tornado has percent-decoded it
        if served is None:
            raise web.HTTPError(404)
        checksum = served.checksum_header or sha(served.body)
        version = served.listing()["file_version_id"]
        if served.cut_after is None:
            self.set_header("Content-Type", "application/octet-stream")
            self.set_header("X-Checksum-Sha256", checksum)
            self.set_header("ETag", f'"{version}"')
            self.finish(served.body)
            return
        stream = self.detach()  # write the response by hand, then hang up mid-body
        head = (
            "HTTP/1.1 200 OK\r\n"
            f"Content-Length: {len(served.body)}\r\n"
            "Content-Type: application/octet-stream\r\n"
            f"X-Checksum-Sha256: {checksum}\r\n"
            f'ETag: "{version}"\r\n\r\n'
        )
        await stream.write(head.encode() + served.body[: served.cut_after])
        stream.close()


class _Anything(_Base):
    def get(self, *args: str) -> None:
        raise web.HTTPError(404)

    put = post = patch = delete = get


async def start_evil_cloud() -> EvilCloud:
    """Serve on a free loopback port, in the running event loop."""
    sock, port = bind_unused_port()
    cloud = EvilCloud(port=port)
    app = web.Application(
        [
            (r"/api/projects/([^/]+)/files/?", _Listing, {"cloud": cloud}),
            (r"/api/projects/([^/]+)/files/(.+)", _Body, {"cloud": cloud}),
            (r"/(.*)", _Anything, {"cloud": cloud}),
        ]
    )
    cloud.server = HTTPServer(app)
    cloud.server.add_sockets([sock])
    return cloud


def stop_evil_cloud(cloud: EvilCloud) -> None:
    if cloud.server is not None:
        cloud.server.stop()
