"""Read API over real HTTP: every endpoint, positive and negative, and off-chain documents."""

from __future__ import annotations

import hashlib
import time

from tests.support.stack import signed


def test_health_reports_chain_and_index(server, direct, node):
    deadline = time.monotonic() + 20
    with server.client() as c:
        while (h := c.get("/healthz").json())["indexed_block"] < 0:  # -1: the first pass has not finished yet
            assert time.monotonic() < deadline, h
            time.sleep(0.1)
        config = c.get("/v1/config").json()
    assert h["chain_id"] == 31337 and h["lag"] >= 0 and h["indexed_block"] >= 0
    assert set(config["contracts"]) == {"KPRegistry", "KPLedger", "KPCertificates"}
    with server.client() as c:
        assert c.get("/openapi.json").status_code == 200
        assert c.get("/docs").status_code == 200


def test_participants_and_accounts(server, journey, direct):
    with server.client() as c:
        listing = c.get("/v1/participants").json()
        assert listing["count"] == 4
        assert [p["code"] for p in listing["data"]] == ["BW", "CA", "EU", "IN"]
        bw = c.get("/v1/participants/BW").json()
        assert bw["status"] == "active"
        assert {"address": direct.actors["mine"].address, "participant": "BW", "roles": ["producer", "exporter"],
                "name": "Mine Ltd", "licence_number": "L-mine", "registry_ref": ""} in bw["members"]
        account = c.get(f"/v1/accounts/{direct.actors['eu_trader'].address}").json()
        assert account["roles"] == ["exporter", "importer", "trader"] and account["name"] == "Eu Trader Ltd"
        assert [p["name"] for p in account["profile_changes"]] == ["Eu Trader Ltd"]
        assert c.get("/v1/participants/ZZ").json()["code"] == "ParticipantNotFound"
        assert c.get("/v1/participants/zz").status_code == 422


def test_a_participants_directory_is_searched_by_name_licence_and_role(server, journey, direct):
    """What the console's recipient picker reads: a participant's members found by part of a name or licence number
    (any case), among those holding one of the roles asked, by name, bounded."""
    mine, exporter = direct.actors["mine"].address, direct.actors["bw_exporter"].address
    with server.client() as c:
        def names(code: str, **params) -> tuple[list[str], int]:
            found = c.get(f"/v1/participants/{code}/members", params=params).json()
            return [m["name"] for m in found["data"]], found["count"]

        assert names("BW", q="mine") == (["Mine Ltd"], 1)
        assert names("BW", q="MINE") == (["Mine Ltd"], 1)  # any case
        assert names("BW", q="l-bw_exp") == (["Bw Exporter Ltd"], 1)  # by licence number
        assert names("BW") == (["Bw Exporter Ltd", "BW KP Authority", "Mine Ltd"], 3)  # everyone, by name
        assert names("BW", role="trader") == (["Bw Exporter Ltd"], 1)
        assert names("BW", role=["producer", "trader"]) == (["Bw Exporter Ltd", "Mine Ltd"], 2)  # any of the roles
        assert names("BW", role="importer") == ([], 0)  # no importer in Botswana: an offer across needs one
        assert names("EU", q="trader", role="importer") == (["Eu Trader Ltd"], 1)
        # no wildcards: plain text ("_" is in one licence number, L-bw_exporter)
        assert names("BW", q="%") == ([], 0) and names("BW", q="_") == (["Bw Exporter Ltd"], 1)
        assert names("BW", limit=1) == (["Bw Exporter Ltd"], 3)  # the first, and how many in all
        member = c.get("/v1/participants/BW/members", params={"q": "exporter"}).json()["data"][0]
        assert member == {"address": exporter, "participant": "BW", "roles": ["exporter", "trader"],
                          "name": "Bw Exporter Ltd", "licence_number": "L-bw_exporter", "registry_ref": ""}
        assert mine not in [m["address"] for m in c.get("/v1/participants/EU/members").json()["data"]]
        assert c.get("/v1/participants/ZZ/members").json()["code"] == "ParticipantNotFound"
        for bad in ({"role": "king"}, {"limit": 0}, {"limit": 51}, {"q": "x" * 121}):
            answer = c.get("/v1/participants/BW/members", params=bad)
            assert (answer.status_code, answer.json()["code"]) == (422, "InvalidRequest"), bad


def test_parcel_consignment_and_lot(server, journey, direct):
    ids = journey.ids
    with server.client() as c:
        parcel = c.get(f"/v1/parcels/{ids['for_india']}").json()
        assert parcel["holder"] == direct.actors["in_cutter"].address
        assert parcel["carats"] == "250.00" and parcel["points"] == 25_000
        assert parcel["origins"] == ["BW", "CA"] and parcel["mixed_origin"]
        consignment = c.get(f"/v1/consignments/{ids['in_consignment']}").json()
        assert consignment["status"] == "opened" and consignment["certificate"]["number"] == "EU0000001"
        assert c.get(f"/v1/lots/{ids['in_consignment']}").json()["kind"] == "consignment"
        assert c.get(f"/v1/lots/{ids['bw_rom']}").json()["status"] == "closed"
        missing = c.get("/v1/parcels/9999")
        assert (missing.status_code, missing.json()["code"]) == (404, "ParcelNotFound")
        assert c.get("/v1/parcels/0").status_code == 422
        assert c.get("/v1/parcels/abc").status_code == 404  # not a parcel path at all (ids are integers)


