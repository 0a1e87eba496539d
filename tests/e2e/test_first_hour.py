"""The README's "First hour" runs as printed: its shell blocks, verbatim, in one bash, from the repository's folder,
against a clean ledger served like `make run` serves it (development environment, the API on its own port given by
KP_API as the README says); then the ledger holds what the README says, the viewer shows it, and `make demo`'s
journey still loads beside it (other participants, a taken certificate number)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from kpledger.dev.demo import demo_status
from kpledger.dev.stack import ApiServer, LocalChain
from tests.support.browser import chromium

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MARK = "@@@ "


def first_hour_section(text: str) -> str:
    start = text.index("\n## First hour\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def commands(section: str) -> list[str]:
    """Every command of the section's ```sh blocks, in order (a line ending in a backslash continues)."""
    out: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
        pending = ""
        for line in block.splitlines():
            pending += line + "\n"
            if not line.endswith("\\"):
                if pending.strip():
                    out.append(pending.rstrip("\n"))
                pending = ""
        assert not pending, f"a block ends inside a command: {pending!r}"
    return out


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    data = tmp_path_factory.mktemp("first-hour") / "data"
    node = LocalChain(data)
    server = ApiServer(node.url, data, env={"KP_ENVIRONMENT": "development"})  # what `make run` runs
    yield node, server
    server.close()
    node.close()


@pytest.fixture(scope="module")
def walked(ledger, tmp_path_factory):
    """Runs the README's commands; returns each command with what it printed."""
    _, server = ledger
    home = tmp_path_factory.mktemp("home")
    cmds = commands(first_hour_section(README.read_text()))
    script = "set -eo pipefail\n" + "".join(f"printf '\\n{MARK}%d\\n' {i}\n{c}\n" for i, c in enumerate(cmds))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KP_") and k != "VIRTUAL_ENV"}
    env.update(HOME=str(home), KP_API=server.url)  # the README's own note for an API on another port
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=600)
    out = done.stdout.split(f"\n{MARK}")
    printed = {int(chunk.split("\n", 1)[0]): chunk.split("\n", 1)[1] if "\n" in chunk else ""
               for chunk in out[1:]}
    last = max(printed) if printed else -1
    assert done.returncode == 0, (f"README command failed: {cmds[last]!r}\n--- stdout\n{printed.get(last)}\n"
                                  f"--- stderr\n{done.stderr[-3000:]}")
    assert "Traceback" not in done.stderr, done.stderr
    assert last == len(cmds) - 1
    return [(cmd, printed[i]) for i, cmd in enumerate(cmds)], home


def answer_of(walked_cmds: list[tuple[str, str]], fragment: str) -> str:
    return next(out for cmd, out in walked_cmds if fragment in cmd)


def test_the_first_hour_commands_run_as_printed(walked):
    cmds, home = walked
    assert len(cmds) >= 25
    assert (home / "kp-first-hour" / "secretariat.json").exists()  # the walk-through's own folder, not the repo
    assert "parcel_id: 1" in answer_of(cmds, "parcel register")
    assert "consignment_id: 2" in answer_of(cmds, "consignment seal 1")
    assert "transferred: True" in answer_of(cmds, "custody accept 2")
    assert "ConfirmImport mined" in answer_of(cmds, "certificate confirm BW0000001")


