"""Writes the console's pinned copy of the action table, `frontend-static/console/actions.js`, from the one table
(`kpledger.core.actions.ACTIONS`): `make console-actions` after changing an action.

The file is committed, not built: the pages have no build step and are deployed by copying the folder, what the
console signs then shows in review as a change to the console's own code, and `tests/pages/test_console.py` fails
while the committed file differs from what this script writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kpledger.core.actions import ACTIONS
from kpledger.core.constants import ROLES
from kpledger.dev.generated import write_if_changed
from kpledger.signing.typed_data import VERSION

TARGET = Path(__file__).resolve().parents[1] / "frontend-static" / "console" / "actions.js"

HEADER = """\
// GENERATED from the action table (backend/kpledger/core/actions.py) by scripts/console_actions.py: do not edit.
// `make console-actions` rewrites it; tests/pages/test_console.py fails while it differs from the table.
//
// What the console signs, pinned in its own code: every write action's EIP-712 primary type and field types, its
// contract (the domain's name, version EIP712_VERSION), path, and who signs it; the registry's role bits. The
// console compares GET /v1/actions with these rows and refuses an API that differs (console/deployment.js).
"""


def _row(row: dict) -> str:
    """One action: its scalars on one line, then one line per EIP-712 struct (a change reads as a one-line diff)."""
    head = json.dumps({key: value for key, value in row.items() if key != "types"}, ensure_ascii=True)[1:-1]
    types = ",\n".join(f"      {json.dumps(name)}: {json.dumps(fields)}" for name, fields in row["types"].items())
    return f'  {{{head},\n    "types": {{\n{types}\n    }}}}'


def render() -> str:
    """The module's text."""
    rows = ",\n".join(_row(a.listing()) for a in ACTIONS.values())
    return (f"{HEADER}\nexport const EIP712_VERSION = {json.dumps(VERSION)};\n\n"
            f"export const ROLES = {json.dumps(ROLES)};\n\n"
            f"export const ACTIONS = [\n{rows},\n];\n")


def main() -> int:
    return write_if_changed(TARGET, render(), f"{len(ACTIONS)} actions")


if __name__ == "__main__":
    sys.exit(main())
