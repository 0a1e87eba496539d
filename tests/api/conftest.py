"""The API tests' fixtures (their helpers are in tests/support/)."""

from __future__ import annotations

import pytest

from tests.support.scenarios import ThreeCountries
from tests.support.stack import wait_indexed


@pytest.fixture
def journey(server, direct) -> ThreeCountries:
    """Three countries' parcels, hand-offs and certificates written directly on chain, and indexed."""
    direct.setup_world()
    j = ThreeCountries().run(direct)
    wait_indexed(server, direct)
    return j