def test_the_ledger_holds_what_the_readme_says(walked, ledger):
    cmds, home = walked
    _, server = ledger
    folder = home / "kp-first-hour"
    address = {name: out.splitlines()[0] for cmd, out in cmds for name in
               ("bw-authority", "eu-authority", "mine", "exporter", "importer")
               if cmd.startswith(f"kp key new --keystore {name}.json")}
    assert len(address) == 5 and all(a.startswith("0x") for a in address.values())
    with httpx.Client(base_url=server.url, timeout=30) as api:
        assert [(p["code"], p["status"]) for p in api.get("/v1/participants").json()["data"]] == [
            ("BW", "active"), ("EU", "active")]
        certificate = api.get("/v1/certificates/BW0000001").json()
        assert certificate["status"] == "confirmed"
        assert certificate["importer_account"] == address["importer"]
        assert certificate["exporter_account"] == address["exporter"]
        assert certificate["issued_by_name"] == "Government Diamond Valuator, Gaborone"
        assert certificate["importer_name"] == "Scheldt Rough Diamonds NV"
        assert certificate["document"]["filed"] is True  # composed, anchored, filed and printed by the authority
        printed = (folder / "BW0000001.pdf").read_bytes()
        assert printed.startswith(b"%PDF") and "0x" + hashlib.sha256(printed).hexdigest() == certificate["document"][
            "printed_sha256"]
        parcel = api.get("/v1/parcels/1").json()
        assert parcel["holder"] == address["importer"] and parcel["holder_name"] == "Scheldt Rough Diamonds NV"
        assert (parcel["carats"], parcel["stones"], parcel["origins"]) == ("5000.00", 2400, ["BW"])
        provenance = api.get("/v1/parcels/1/provenance").json()
        assert provenance["verdict"]["status"] == "ok"
        # the seals by the labels typed with --seal (kp sent them beside the ids it signed)
        assert certificate["seal_label"] == "BW-SEAL-0001"
        assert {(s["kind"], s["seal_label"]) for s in provenance["timeline"] if s["seal_id"]} == {
            ("offered", "BAG-0411"), ("transferred", "BAG-0411"), ("sealed", "BW-SEAL-0001"),
            ("offered", "BW-SEAL-0001"), ("transferred", "BW-SEAL-0001")}
        digest = "0x" + hashlib.sha256((folder / "rom-0411.txt").read_bytes()).hexdigest()
        assert api.post("/v1/verify/parcels/1", content=(folder / "rom-0411.txt").read_bytes(),
                        headers={"content-type": "application/octet-stream"}).json()["sha256"] == digest
    assert "ok" in answer_of(cmds, "parcel provenance 1")
    assert "confirmed" in answer_of(cmds, "certificate show BW0000001")
    assert "BW-SEAL-0001 (id 0x" in answer_of(cmds, "certificate show BW0000001")


def test_the_viewer_links_of_the_readme_show_it(walked, ledger):
    _, server = ledger
    links = re.findall(r"http://127\.0\.0\.1:8000(/#/\S+?)[,) ]", first_hour_section(README.read_text()))
    assert links == ["/#/lot/1", "/#/certificate/BW0000001"], links
    with chromium() as browser:
        page = browser.new_page()
        page.goto(server.url + links[0])
        page.wait_for_selector("#verdict[data-status='ok']", timeout=20_000)
        summary = page.inner_text("#verdict-summary")
        assert "every border crossing (1) covered by a confirmed KP certificate" in summary, summary
        page.goto(server.url + links[1])
        page.wait_for_function("() => document.body.innerText.includes('Import confirmed')", timeout=20_000)


def test_the_demo_loads_beside_the_first_hour(walked, ledger):
    """`make demo` on this data folder: BW and EU exist with other authorities, BW0000001 is taken, and the demo's
    companies are others than the first hour's: a licence number names one operator of a participant."""
    node, server = ledger
    line = demo_status(server.url, node.data_dir)
    assert line.startswith("demo loaded: final parcel "), line
    with httpx.Client(base_url=server.url, timeout=30) as api:
        for code, operators in (("BW", 4), ("EU", 2)):  # the first hour's and the demo's, each once
            members = [m for m in api.get(f"/v1/participants/{code}").json()["members"] if m["roles"] != ["authority"]]
            assert len({m["licence_number"] for m in members}) == len({m["name"] for m in members}) == len(members) \
                == operators, members
        assert api.get("/v1/certificates/BW0000002").json()["status"] == "confirmed"
        final = int(line.split("final parcel ")[1].split()[0])
        assert api.get(f"/v1/parcels/{final}/provenance").json()["verdict"]["status"] == "ok"
        assert api.get("/v1/certificates/BW0000001").json()["importer_name"] == "Scheldt Rough Diamonds NV"
