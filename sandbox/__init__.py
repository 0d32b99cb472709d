"""A local HTTP service implementing the platform contract (docs/platform-api.md)."""

from .app import create_app
from .server import SandboxServer, WorldFileError, read_world_file, run_sandbox

__all__ = ["SandboxServer", "WorldFileError", "create_app", "read_world_file", "run_sandbox"]
