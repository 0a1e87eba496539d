"""Fixtures of the page tests."""

from __future__ import annotations

import pytest

from tests.support.console import PROFILES
from tests.support.writes import Api, setup_world


@pytest.fixture
def world(server, actors) -> Api:
    """The console journeys' cast licensed on the test server under the demo's company names (`PROFILES`)."""
    api = Api(server.url)
    setup_world(api, actors, PROFILES)
    return api
