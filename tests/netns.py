"""Extra "hosts" for tests: Linux network namespaces joined to this one by veth pairs, a hub
address in this namespace that every host routes to, and TCP forwarders on the hub.

Host N lives in namespace `onetouch-mh<pid>-hN` at 10.211.N.2/24, its default route through
the root side of its veth pair (10.211.N.1). The hub, HUB/32, sits on a veth pair of its own in
the root namespace: a packet from any host to it is delivered locally, no forwarding needed.
Names carry the test process's pid: what a crashed run left is found and deleted first.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path

HUB = "10.211.0.1"
NAMESPACE_PREFIX = "onetouch-mh"
LINK_PREFIX = "otm"
OURS = re.compile(rf"^(?:{NAMESPACE_PREFIX}(\d+)-h\d+|{LINK_PREFIX}(\d+)(?:h\d+|hub))$")


class NetnsUnavailable(RuntimeError):
    """Namespaces cannot be made here: no `ip`, no permission, or another run holds them."""


@dataclass(frozen=True)
class Host:
    """A namespace with its address, reached through a veth pair from the root namespace."""

    number: int
    namespace: str
    link: str

    @property
    def address(self) -> str:
        """The host's own address."""
        return f"10.211.{self.number}.2"

    @property
    def gateway(self) -> str:
        """The root side of the host's veth pair: its default route."""
        return f"10.211.{self.number}.1"

    def command(self, args: Sequence[str]) -> list[str]:
        """`args` run inside the host's namespace."""
        return ["ip", "netns", "exec", self.namespace, *args]


def ip(*args: str) -> str:
    """Run `ip` with these arguments; its output (CalledProcessError with stderr on failure)."""
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if done.returncode:
        raise subprocess.CalledProcessError(done.returncode, ["ip", *args], done.stdout,
                                            done.stderr)
    return done.stdout


def _names() -> list[str]:
    """Our namespaces and root-namespace links, whichever run made them."""
    namespaces = [line.split()[0] for line in ip("netns", "list").splitlines() if line.strip()]
    links = [line.split(":")[1].strip().split("@")[0]
             for line in ip("-o", "link", "show").splitlines()]
    return [name for name in namespaces + links if OURS.match(name)]


def _owner(name: str) -> int:
    match = OURS.match(name)
    assert match is not None
    return int(match.group(1) or match.group(2))


def _running_test(pid: int) -> bool:
    try:
        return b"pytest" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _delete(name: str) -> None:
    """Delete a namespace (killing what still runs in it) or a link; gone already is fine."""
    with suppress(subprocess.CalledProcessError):
        if name.startswith(NAMESPACE_PREFIX):
            for pid in ip("netns", "pids", name).split():
                with suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            ip("netns", "del", name)
        else:
            ip("link", "del", name)


def remove(owner: int | None = None) -> None:
    """Delete the namespaces and links of one run (every run: None)."""
    for name in _names():
        if owner is None or _owner(name) == owner:
            _delete(name)


def clear_stale() -> None:
    """Delete what crashed runs left; NetnsUnavailable when a running test still holds it."""
    for name in _names():
        owner = _owner(name)
        if owner != os.getpid() and _running_test(owner):
            raise NetnsUnavailable(f"{name} belongs to test process {owner}, still running")
        _delete(name)


def _make_hub(tag: str) -> None:
    link = f"{LINK_PREFIX}{tag}hub"
    ip("link", "add", link, "type", "veth", "peer", "name", f"{LINK_PREFIX}{tag}hup")
    ip("addr", "add", f"{HUB}/32", "dev", link)
    ip("link", "set", link, "up")
    ip("link", "set", f"{LINK_PREFIX}{tag}hup", "up")


def _make_host(tag: str, number: int) -> Host:
    host = Host(number, f"{NAMESPACE_PREFIX}{tag}-h{number}", f"{LINK_PREFIX}{tag}h{number}")
    ip("netns", "add", host.namespace)
    ip("link", "add", host.link, "type", "veth", "peer", "name", "eth0", "netns", host.namespace)
    ip("addr", "add", f"{host.gateway}/24", "dev", host.link)
    ip("link", "set", host.link, "up")
    inside = ("-n", host.namespace)
    ip(*inside, "addr", "add", f"{host.address}/24", "dev", "eth0")
    ip(*inside, "link", "set", "lo", "up")
    ip(*inside, "link", "set", "eth0", "up")
    ip(*inside, "route", "add", "default", "via", host.gateway)
    return host


def make_hosts(numbers: Sequence[int]) -> list[Host]:
    """The hub and one namespace per number; NetnsUnavailable (nothing left) when not allowed."""
    tag = str(os.getpid())
    try:
        clear_stale()
        _make_hub(tag)
        return [_make_host(tag, number) for number in numbers]
    except FileNotFoundError as exc:
        raise NetnsUnavailable(f"no `ip` command: {exc}") from None
    except subprocess.CalledProcessError as exc:
        remove(int(tag))
        raise NetnsUnavailable(f"`{' '.join(exc.cmd)}` failed: {exc.stderr.strip()}") from None


def reaches(host: Host, address: str, port: int, timeout: float = 3) -> bool:
    """A TCP connection from inside the host to address:port succeeds."""
    probe = (f"import socket; socket.create_connection(({address!r}, {port}), "
             f"timeout={timeout}).close()")
    done = subprocess.run(host.command([sys.executable, "-c", probe]), capture_output=True,
                          timeout=timeout + 10)
    return done.returncode == 0


def network_namespace(pid: int) -> str:
    """The network namespace a process is in (`net:[inode]`)."""
    return os.readlink(f"/proc/{pid}/ns/net")


def stop(processes: Sequence[subprocess.Popen[bytes]], timeout: float = 15) -> None:
    """SIGTERM processes started in their own sessions, with their groups, all at once; then
    SIGKILL what is left of the groups."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for process in processes:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
        deadline = time.monotonic() + timeout
        for process in processes:
            with suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with suppress(ConnectionError):
        while data := await reader.read(1 << 16):
            writer.write(data)
            await writer.drain()


async def _relay(target: tuple[str, int], reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
    """Pass one connection on to the target both ways, until either side ends."""
    try:
        target_reader, target_writer = await asyncio.open_connection(*target)
    except OSError:
        writer.close()
        return
    pipes = [asyncio.ensure_future(_pipe(reader, target_writer)),
             asyncio.ensure_future(_pipe(target_reader, writer))]
    try:
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pipe in pipes:
            pipe.cancel()
        writer.close()
        target_writer.close()


class Forwarder:
    """TCP forwarders listening on one address, each to a service elsewhere, served by an
    event loop in a thread of this process."""

    def __init__(self, listen: str) -> None:
        self.listen = listen
        self.loop = asyncio.new_event_loop()
        self.servers: list[asyncio.Server] = []
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True,
                                       name="netns-forwarder")
        self.thread.start()

    def forward(self, host: str, port: int) -> int:
        """Listen on a free port and pass each connection on to host:port; the port."""
        server = self._call(asyncio.start_server(partial(_relay, (host, port)), self.listen, 0))
        self.servers.append(server)
        return server.sockets[0].getsockname()[1]

    def _call(self, coroutine):  # noqa: ANN001, ANN202
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    async def _shutdown(self) -> None:
        for server in self.servers:
            server.close()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    def close(self) -> None:
        """Stop listening, end every connection, stop the thread."""
        self._call(self._shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
