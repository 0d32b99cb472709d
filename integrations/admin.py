"""Administration of the sandbox platform (not part of a real platform)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from integrations.errors import InvalidResponse
from integrations.platform import BaseClient
from onetouch.models import World, format_utc


class SandboxAdmin(BaseClient):
    """Load worlds, read state, move the clock and inject faults in the sandbox."""

    def load_world(self, world: World) -> None:
        """Replace all sandbox state with a world; the clock becomes the world's now."""
        self._http.put("/admin/world", world.model_dump(mode="json"))

    def state(self) -> dict[str, Any]:
        """The sandbox's full state: every entity list plus notifications and now."""
        data = self._http.get("/admin/state")
        if not isinstance(data, dict):
            raise InvalidResponse("GET /admin/state: expected a JSON object")
        return data

    def set_clock(self, now: datetime) -> None:
        """Set the sandbox clock."""
        if now.tzinfo is None:
            raise ValueError("now must carry a timezone")
        self._http.put("/admin/clock", {"now": format_utc(now)})

    def set_faults(self, faults: dict[str, Any]) -> None:
        """Inject faults per route, e.g. {"seed": 1, "routes": {"*": {"error_rate": 0.3}}}."""
        self._http.put("/admin/faults", faults)

    def faults(self) -> dict[str, Any]:
        """The faults in force and the count injected so far."""
        faults: dict[str, Any] = self._http.get("/admin/faults")
        return faults

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self._http.delete("/admin/faults")
