"""Signed intake requests: HMAC-SHA256 over the timestamp and the body (for GET /help, the
query string as sent), checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

TIMESTAMP_HEADER = "X-Onetouch-Timestamp"
SIGNATURE_HEADER = "X-Onetouch-Signature"
SCHEME = "v1"
UNIX_TIME = re.compile(r"[1-9][0-9]{0,11}")  # seconds, ASCII digits, no sign, zeros or spaces


class SignatureRejected(Exception):
    """The request's signature is missing, wrong, stale or replayed; the message says which."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `v1=<hex>` signature of a body sent at a Unix timestamp."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SCHEME}={mac.hexdigest()}"


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers a sender adds to a request."""
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret, timestamp, body)}


def read_headers(secret: str, timestamp: int, path: str) -> dict[str, str]:
    """The headers that sign a GET of a path, percent-decoded (`/cases/case-c-100`)."""
    return signed_headers(secret, timestamp, path.encode())


def signed_query(secret: str, timestamp: int, params: Mapping[str, str] | Sequence[tuple[str, str]]
                 ) -> tuple[str, dict[str, str]]:
    """A URL-encoded query string and the headers signing its exact bytes (send it unchanged)."""
    query = urlencode(params)
    return query, signed_headers(secret, timestamp, query.encode())


def verify(secret: str, timestamp: str | None, given: str | None, body: bytes, now: float,
           max_skew_s: int) -> int:
    """The request's timestamp when its signature is right and fresh; else SignatureRejected."""
    if not secret:
        raise SignatureRejected("the intake has no signing secret configured")
    if not timestamp or not given:
        raise SignatureRejected(f"unsigned: {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} required")
    if not UNIX_TIME.fullmatch(timestamp):  # canonical decimal only: what the MAC covers
        raise SignatureRejected(f"{TIMESTAMP_HEADER} is not a Unix time")
    sent_at = int(timestamp)
    skew = abs(now - sent_at)
    if skew > max_skew_s:
        raise SignatureRejected(f"stale: sent {int(now - sent_at)} s from now, "
                                f"more than {max_skew_s} s")
    if not hmac.compare_digest(signature(secret, sent_at, body).encode(), given.encode()):
        raise SignatureRejected("wrong signature")
    return sent_at


def reader_refusal(secret: str, agent_token: str, headers: Mapping[str, str], path: bytes,
                   now: float, max_skew_s: int) -> str | None:
    """Why a read of a case is refused, or None: it must carry the agents' bearer token, or
    be signed like the intake's requests over its path, percent-decoded (`/cases/<id>`)."""
    bearer = headers.get("Authorization", "")
    if agent_token and bearer.startswith("Bearer "):
        if hmac.compare_digest(bearer.removeprefix("Bearer ").encode(), agent_token.encode()):
            return None
        return "wrong agent token"
    try:
        verify(secret, headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER), path, now,
               max_skew_s)
    except SignatureRejected as exc:
        return f"{exc} (sign the decoded path, or send the agents' bearer token)"
    return None
