"""The Python values that mirror a Solidity constant equal it: read from the contracts' source by a small reader
(private and internal constants have no getter), the reader itself checked against the compiled getters."""

from __future__ import annotations

import ast
import json
import operator
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from kpledger.core import actions, constants
from kpledger.relay import calls
from tests.support.stack import MANIFEST

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "contracts"

# `uint256 private constant _FINISH_GAS = 300_000;` (value up to the `;`, comments and strings never in it here)
DECLARATION = re.compile(r"^\s*(?:uint\d*|int\d*|bytes\d+)\s+(?:public|private|internal)\s+constant\s+"
                         r"(\w+)\s*=\s*([^;]+);", re.MULTILINE)
UNIT = re.compile(r"\b(\d[\d_]*)\s+(seconds|minutes|hours|days|weeks)\b")
SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86_400, "weeks": 604_800}
OPERATORS: dict[type, Callable[[int, int], int]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.LShift: operator.lshift,
    ast.BitOr: operator.or_, ast.BitAnd: operator.and_}
CONTAINER = re.compile(r"^\s*(?:abstract\s+)?(?:contract|library|interface)\s+(\w+)", re.MULTILINE)


def _evaluate(node: ast.AST, scope: dict[str, int], known: dict[str, int]) -> int:
    """An integer constant expression: literals, + - * << | &, and other constants by name or `Library.NAME`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        return OPERATORS[type(node.op)](_evaluate(node.left, scope, known), _evaluate(node.right, scope, known))
    if isinstance(node, ast.Name) and node.id in scope:
        return scope[node.id]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return known[f"{node.value.id}.{node.attr}"]
    raise ValueError(f"not an integer constant expression: {ast.unparse(node)}")


def solidity_constants() -> dict[str, int]:
    """`Container.NAME` -> value of every integer constant declared in contracts/ (keccak type hashes skipped);
    files read libraries first, so that a contract's `KPRoles.AUTHORITY` resolves."""
    known: dict[str, int] = {}
    # the project's own sources: not contracts/.cache/, where ape keeps its dependencies' (OpenZeppelin's)
    own = [p for p in SOURCES.rglob("*.sol") if not any(part.startswith(".") for part in p.relative_to(SOURCES).parts)]
    files = sorted(own, key=lambda p: (p.parent.name != "utils", str(p)))
    for path in files:
        text = path.read_text()
        containers = [(m.start(), m.group(1)) for m in CONTAINER.finditer(text)]
        scope: dict[str, int] = {}
        for m in DECLARATION.finditer(text):
            name, expression = m.group(1), m.group(2).strip()
            if "keccak256" in expression:
                continue
            container = [c for at, c in containers if at < m.start()][-1]
            expression = UNIT.sub(lambda u: f"({u.group(1)} * {SECONDS[u.group(2)]})", expression).replace("_", "")
            scope[name] = _evaluate(ast.parse(expression, mode="eval").body, scope, known)
            known[f"{container}.{name}"] = scope[name]
    return known


SOLIDITY = solidity_constants()


def _limit(kind: actions.Kind, key: str) -> int:
    """A field kind's bound as the API's JSON schema states it (maxLength, maxItems)."""
    return TypeAdapter(kind.schema).json_schema()[key]


