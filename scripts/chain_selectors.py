"""Writes the viewer's pinned copy of what it reads from the chain, `frontend-static/selectors.js`, from the build:
the selectors and output words of the views the viewer calls (the compiled ABIs, `.build/__local__.json`) and the
status enums' names (the contracts' interfaces). `make selectors` after changing one of those views or enums.

The file is committed, not built: the pages have no build step and are deployed by copying the folder; the viewer
needs no keccak to call a contract, and `tests/pages/test_selectors.py` fails while the committed file differs from
what this script writes.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from eth_utils import function_signature_to_4byte_selector

from kpledger.chain.contracts import abi_type
from kpledger.dev.generated import write_if_changed

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / ".build" / "__local__.json"
TARGET = ROOT / "frontend-static" / "selectors.js"
# the views the viewer calls (frontend-static/chain.js), by the name chain.js knows them by
VIEWS = (("parcel", "KPLedger", "parcel"), ("consignment", "KPLedger", "consignment"),
         ("certificate", "KPCertificates", "certificate"), ("certificates", "KPLedger", "certificates"))
ENUMS = (("ParcelStatus", "IKPLedger.sol"), ("ConsignmentStatus", "IKPLedger.sol"),
         ("CertificateStatus", "IKPCertificates.sol"))

HEADER = """\
// GENERATED from the build (.build/__local__.json) and the contracts' interfaces by scripts/chain_selectors.py: do not
// edit. `make selectors` rewrites it; tests/pages/test_selectors.py fails while it differs from the build.
//
// What the viewer calls on the chain (chain.js): each view's selector (keccak256 of its signature, first 4 bytes) and
// the names of the 32-byte words it answers, in order (its one static struct flattened); the status enums' names,
// by value.
"""


def _words(outputs: list[dict[str, Any]]) -> list[str]:
    """The names of the words of a static answer: a struct's fields, or the outputs themselves."""
    names: list[str] = []
    for o in outputs:
        if o["type"] == "tuple":
            names += _words(o["components"])
        elif o["type"] in ("string", "bytes") or o["type"].endswith("]"):
            raise ValueError(f"{o['name']}: a dynamic output is not one word")
        else:
            names.append(o["name"] or "value")
    return names


def _view(contract_abi: list[dict[str, Any]], contract: str, name: str) -> dict[str, Any]:
    [item] = [i for i in contract_abi if i["type"] == "function" and i["name"] == name]
    signature = f"{name}({','.join(abi_type(i) for i in item['inputs'])})"
    return {"contract": contract, "signature": signature,
            "selector": "0x" + function_signature_to_4byte_selector(signature).hex(), "words": _words(item["outputs"])}


def _enum(name: str, source: str) -> list[str]:
    """An enum's member names, lower-case, in declaration order (their values 0, 1, ...)."""
    text = (ROOT / "contracts" / "interfaces" / source).read_text()
    body = re.search(rf"enum\s+{name}\s*\{{([^}}]*)\}}", text)
    if body is None:
        raise ValueError(f"enum {name} not found in {source}")
    members = re.sub(r"//[^\n]*", "", body.group(1))
    return [m.strip().lower() for m in members.split(",") if m.strip()]


def render() -> str:
    """The module's text."""
    types = json.loads(MANIFEST.read_text())["contractTypes"]
    views = ",\n".join(f"  {key}: {json.dumps(_view(types[contract]['abi'], contract, name))}"
                       for key, contract, name in VIEWS)
    enums = ",\n".join(f"  {name}: {json.dumps(_enum(name, source))}" for name, source in ENUMS)
    return f"{HEADER}\nexport const VIEWS = {{\n{views},\n}};\n\nexport const ENUMS = {{\n{enums},\n}};\n"


def main() -> int:
    return write_if_changed(TARGET, render(), f"{len(VIEWS)} views, {len(ENUMS)} enums")


if __name__ == "__main__":
    sys.exit(main())
