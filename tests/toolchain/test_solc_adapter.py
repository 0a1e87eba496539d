"""The solc-js adapter behaves as native solc for py-solc-x and ape-solidity."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import solcx

ROOT = Path(__file__).resolve().parents[2]
VERSION = json.loads((ROOT / "package.json").read_text())["dependencies"]["solc"]
RELEASE_COMMIT = {"0.8.30": "73712a01"}  # the commit of the official 0.8.30 release (native and solc-js alike)

SOURCE = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
contract Probe is Ownable {
    uint256 private _x;
    event Set(uint256 x);
    constructor() Ownable(msg.sender) {}
    function set(uint256 x) external onlyOwner { _x = x; emit Set(x); }
}
"""


def standard_input() -> dict:
    return {
        "language": "Solidity",
        "sources": {"Probe.sol": {"content": SOURCE}},
        "settings": {
            "evmVersion": "shanghai",
            "optimizer": {"enabled": True, "runs": 200},
            "remappings": ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"],
            "outputSelection": {"*": {"*": ["evm.bytecode.object", "evm.deployedBytecode.object", "metadata"]}},
        },
    }


@pytest.fixture(scope="module")
def adapter(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("solcx")
    subprocess.run(
        ["python", str(ROOT / "scripts/toolchain/install_solc.py"), "--dir", str(target)],
        check=True, cwd=ROOT, capture_output=True,
    )
    return target / f"solc-v{VERSION}"


def compile_with(binary: Path) -> dict:
    return solcx.compile_standard(standard_input(), solc_binary=binary, base_path=str(ROOT), allow_paths=[str(ROOT)])


def test_it_answers_version_in_native_form(adapter):
    out = subprocess.run([adapter, "--version"], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[0] == "solc, the solidity compiler commandline interface"
    assert solcx.wrapper.get_version_str_from_solc_binary(adapter) == f"{VERSION}+commit.{RELEASE_COMMIT[VERSION]}"


def test_py_solc_x_lists_it_as_installed(adapter):
    assert [str(v) for v in solcx.get_installed_solc_versions(adapter.parent)] == [VERSION]


def test_it_compiles_standard_json_with_imports_and_native_flags(adapter):
    out = compile_with(adapter)
    probe = out["contracts"]["Probe.sol"]["Probe"]
    assert len(probe["evm"]["deployedBytecode"]["object"]) > 1000
    assert json.loads(probe["metadata"])["compiler"]["version"] == f"{VERSION}+commit.{RELEASE_COMMIT[VERSION]}"


def test_its_bytecode_is_what_solc_js_itself_produces(adapter):
    direct = subprocess.run(
        ["node", "-e", (
            "const solc=require('solc');const fs=require('fs');const path=require('path');"
            "const input=fs.readFileSync(0,'utf8');"
            "process.stdout.write(solc.compile(input,{import:(p)=>({contents:fs.readFileSync(path.resolve(p),'utf8')})}))"
        )],
        input=json.dumps(standard_input()), capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout
    expected = json.loads(direct)["contracts"]["Probe.sol"]["Probe"]["evm"]["deployedBytecode"]["object"]
    assert compile_with(adapter)["contracts"]["Probe.sol"]["Probe"]["evm"]["deployedBytecode"]["object"] == expected


def test_compiler_errors_come_back_as_solc_errors(adapter):
    bad = standard_input()
    bad["sources"]["Probe.sol"]["content"] = "pragma solidity ^0.8.0; contract X { function f( }"
    with pytest.raises(solcx.exceptions.SolcError):
        solcx.compile_standard(bad, solc_binary=adapter)


def test_unsupported_arguments_are_refused_loudly(adapter):
    result = subprocess.run([adapter, "--bin", "x.sol"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "unsupported argument --bin" in result.stderr


def native_solc() -> Path | None:
    """A native solc of the pinned version: KP_NATIVE_SOLC, or py-solc-x's download where there is internet."""
    if os.environ.get("KP_NATIVE_SOLC"):
        return Path(os.environ["KP_NATIVE_SOLC"])
    folder = ROOT / ".solcx-native"
    binary = folder / f"solc-v{VERSION}"
    try:
        solcx.install_solc(VERSION, solcx_binary_path=folder)
    except Exception:  # no route to the download host on this machine kind
        shutil.rmtree(folder, ignore_errors=True)
        return None
    # an ELF binary, not our launcher script
    return binary if binary.is_file() and binary.read_bytes()[:4] == b"\x7fELF" else None


def test_it_gives_the_same_bytecode_as_native_solc(adapter):
    native = native_solc()
    if native is None:
        pytest.skip("native solc cannot be downloaded here (set KP_NATIVE_SOLC to a native binary to compare)")
    ours = compile_with(adapter)["contracts"]["Probe.sol"]["Probe"]["evm"]
    theirs = compile_with(native)["contracts"]["Probe.sol"]["Probe"]["evm"]
    assert ours["bytecode"]["object"] == theirs["bytecode"]["object"]
    assert ours["deployedBytecode"]["object"] == theirs["deployedBytecode"]["object"]
