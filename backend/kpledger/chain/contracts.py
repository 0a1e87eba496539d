"""The deployed contracts as web3.py objects: ABIs from the build manifest, addresses from the deployment record."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_typing import ChecksumAddress
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from kpledger.chain import abi, messages
from kpledger.chain.jsonrpc import JsonRpc
from kpledger.core.config import Settings
from kpledger.core.errors import ChainRefusal, KPError

if TYPE_CHECKING:  # web3.py is imported by the tools that use it, not by the backend
    from web3 import Web3
    from web3.contract import Contract

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
        self._functions: dict[tuple[str, str, int], tuple[bytes, dict[str, Any]]] = {}
        for name in self.abis:
            notices = (types[name].get("userdoc") or {}).get("errors", {})
            for item in self.abis[name]:
                if item["type"] != "error":
                    continue
                spec = ErrorSpec(item["name"], tuple(item["inputs"]), "")
                notice = (notices.get(spec.signature) or [{}])[0].get("notice", spec.name)
                spec = ErrorSpec(spec.name, spec.inputs, notice)
                self._errors[function_signature_to_4byte_selector(spec.signature)] = spec

    def function(self, contract: str, name: str, arity: int) -> tuple[bytes, dict[str, Any]]:
        """(selector, ABI item) of a contract's function by name and number of arguments (KeyError if none)."""
        found = self._functions.get((contract, name, arity))
        if found is None:
            items = [i for i in self.abis[contract]
                     if i["type"] == "function" and i["name"] == name and len(i["inputs"]) == arity]
            if len(items) != 1:
                raise KeyError(f"{contract} has no function {name} of {arity} arguments")
            signature = f"{name}({','.join(abi_type(i) for i in items[0]['inputs'])})"
            found = (function_signature_to_4byte_selector(signature), items[0])
            self._functions[(contract, name, arity)] = found
        return found

    def decode_error(self, data: bytes) -> ChainRefusal:
        """The refusal a revert's data encodes (custom errors of any of the three contracts)."""
        spec = self._errors.get(bytes(data[:4]))
        if spec is None:
            if data[:4] == bytes.fromhex("08c379a0"):
                (reason,) = abi.decode(["string"], data[4:])
                return ChainRefusal(reason, code="Reverted")
            return ChainRefusal("the contract refused the call without a known reason", code="Reverted",
                                details={"data": "0x" + bytes(data).hex()})
        values = abi.decode([abi_type(i) for i in spec.inputs], data[4:])
        pairs = enumerate(zip(spec.inputs, values, strict=True))
        details = {i["name"] or f"arg{n}": abi.to_json(v, i) for n, (i, v) in pairs}
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
    """The deployed contracts and the one JSON-RPC client the backend talks to its node with (`rpc`)."""

    def __init__(self, settings: Settings, artifacts: Artifacts | None = None, deployment: Deployment | None = None):
        self.settings = settings
        self.artifacts = artifacts or Artifacts(settings.build_manifest)
        self.deployment = deployment or Deployment.load(settings.deployment_file)
        # every call of the backend's: plain JSON-RPC, batched where it saves round trips
        self.rpc = JsonRpc(settings.rpc_url, timeout=30)

    def call_data(self, contract: str, function: str, args: Sequence[Any] = ()) -> str:
        """0x-hex calldata of `contract.function(args)` (the function by name and arity, from the build's ABI)."""
        selector, item = self.artifacts.function(contract, function, len(args))
        return "0x" + (selector + abi.encode([abi_type(i) for i in item["inputs"]], list(args))).hex()

    def view(self, contract: str, function: str, *args: Any) -> Any:
        """The answer of a view function at the latest block, as JSON (one output as itself, several as a list);
        ChainUnavailable or RpcError (a revert: its data) as `rpc` raises them."""
        _selector, item = self.artifacts.function(contract, function, len(args))
        answer = self.rpc.call("eth_call", [{"to": self.deployment.address(contract),
                                             "data": self.call_data(contract, function, args)}, "latest"])
        outputs = item["outputs"]
        values = abi.decode([abi_type(o) for o in outputs], bytes.fromhex(answer[2:]))
        out = [abi.to_json(v, o) for v, o in zip(values, outputs, strict=True)]
        return out[0] if len(out) == 1 else out

    # ------------------------------------------------------------ web3.py, for tools and tests (not the backend)

    @cached_property
    def w3(self) -> Web3:
        """A web3.py connection to the same node, made on first use: deployment, scripts, benchmarks and tests use its
        contract objects; the backend itself calls through `rpc`, `call_data` and `view`."""
        from web3 import HTTPProvider, Web3
        from web3.middleware import ExtraDataToPOAMiddleware

        w3 = Web3(HTTPProvider(self.settings.rpc_url, request_kwargs={"timeout": 30}))
        if self.settings.poa_chain:
            w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
        return w3

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
