"""The deployed contracts as web3.py objects: ABIs from the build manifest, addresses from the deployment record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_typing import ChecksumAddress
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.middleware import ExtraDataToPOAMiddleware

from kpledger.chain import messages
from kpledger.chain.jsonrpc import JsonRpc
from kpledger.core.config import Settings
from kpledger.core.errors import ChainRefusal, KPError

CONTRACTS = ("KPRegistry", "KPLedger", "KPCertificates")
BATCH = "KPRelayBatch"
RECORD_KEYS = {"KPRegistry": "registry", "KPLedger": "ledger", "KPCertificates": "certificates"}


class BuildMissing(KPError):
    code = "BuildMissing"


def abi_type(param: dict[str, Any]) -> str:
    """Canonical ABI type of a parameter, tuples expanded (for selectors and decoding)."""
    t = param["type"]
    if t.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param["components"])
        return f"({inner}){t[5:]}"
    return t


@dataclass(frozen=True)
class ErrorSpec:
    name: str
    inputs: tuple[dict[str, Any], ...]
    notice: str

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(abi_type(i) for i in self.inputs)})"


def _jsonable(value: Any, typ: str = "") -> Any:
    """An ABI value as JSON: ISO codes (bytes2) as text, addresses checksummed, other bytes as 0x-hex."""
    if typ == "bytes2" and isinstance(value, bytes):
        return value.rstrip(b"\x00").decode("ascii", "replace")
    if typ == "address":
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class Artifacts:
    """ABIs and NatSpec of the ledger's contracts, read from Ape's build manifest."""

    def __init__(self, manifest: Path):
        if not manifest.exists():
            raise BuildMissing(f"{manifest} not found: run `make compile`")
        types = json.loads(manifest.read_text())["contractTypes"]
        self.abis: dict[str, list[dict[str, Any]]] = {n: types[n]["abi"] for n in CONTRACTS}
        if BATCH in types:
            self.abis[BATCH] = types[BATCH]["abi"]
        self._errors: dict[bytes, ErrorSpec] = {}
        for name in self.abis:
            notices = (types[name].get("userdoc") or {}).get("errors", {})
            for item in self.abis[name]:
                if item["type"] != "error":
                    continue
                spec = ErrorSpec(item["name"], tuple(item["inputs"]), "")
                notice = (notices.get(spec.signature) or [{}])[0].get("notice", spec.name)
                spec = ErrorSpec(spec.name, spec.inputs, notice)
                self._errors[function_signature_to_4byte_selector(spec.signature)] = spec

    def decode_error(self, data: bytes) -> ChainRefusal:
        """The refusal a revert's data encodes (custom errors of any of the three contracts)."""
        spec = self._errors.get(bytes(data[:4]))
        if spec is None:
            if data[:4] == bytes.fromhex("08c379a0"):
                (reason,) = abi_decode(["string"], data[4:])
                return ChainRefusal(reason, code="Reverted")
            return ChainRefusal("the contract refused the call without a known reason", code="Reverted",
                                details={"data": "0x" + bytes(data).hex()})
        values = abi_decode([abi_type(i) for i in spec.inputs], data[4:])
        pairs = enumerate(zip(spec.inputs, values, strict=True))
        details = {i["name"] or f"arg{n}": _jsonable(v, i["type"]) for n, (i, v) in pairs}
        return ChainRefusal(messages.message(spec.name, details) or spec.notice, code=spec.name, details=details)


@dataclass(frozen=True)
class Deployment:
    chain_id: int
    registry: ChecksumAddress
    ledger: ChecksumAddress
    certificates: ChecksumAddress
    start_block: int
    batch: ChecksumAddress | None = None  # KPRelayBatch: the relayer packs requests into batch transactions if any

    @classmethod
    def load(cls, path: Path) -> Deployment:
        if not path.exists():
            raise BuildMissing(f"{path} not found: deploy first (`make run` or `ape run deploy`)")
        r = json.loads(path.read_text())
        batch = r.get("batch")
        return cls(r["chainId"], to_checksum_address(r["registry"]), to_checksum_address(r["ledger"]),
                   to_checksum_address(r["certificates"]), int(r.get("startBlock", 0)),
                   to_checksum_address(batch) if batch else None)

    def address(self, contract: str) -> ChecksumAddress:
        return getattr(self, RECORD_KEYS[contract])


class Chain:
    """web3 connection plus the three contracts; the single entry point to the chain."""

    def __init__(self, settings: Settings, artifacts: Artifacts | None = None, deployment: Deployment | None = None):
        self.settings = settings
        self.artifacts = artifacts or Artifacts(settings.build_manifest)
        self.deployment = deployment or Deployment.load(settings.deployment_file)
        self.w3 = Web3(HTTPProvider(settings.rpc_url, request_kwargs={"timeout": 30}))
        # the relayer's and the indexer's calls: plain JSON-RPC, batched where it saves round trips
        self.rpc = JsonRpc(settings.rpc_url, timeout=30)
        if settings.poa_chain:
            self.w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)

    def contract(self, name: str) -> Contract:
        return self.w3.eth.contract(address=self.deployment.address(name), abi=self.artifacts.abis[name])

    @cached_property
    def registry(self) -> Contract:
        return self.contract("KPRegistry")

    @cached_property
    def ledger(self) -> Contract:
        return self.contract("KPLedger")

    @cached_property
    def certificates(self) -> Contract:
        return self.contract("KPCertificates")

    @property
    def addresses(self) -> dict[str, str]:
        return {name: self.deployment.address(name) for name in CONTRACTS}