# (what mirrors, its Python value, the Solidity constant)
MIRRORS: list[tuple[str, Callable[[], int], str]] = [
    ("relay.calls.ERC1271_GAS", lambda: calls.ERC1271_GAS, "KPIntents.ERC1271_GAS"),
    ("relay.calls.CALL_OVERHEAD (the batch's)", lambda: calls.CALL_OVERHEAD, "KPRelayBatch._CALL_OVERHEAD"),
    ("relay.calls.CALL_OVERHEAD (an ERC-1271 check's)", lambda: calls.CALL_OVERHEAD, "KPIntents._CALL_OVERHEAD"),
    ("relay.calls.FINISH_GAS", lambda: calls.FINISH_GAS, "KPRelayBatch._FINISH_GAS"),
    ("relay.calls.REPORT_GAS", lambda: calls.REPORT_GAS, "KPRelayBatch._REPORT_GAS"),
    ("core.actions.MAX_PARTS", lambda: actions.MAX_PARTS, "KPLedger._MAX_PARTS"),
    ("core.actions.ORIGINS (maxItems)", lambda: _limit(actions.ORIGINS, "maxItems"), "KPRegistry.MAX_PARTICIPANTS"),
    ("core.actions.LEGAL_NAME (maxLength)", lambda: _limit(actions.LEGAL_NAME, "maxLength"),
     "KPRegistry.MAX_NAME_LENGTH"),
    ("core.actions.LICENCE_NUMBER (maxLength)", lambda: _limit(actions.LICENCE_NUMBER, "maxLength"),
     "KPRegistry.MAX_LICENCE_LENGTH"),
    ("core.actions.REGISTRY_REF (maxLength)", lambda: _limit(actions.REGISTRY_REF, "maxLength"),
     "KPRegistry.MAX_REGISTRY_REF_LENGTH"),
    *((f"core.constants.ROLES[{name!r}]", (lambda bit=bit: bit), f"KPRoles.{name.upper()}")
      for name, bit in constants.ROLES.items()),
    ("core.constants.OPERATOR_ROLES", lambda: constants.OPERATOR_ROLES, "KPRoles.OPERATORS"),
    ("len(core.constants.ROLES)", lambda: len(constants.ROLES), "KPRoles.KINDS"),
]


@pytest.mark.parametrize(("python", "value", "solidity"), MIRRORS, ids=[m[0] for m in MIRRORS])
def test_python_mirror_equals_the_solidity_constant(python: str, value: Callable[[], int], solidity: str) -> None:
    assert solidity in SOLIDITY, f"{solidity} is not declared in contracts/ any more: update {python}"
    assert value() == SOLIDITY[solidity], f"{python} = {value()} but {solidity} = {SOLIDITY[solidity]}"


def test_python_hs_codes_are_the_contracts_headings() -> None:
    """HsCodes.fromCode's six-digit headings, by the library's constant they map to, are core.constants' codes."""
    text = (SOURCES / "utils" / "HsCodes.sol").read_text()
    headings = {name: int(code) for code, name in re.findall(r"hsCode == (\d+)\) return (\w+);", text)}
    assert headings == {"UNSORTED": constants.UNSORTED, "INDUSTRIAL": constants.INDUSTRIAL,
                        "NON_INDUSTRIAL": constants.NON_INDUSTRIAL}
    assert set(headings.values()) == set(constants.HS_CODES)


def test_the_reader_reads_units_shifts_and_references() -> None:
    assert SOLIDITY["KPRegistry.MAX_CERTIFICATE_VALIDITY"] == 365 * 86_400  # `365 days`
    assert SOLIDITY["KPRoles.MANUFACTURER"] == 32  # `1 << 5`
    assert SOLIDITY["KPRegistry.ROLE_TRADER"] == SOLIDITY["KPRoles.TRADER"]  # `= KPRoles.TRADER`


def test_the_reader_agrees_with_every_public_constant_of_the_build(node) -> None:
    """Each public constant the compiler made a getter for, read from the deployed contract, is what the reader
    computed from the source (so that the reader cannot be wrong about the private ones in the same forms)."""
    types = json.loads(MANIFEST.read_text())["contractTypes"]
    compared = 0
    for contract, instance in (("KPRegistry", node.registry), ("KPLedger", node.ledger),
                               ("KPCertificates", node.certificates)):
        for item in types[contract]["abi"]:
            name = item.get("name", "")
            if item["type"] != "function" or item["inputs"] or not re.fullmatch(r"[A-Z][A-Z0-9_]+", name):
                continue
            declared = [v for k, v in SOLIDITY.items() if k.endswith(f".{name}")]
            if not declared:
                continue  # a getter of a keccak type hash or a non-integer constant
            assert getattr(instance.functions, name)().call() in declared, f"{contract}.{name}"
            compared += 1
    assert compared >= 10
