"""Fee bumping for the relayer's stuck transactions: when to re-sign a journaled transaction, and at what fees.

Pure functions (no chain, no journal); `Sender.replacement` and `Sender.replace` apply them. The rule:

* A transaction is *stuck* when it was sent at least `stuck_after` seconds ago, has no receipt under any hash
  signed for its nonce, its nonce is the relayer's next one on chain (`eth_getTransactionCount(latest)`: the
  lowest unmined; later ones wait behind it, and each is bumped in turn once it is the lowest), and its price is
  the reason: its max fee is below the base fee of the next block, or its tip is below what the node suggests
  now. A transaction the node does not know at all (`eth_getTransactionByHash` is null) is re-sent unchanged
  first (the relayer already does that): a bump is for a price problem, not a lost transaction.
* The replacement keeps everything but the fees (same nonce, recipient, calldata and gas limit), so at most
  one of the signed versions can ever be mined: the nonce is the exactly-once guarantee, as for re-sends.
* New fees, with `bump` percent (10, the default of geth's and Besu's `--tx-pool-price-bump` on a priced
  network), satisfy every pool's replacement rule at once:
    - geth / anvil / Hardhat (EIP-1559): new max fee >= old max fee * (100 + bump) / 100 and new tip >= old
      tip * (100 + bump) / 100 (anvil accepted +5 % here; Hardhat refused +5 % and accepted +10 %);
    - Besu (TransactionReplacementByFeeMarketRule): new effective price * 100 > old effective price *
      (100 + bump) and new effective tip >= old effective tip, where effective price = min(max fee, base fee +
      tip) at the current base fee. A +10 % tip alone does not raise the effective price by 10 % when the base
      fee dominates, so the tip is raised further when needed;
    - includable: the new max fee is at least twice the current base fee plus the tip (the relayer's usual
      headroom), so it survives several blocks of rising base fee.
  Each is met with a strict margin (+1 wei) so both ">=" and ">" implementations accept it.
* A replacement whose fee would exceed `max_fee_cap` (wei per gas; the operator's budget, also Besu's
  `--rpc-tx-feecap` on max fee * gas) is not signed: the caller reports it and keeps waiting.
* Free-gas networks (base fee 0 and the transaction's fees 0, Besu `zeroBaseFee` / `--min-gas-price=0`): never
  bumped. Nothing is stuck for its price there, and Besu refuses a replacement whose effective price is 0
  (its price bump is 0 on such networks). Re-sending the same transaction is the only remedy.

The journal must keep every hash signed for a nonce (the original and each replacement, with its raw
transaction) and settle the row from whichever has a receipt: a replacement that did not reach the block
producer in time leaves the original to be mined. The replacement is journaled (fsync) before it is sent, as
the original was; after a crash the reconciler re-sends the latest version.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_BUMP_PERCENT = 10
FALLBACK_TIP = 10**9  # 1 gwei, when the node suggests nothing on a priced network


@dataclass(frozen=True)
class Fees:
    """EIP-1559 fees of a transaction, wei per gas."""

    max_fee: int
    tip: int

    def __post_init__(self) -> None:
        if self.max_fee < 0 or self.tip < 0:
            raise ValueError("fees are never negative")
        if self.tip > self.max_fee:
            raise ValueError(f"tip {self.tip} above max fee {self.max_fee}")

    def effective_price(self, base_fee: int) -> int:
        """What one gas costs in a block with `base_fee`: min(max fee, base fee + tip)."""
        return min(self.max_fee, base_fee + self.tip)

    def effective_tip(self, base_fee: int) -> int:
        """What the block producer gets per gas (0 when the max fee does not cover the base fee)."""
        return max(0, min(self.tip, self.max_fee - base_fee))

    def includable(self, base_fee: int) -> bool:
        return self.max_fee >= base_fee


def bumped(value: int, percent: int = DEFAULT_BUMP_PERCENT) -> int:
    """The least integer strictly above value * (100 + percent) / 100 (strict: Besu compares with >)."""
    return value * (100 + percent) // 100 + 1


def initial_fees(base_fee: int, suggested_tip: int | None, gas_price: int | None = None) -> Fees:
    """The relayer's first fees (`Sender.fees`): max fee 2 * base + tip, with the tip the node suggests
    (`eth_maxPriorityFeePerGas`).

    When the node has no `eth_maxPriorityFeePerGas` (Besu before it implemented the method, besu#5658), the tip
    is what `eth_gasPrice` (a standard method; Besu bounds it below by `--min-gas-price`) adds to the base fee,
    not a fixed 1 gwei: on a free-gas Besu network (base fee 0, `--min-gas-price=0`) that is a zero tip, and the
    relayer needs no balance; a fixed 1 gwei would make every send need 1 gwei * gas in the relayer's account.
    Without either answer: 0 on a zero base fee, else 1 gwei."""
    tip = suggested_tip
    if tip is None and gas_price is not None:
        tip = max(0, gas_price - base_fee)
    if tip is None:
        tip = 0 if base_fee == 0 else FALLBACK_TIP
    return Fees(max_fee=2 * base_fee + tip, tip=tip)


def is_free_gas(base_fee: int, fees: Fees) -> bool:
    return base_fee == 0 and fees.max_fee == 0


def is_stuck(*, sent_age: float, stuck_after: float, nonce: int, chain_nonce: int, has_receipt: bool,
             known_to_node: bool, fees: Fees, next_base_fee: int, suggested_tip: int) -> bool:
    """Whether a sent transaction should be replaced with higher fees now (see the module docstring)."""
    if has_receipt or not known_to_node or sent_age < stuck_after or nonce != chain_nonce:
        return False
    if is_free_gas(next_base_fee, fees):
        return False
    return not fees.includable(next_base_fee) or fees.tip < suggested_tip


def replacement_fees(old: Fees, base_fee: int, suggested_tip: int, *, bump: int = DEFAULT_BUMP_PERCENT,
                     max_fee_cap: int | None = None) -> Fees | None:
    """Fees for a replacement of `old` that every pool accepts and the next block can include; None when no
    replacement should be signed (free gas, or the fee would exceed `max_fee_cap`)."""
    if bump < 0:
        raise ValueError("bump is a non-negative percentage")
    if is_free_gas(base_fee, old):
        return None
    tip = max(bumped(old.tip, bump), suggested_tip)
    # Besu: the new effective price (base + tip, as the max fee below covers it) must exceed the old one by bump %
    tip = max(tip, bumped(old.effective_price(base_fee), bump) - base_fee)
    max_fee = max(bumped(old.max_fee, bump), 2 * base_fee + tip)
    new = Fees(max_fee=max_fee, tip=tip)
    if max_fee_cap is not None and new.max_fee > max_fee_cap:
        return None
    return new


def accepted_as_replacement(old: Fees, new: Fees, base_fee: int, bump: int = DEFAULT_BUMP_PERCENT) -> dict[str, bool]:
    """Each pool's replacement rule, as documented or measured: {"geth": ..., "besu": ...} (for tests and docs)."""
    geth = (new.max_fee * 100 >= old.max_fee * (100 + bump)) and (new.tip * 100 >= old.tip * (100 + bump))
    old_price, new_price = old.effective_price(base_fee), new.effective_price(base_fee)
    old_tip, new_tip = old.effective_tip(base_fee), new.effective_tip(base_fee)
    if new_price == 0:
        besu = False
    elif old_price * (100 + bump) < new_price * 100:
        besu = new_tip >= old_tip
    elif old_price == new_price:
        besu = old_tip * (100 + bump) < new_tip * 100
    else:
        besu = False
    return {"geth": geth, "besu": besu}
