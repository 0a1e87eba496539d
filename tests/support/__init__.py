"""What the tests share: helpers only (fixtures live in conftest.py files; test modules import from here, never
from each other)."""
