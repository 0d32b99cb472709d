"""Run the sandbox: in a background thread (tests, demos) or blocking (the CLI)."""

from __future__ import annotations

import socket
import tempfile
import threading
from pathlib import Path
from types import TracebackType

import uvicorn
from pydantic import ValidationError

from onetouch.models import World
from onetouch.waiting import wait_until_answering

from .app import create_app
from .db import Database
from .errors import describe_errors
from .store import load_world, world_problems


class WorldFileError(ValueError):
    """A world file that cannot be read or is not a valid World."""


def read_world_file(path: str | Path) -> World:
    """The World in a JSON file; WorldFileError names the file and the bad fields."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorldFileError(f"cannot read world file {path}: {exc}") from exc
    try:
        world = World.model_validate_json(text)
    except ValidationError as exc:
        detail = describe_errors(exc.errors(include_url=False), skip_body=False)
        raise WorldFileError(f"world file {path} is malformed: {detail}") from exc
    problems = world_problems(world)
    if problems:
        raise WorldFileError(f"world file {path} is inconsistent: {'; '.join(problems)}")
    return world


def _load(db: Database, world: World) -> None:
    """Replace the database's state with a world."""
    with db.writer() as session:
        load_world(session, world)
        session.commit()


class SandboxServer:
    """The sandbox served by uvicorn on a background thread (port 0 picks a free port)."""

    def __init__(
        self,
        db_path: str | Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        world: World | None = None,
        log_level: str = "warning",
    ) -> None:
        self._tmpdir = None
        if db_path is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="onetouch-sandbox-")
            db_path = Path(self._tmpdir.name) / "sandbox.db"
        self.db_path = Path(db_path)
        self.app = create_app(self.db_path, api_key=api_key)
        if world is not None:
            _load(self.app.state.db, world)
        self.host, self.port = host, port
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:54321."""
        if self._server is None:
            raise RuntimeError("the sandbox server is not started")
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> SandboxServer:
        """Bind, serve in a thread, and wait until the server answers HTTP."""
        if self._server is not None:
            return self
        # asyncio sets TCP_NODELAY only on IPPROTO_TCP sockets: else ~40 ms per response
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level=self._log_level, access_log=False, timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="sandbox", daemon=True
        )
        self._thread.start()
        self._wait_until_answering(timeout)
        return self

    def _wait_until_answering(self, timeout: float) -> None:
        """Wait until the server answers any HTTP status."""
        waited = wait_until_answering(
            f"{self.url}/clock", timeout, interval=0.02,
            alive=lambda: self._thread is not None and self._thread.is_alive())
        if waited == "stopped":
            raise RuntimeError("the sandbox server stopped while starting")
        if waited == "timeout":
            self.stop()
            raise TimeoutError(f"the sandbox server did not answer within {timeout} s")

    def stop(self) -> None:
        """Shut the server down and wait for its thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None
        if self._tmpdir is not None:
            self.app.state.db.close()
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_sandbox(
    world_path: str | Path | None,
    port: int = 8700,
    host: str = "127.0.0.1",
    *,
    db_path: str | Path | None = None,
    api_key: str | None = None,
) -> None:
    """Serve the sandbox until interrupted: a world file loaded fresh, or an existing database.

    Raises WorldFileError for a malformed world file.
    """
    world = read_world_file(world_path) if world_path is not None else None
    with tempfile.TemporaryDirectory(prefix="onetouch-sandbox-") as tmp:
        app = create_app(db_path or Path(tmp) / "sandbox.db", api_key=api_key)
        if world is not None:
            _load(app.state.db, world)
        uvicorn.run(app, host=host, port=port, log_level="info")
