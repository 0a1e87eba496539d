from conftest import UNSORTED


def test_a_producer_registers_a_parcel(ledger, world, mine):
    tx = ledger.registerParcel(12_345, 10, UNSORTED, "BW", b"\x01" * 32, sender=mine)
    assert ledger.parcel(1).holder == mine.address
    assert tx.events[0].points == 12_345
