"""Times at the boundary: UTC with a Z, as the platform contract says; anything else refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from onetouch.models import Deposit

DEPOSIT = ('{"id": "dep-1", "driver_id": "d-1", "amount_cents": 100, "method": "instant",'
           ' "status": "failed", "failure_reason": "bank_timeout", "created_at": %s}')


def test_a_z_time_is_utc_and_serialises_back_with_z():
    deposit = Deposit.model_validate_json(DEPOSIT % '"2026-11-20T18:00:00Z"')
    assert deposit.created_at == datetime(2026, 11, 20, 18, tzinfo=UTC)
    assert deposit.created_at.utcoffset().total_seconds() == 0
    assert '"created_at":"2026-11-20T18:00:00Z"' in deposit.model_dump_json()


@pytest.mark.parametrize(("text", "says"), [
    ('"2026-11-20T18:00:00"', "timezone"),
    ('"2026-11-20T20:00:00+02:00"', "offset of 0"),
    ('"yesterday"', "datetime"),
])
def test_a_time_without_utc_is_refused_naming_the_field(text, says):
    with pytest.raises(ValidationError) as caught:
        Deposit.model_validate_json(DEPOSIT % text)
    error = caught.value.errors()[0]
    assert error["loc"] == ("created_at",)
    assert says in error["msg"].lower()
