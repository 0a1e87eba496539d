"""`make lint`'s type check of the backend (mypy, `[tool.mypy]` in pyproject.toml): the package is clean, and the
configuration catches what it is there for (an optional used as if present, a wrong argument type, a mistake inside
an unannotated function, a call that does not match a pydantic model), so a clean run means something."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("mypy", reason="dev packages not installed (make setup)")


def mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def test_the_backend_type_checks_clean():
    result = mypy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


@pytest.mark.parametrize(("source", "code"), [
    # KP_METRICS_TOKEN is optional: its value cannot be read without checking that it is set
    ("from kpledger.core.config import Settings\n"
     "def token(s: Settings) -> str:\n    return s.metrics_token.get_secret_value()\n", "union-attr"),
    ("from kpledger.core.seals import seal_id_of\nseal_id_of(42)\n", "arg-type"),
    # check_untyped_defs: the body of a function without annotations is checked too
    ("def f():\n    x: int = 'not a number'\n    return x\n", "assignment"),
    # pydantic's plugin: a strict model's constructor takes its fields and nothing else
    ("from kpledger.api.schemas.writes import Envelope\n"
     "Envelope(signer='0x', nonce=1, deadline=1, signature='0x', nonse=2)\n", "call-arg"),
])
def test_a_planted_mistake_fails_the_type_check(source, code, tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(source)
    result = mypy(str(planted))  # checked with the project's configuration (run from the root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"[{code}]" in result.stdout, result.stdout