def test_provenance_over_http(server, journey):
    with server.client() as c:
        p = c.get(f"/v1/parcels/{journey.ids['for_india']}/provenance").json()
    assert [x["from_country"] + x["to_country"] for x in p["crossings"]] == ["BWEU", "CAEU", "EUIN"]
    assert p["verdict"]["status"] == "ok"
    assert p["timeline"][0]["kind"] == "registered" and p["timeline"][0]["to_country"] == "BW"


def test_certificate_lookup_and_document_verification(server, journey):
    with server.client() as c:
        cert = c.get("/v1/certificates/EU0000001").json()
        assert (cert["status"], cert["exporter"], cert["importer"], cert["origins"]) == (
            "confirmed", "EU", "IN", ["BW", "CA"])
        assert [p["id"] for p in cert["parcels"]] == [journey.ids["for_india"]]
        assert [h["event"] for h in cert["history"]] == ["CertificateIssued", "CertificateUsed", "ImportConfirmed"]
        document = journey.documents["EU0000001"]
        good = c.post("/v1/verify/certificates/EU0000001", content=document).json()
        assert good["matches"] and good["sha256"] == "0x" + hashlib.sha256(document).hexdigest()
        forged = c.post("/v1/verify/certificates/EU0000001", content=document + b" ").json()
        assert not forged["matches"]
        found = c.post("/v1/verify", content=journey.documents["BW0000001"]).json()
        assert found["found"] == [{"kind": "certificate", "reference": "BW0000001", "status": "confirmed",
                                   "match": "document"}]
        assert (found["verdict"]["code"], found["verdict"]["good"]) == ("confirmed", True)
        assert c.post("/v1/verify/parcels/1", content=b"run-of-mine BW").json()["matches"]
        assert c.get("/v1/certificates/XX0000001").json()["code"] == "CertificateNotFound"
        assert c.get("/v1/certificates/bad number").status_code == 422


def test_certificate_documents_are_served_only_to_the_parties(server, journey, direct):
    body = journey.documents["EU0000001"]
    path = "/v1/documents/certificates/EU0000001"
    eu_authority, in_cutter, outsider = (direct.actors[n] for n in ("eu_authority", "in_cutter", "outsider"))
    with server.client() as c:
        # filing needs a party and the anchored bytes
        assert c.put(path, content=body).json()["code"] == "AuthenticationRequired"
        wrong = c.put(path, content=b"other", headers=signed(server, eu_authority.key, "PUT", path, b"other"))
        assert (wrong.status_code, wrong.json()["code"]) == (422, "DocumentMismatch")
        stranger = c.put(path, content=body, headers=signed(server, outsider.key, "PUT", path, body))
        assert (stranger.status_code, stranger.json()["code"]) == (403, "NotEntitled")
        filed = c.put(path, content=body, headers=signed(server, eu_authority.key, "PUT", path, body))
        assert filed.json()["stored"]
        # anonymous readers never see it; parties do
        assert c.get(path).status_code == 401
        assert c.get(path, headers=signed(server, outsider.key, "GET", path)).status_code == 403
        stale = signed(server, in_cutter.key, "GET", path, timestamp=int(time.time()) - 3600)
        assert c.get(path, headers=stale).json()["code"] == "StaleRequest"
        forged = {**signed(server, outsider.key, "GET", path), "X-KP-Signer": in_cutter.address}
        assert c.get(path, headers=forged).json()["code"] == "InvalidSignature"
        seen = c.get(path, headers=signed(server, in_cutter.key, "GET", path))
        assert seen.status_code == 200 and seen.content == body
        assert c.get("/v1/documents/certificates/BW0000001",
                     headers=signed(server, eu_authority.key, "GET", "/v1/documents/certificates/BW0000001")
                     ).json()["code"] == "DocumentNotFiled"


def test_oversized_bodies_are_refused(server):
    with server.client() as c:
        write = c.post("/v1/parcels", content=b"x" * (64 * 1024 + 1))
        document = c.post("/v1/verify", content=b"x" * (4 * 1024 * 1024 + 1))
    assert (write.status_code, write.json()["code"]) == (413, "PayloadTooLarge")
    assert (document.status_code, document.json()["code"]) == (413, "PayloadTooLarge")


def test_oversized_chunked_bodies_are_refused(server):
    """A body streamed without Content-Length is counted as it arrives."""
    def chunks(total: int):
        for _ in range(total // 4096 + 1):
            yield b"x" * 4096

    with server.client() as c:
        write = c.post("/v1/parcels", content=chunks(64 * 1024 + 1), headers={"Content-Type": "application/json"})
        document = c.post("/v1/verify", content=chunks(4 * 1024 * 1024 + 1))
    assert (write.status_code, write.json()["code"]) == (413, "PayloadTooLarge")
    assert (document.status_code, document.json()["code"]) == (413, "PayloadTooLarge")
