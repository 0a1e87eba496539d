"""The viewer's selectors and status names come from the build: frontend-static/selectors.js is what
scripts/chain_selectors.py writes from the compiled ABIs and the interfaces (stale: run `make selectors`), chain.js
pastes no selector of its own, and a real node answers each selector with the words the module names."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "frontend-static"


def generator():
    spec = importlib.util.spec_from_file_location("chain_selectors", ROOT / "scripts" / "chain_selectors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_module_is_what_the_build_gives() -> None:
    g = generator()
    assert g.TARGET == STATIC / "selectors.js"
    assert g.TARGET.read_text() == g.render(), (
        "frontend-static/selectors.js differs from the build: run `make selectors`")


def test_chain_js_imports_its_selectors_and_statuses_instead_of_pasting_them() -> None:
    text = (STATIC / "chain.js").read_text()
    assert 'from "./selectors.js"' in text
    assert not re.findall(r"0x[0-9a-fA-F]{8}\b", text), "a hex selector pasted into chain.js"
    assert not re.findall(r'\d+: "(?:none|live|sealed|issued)"', text), "a status table pasted into chain.js"


def test_a_node_answers_each_selector_with_the_words_named(node) -> None:
    g = generator()
    views = {key: g._view(node.contracts[contract].abi, contract, name) for key, contract, name in g.VIEWS}
    ledger, certificates = node.ledger.address, node.certificates.address

    def call(to: str, data: str) -> str:
        return node.w3.eth.call({"to": to, "data": data}).hex().removeprefix("0x")

    answer = call(ledger, views["certificates"]["selector"])
    assert len(answer) == 64 * len(views["certificates"]["words"])
    assert int(answer, 16) == int(certificates, 16)
    for key, to, argument in (("parcel", ledger, f"{0:064x}"), ("consignment", ledger, f"{0:064x}"),
                              ("certificate", certificates, f"{32:064x}{0:064x}")):
        answer = call(to, views[key]["selector"] + argument)
        assert len(answer) == 64 * len(views[key]["words"]), key
