"""`make lint`'s ESLint on the static pages: the tree is clean, and the configuration catches what it is there for
(an undefined name, an unused variable, a loose comparison) in a page module, so a clean run means something."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ESLINT = ROOT / "node_modules" / ".bin" / "eslint"
CONFIG = "scripts/eslint.config.mjs"

pytestmark = pytest.mark.skipif(not ESLINT.exists(), reason="npm packages not installed (make setup)")


def eslint(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ESLINT), "-c", CONFIG, *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=120)


def test_the_pages_are_clean():
    result = eslint("frontend-static")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("source", "rule"), [
    ("export function f() { return undefinedThing; }\n", "no-undef"),
    ("export function f() { const unused = 1; return 2; }\n", "no-unused-vars"),
    ("export function f(a) { return a == 1; }\n", "eqeqeq"),
    ("export function f(a) { var b = a; return b; }\n", "no-var"),
])
def test_a_planted_mistake_in_a_page_module_fails_the_lint(source, rule):
    result = eslint("--stdin", "--stdin-filename", "frontend-static/console/planted.js", stdin=source)
    assert result.returncode == 1, result.stdout + result.stderr
    assert rule in result.stdout


@pytest.mark.parametrize("folder", ["frontend-static/vendor", "frontend-static/verify/vendor"])
def test_the_vendored_libraries_are_not_linted(folder):
    result = eslint("--stdin", "--stdin-filename", f"{folder}/planted.js", stdin="var x = undefinedThing;\n")
    assert "no-undef" not in result.stdout
