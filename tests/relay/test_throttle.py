"""The relayer's per-signer throttle on its own, with a clock the test moves (no chain needed)."""

from __future__ import annotations

import math

import pytest

from kpledger.core.errors import SignerThrottled
from kpledger.relay import throttle as t
from kpledger.relay.throttle import Throttle

A, B = "0x" + "aa" * 20, "0x" + "bb" * 20


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_refusals_are_charged_their_gas_and_a_signer_over_its_allowance_waits_alone(clock: Clock) -> None:
    throttle = Throttle(clock)
    for _ in range(99):  # 99 refusals of 100k gas: 9.9M, within the allowance
        throttle.refused(A, 100_000, "KPLedgerNotHolder")
    throttle.check(A)
    throttle.refused(A, 2_500_000, "KPLedgerCaratsNotConserved")  # 12.4M: 2.4M over
    wait = math.ceil(2_400_000 / t.REFILL_PER_SECOND)
    with pytest.raises(SignerThrottled) as refused:
        throttle.check(A)
    assert (refused.value.status, refused.value.code) == (429, "SignerThrottled")
    assert refused.value.details == {"signer": A, "retry_after": wait} and refused.value.retry_after == wait
    throttle.check(B)  # the others are served
    clock.now += wait - 1
    assert throttle.retry_after(A) == 1
    clock.now += 1
    throttle.check(A)


def test_refusals_anyone_can_provoke_with_an_old_signature_are_not_charged(clock: Clock) -> None:
    throttle = Throttle(clock)
    for code in t.NOT_CHARGED:
        throttle.refused(A, 10 * t.ALLOWANCE, code)
        throttle.failed_on_chain(A, 10 * t.ALLOWANCE, code)
    throttle.check(A)


def test_each_failure_on_chain_doubles_the_next_ones_charge_until_forgiven(clock: Clock) -> None:
    throttle = Throttle(clock)
    bound = 250_000  # a contract signer's call
    charge = bound * t.ON_CHAIN_WEIGHT
    waits = []
    for _ in range(4):
        throttle.failed_on_chain(A, bound, "KPIntentInvalidSignature")
        waits.append(throttle.retry_after(A))
        clock.now += waits[-1]  # it waits exactly as told, then fails on chain again
    assert waits[0] == math.ceil((charge - t.ALLOWANCE) / t.REFILL_PER_SECOND)
    # each time: what it still owes (the allowance) plus twice the previous charge
    assert waits[1:] == [math.ceil(charge * 2**k / t.REFILL_PER_SECOND) for k in range(1, 4)]
    throttle.check(B)
    # an hour without a failure on chain forgives one: the next charge doubles three times, not four
    clock.now += t.STRIKE_MEMORY + t.ALLOWANCE / t.REFILL_PER_SECOND  # and the allowance drained too
    throttle.failed_on_chain(A, bound, "KPIntentInvalidSignature")
    assert throttle.retry_after(A) == math.ceil((charge * 2**3 - t.ALLOWANCE) / t.REFILL_PER_SECOND)


def test_signers_that_owe_nothing_are_forgotten_when_many_are_tracked(clock: Clock,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(t, "PRUNE_OVER", 3)
    throttle = Throttle(clock)
    throttle.refused(A, 2 * t.ALLOWANCE, "KPLedgerNotHolder")  # still owes after a second
    for i in range(2):
        throttle.refused(f"0x{i:040x}", 1_000, "KPLedgerNotHolder")  # paid off within a second
    clock.now += 1
    throttle.refused(B, 1_000, "KPLedgerNotHolder")  # the fourth: the paid-off two are dropped
    assert set(throttle._debts) == {A, B}
    assert throttle.retry_after(A) > 0
