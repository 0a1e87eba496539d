"""The README's layout table matches the tree: every backend package, every test folder and every page folder is
named in it (`scripts/check_docs.py` checks the other way: every path it names exists)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def layout_paths(readme: str) -> set[str]:
    """Every backticked path of the Layout section's table (its first cell), a folder with its trailing slash;
    a cell such as "`tests/core/`, `signing/`" names `tests/signing/` too (a sibling of the first path)."""
    section = readme.split("\n## Layout", 1)[1].split("\n## ", 1)[0]
    named: set[str] = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = re.findall(r"`([^`]+)`", line.split(" | ", 1)[0])
        first = cells[0]
        base = first.rstrip("/").rsplit("/", 1)[0] + "/" if "/" in first.rstrip("/") else ""
        named.add(first)
        for cell in cells[1:]:
            named.add(cell if cell.startswith(("backend/", "tests/", "frontend-static/", "scripts/")) else base + cell)
    return named


def folders(parent: Path, *, packages_only: bool) -> list[str]:
    found = []
    for path in sorted(parent.iterdir()):
        if not path.is_dir() or path.name.startswith((".", "_")) or path.name in ("vendor", "screenshots", "lang"):
            continue
        if packages_only and not (path / "__init__.py").exists():
            continue
        found.append(path.relative_to(ROOT).as_posix() + "/")
    return found


def covered(folder: str, named: set[str]) -> bool:
    """A folder is covered when the table names it or a file or folder inside it."""
    return any(path == folder or path.startswith(folder) for path in named)


def test_every_backend_package_test_folder_and_page_folder_is_in_the_layout_table():
    named = layout_paths((ROOT / "README.md").read_text())
    expected = (folders(ROOT / "backend" / "kpledger", packages_only=True)
                + folders(ROOT / "tests", packages_only=False)
                + folders(ROOT / "frontend-static", packages_only=False))
    missing = [folder for folder in expected if not covered(folder, named)]
    assert not missing, f"not in the README's layout table: {missing}"


def test_a_folder_left_out_of_the_table_is_found():
    readme = (ROOT / "README.md").read_text()
    row = "| `backend/kpledger/relay/`"
    without_relay = "\n".join(line for line in readme.splitlines() if not line.startswith(row))
    assert not covered("backend/kpledger/relay/", layout_paths(without_relay))
    assert covered("backend/kpledger/relay/", layout_paths(readme))
