"""Basic auth for a self-hosted Prefect server: one setting on the server, the same on clients.

Prefect 3.8.8 protects a server's whole API (and its UI, which asks for the string once) when
`PREFECT_SERVER_API_AUTH_STRING` is set on the process running `prefect server start`; every
client (workers, `prefect deploy`, the flows, the intake emitting events) then needs
`PREFECT_API_AUTH_STRING` with the same value. `GET /api/health` and `/api/ready` stay open for
probes. `PREFECT_API_KEY` takes precedence over the auth string (it is for Prefect Cloud), so a
client holding both fails with 401 against a self-hosted server.

`client_env` makes an environment for a child process follow those rules: the client setting
taken from the server's when only that one is given, and no API key beside an auth string.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

SERVER_SETTING = "PREFECT_SERVER_API_AUTH_STRING"
CLIENT_SETTING = "PREFECT_API_AUTH_STRING"
API_KEY = "PREFECT_API_KEY"


class AuthConfigError(ValueError):
    """The server and client auth strings disagree; the message says how."""


def client_auth_string(env: Mapping[str, str]) -> str | None:
    """The auth string a client should send: its own setting, else the server's."""
    value = env.get(CLIENT_SETTING) or env.get(SERVER_SETTING)
    return value or None


def client_env(env: Mapping[str, str]) -> dict[str, str]:
    """`env` for a process that talks to the server: the auth string set, no API key with it.

    Raises AuthConfigError when both strings are set and differ (every call would be a 401).
    """
    server, client = env.get(SERVER_SETTING), env.get(CLIENT_SETTING)
    if server and client and server != client:
        raise AuthConfigError(f"{SERVER_SETTING} and {CLIENT_SETTING} differ: the clients "
                              "would be refused (401); set them to the same value")
    out = dict(env)
    auth = client_auth_string(env)
    if auth:
        out[CLIENT_SETTING] = auth
        out.pop(API_KEY, None)  # an API key would be sent instead of the auth string
    return out


def basic_auth_header(auth_string: str) -> dict[str, str]:
    """The header Prefect's clients send for an auth string (`Basic base64(string)`)."""
    token = base64.b64encode(auth_string.encode("utf-8")).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def api_headers(env: Mapping[str, str]) -> dict[str, str]:
    """Headers for a plain HTTP call to the Prefect API: the basic auth header when set."""
    auth = client_auth_string(env)
    return basic_auth_header(auth) if auth else {}
