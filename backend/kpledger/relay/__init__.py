"""Relayed writes: a participant's signed intent checked, journaled and submitted exactly once from the relayer
account, in `KPRelayBatch` transactions shared by concurrent requests.

The package in parts, one job each:

* `relayer.Relayer`, the front door: checks a request, orders a signer's requests, answers duplicates;
* `batcher.Batcher`: the queue and the sender thread that packs it into simulated batch transactions;
* `sender.Sender`: the relayer key, its nonces (`nonces.NonceCounter`: a reservation that gives its nonce back
  unless the transaction was journaled), fees, local signing, and every signed transaction's journal commit and
  send: new batches, calls executed again, fee-bumped replacements;
* `fees`: the replacement rule of every pool (geth, anvil, Hardhat, Besu), as pure functions;
* `receipts.Receipts`: the receipt thread and the reconciler, which give every journaled request its outcome; it
  owns what is in flight (`inflight.InFlight`, behind its own lock) and the nonces it saw mined per relayer key;
* `throttle.Throttle`: what each signer's failed requests cost the relayer, and which signers must wait;
* `journal.Journal` (the table of accepted requests; `Journal.duplicates` is the one duplicate check),
  `request.WriteRequest`, `calls` (ABI encodings as bytes, gas bounds).

Each stage owns its state and the others call its methods. The journal is written by the sender for signed
transactions (a batch and its requests, a re-issue, a replacement, an outright refusal: one commit each) and by the
receipts for outcomes; the batcher and the front door only read it (`Journal.duplicates`), start-up's `adopt` of
unlabelled rows aside. A call's calldata stays bytes until a JSON-RPC request's parameters.

Guarantees and how they hold:

* Refused requests send nothing. The body is validated by the route's schema, the EIP-712 signature is
  recovered off chain (a contract signer, ERC-1271, is left to the chain), the deadline is checked and the
  `...BySig` call is simulated with the rest of its batch (`KPRelayBatch.simulate`); a revert becomes the
  contract's custom error (`Artifacts.decode_error`). Nothing is journaled for a refusal.
* A request is refused for itself only, never for the others of its batch. The simulation's eth_call is given
  explicit gas (twice a batch transaction's cap); each call a bound of what its action can legitimately cost
  (`calls.legitimate_bound`), at most the cap. `KPRelayBatch` runs a call only when the gas left gives it its whole
  bound and keeps a reserve to finish; otherwise the call is reported not run and the next one runs. A call not
  run, and every call after the point where the transaction is full, goes back to the head of the queue for the
  next batch; a call not run even first in its batch is simulated alone next, and refused (RequestTooLarge) only
  when it does not fit alone or ran out of its own bound. `execute` skips a call the same way (the relayer signs
  enough gas, so only a miscalculation could make it: that call fails alone, KPRelayBatchInsufficientGas).
* The cost of trying falls on the one who tries (`throttle`). A request refused in the simulation is charged to its
  signer at the gas its call used; a call that passed the simulation and failed on chain (a two-faced ERC-1271
  wallet, or a race) at 100 times its bound, doubling with each repeat. A signer owing more than its allowance is
  answered 429 SignerThrottled, with the seconds to wait, while the others are served; its journaled requests are
  still answered from the journal. Refusals anyone holding a signer's old signature can provoke (a used nonce, a
  passed deadline) are not charged. In memory: a restart forgets it.
* Idempotency. `request_id = keccak(abi.encode(action, signer, nonce, signature))`. A signer's requests are
  processed one at a time (an asyncio lock per signer, held until the answer even if the handler is cancelled:
  they go out in consecutive batches, in order), and a request already journaled is answered from the journal
  (`duplicate: true`) instead of being run again. A journaled request that failed (reverted on chain, or refused
  by the node before it took its nonce) was not executed: submitting it again runs it again under the same id.
* Nothing acknowledged is lost. The relayer nonce is taken from a lock-protected counter (initialised from
  `eth_getTransactionCount(pending)` and the journal), the transaction is signed locally (its hash is known
  before sending; EIP-1559 when the chain has a base fee, legacy otherwise; gas = the simulated gas of each call
  * 64/63 * 1.2 plus overheads), and the journal rows (raw tx once per transaction, relayer nonce, tx hash,
  status `pending`) are committed with SQLite synchronous=FULL before the transaction leaves the process. The
  answer (200, status `mined`, ids read from the call's own events) is given only after the receipt, and after
  the rows are marked `mined` and committed (that commit is not fsynced: it survives a kill -9, and were it lost
  to a power cut the rows would be pending with their nonce used, and the reconciler finalises them again).
* Exactly once on chain. Every journaled transaction has a fixed relayer nonce, so re-sending it can never
  execute it twice: the chain refuses a used nonce ("nonce too low" / "already known" count as sent; the receipt
  decides). The reconciler runs at start-up, every second, and before a batch when the chain's nonce went back:
  it finalises rows whose nonce the chain used (a batch's rows from its one receipt, by their `batch_index`), and
  re-sends, in relayer-nonce order and once per transaction, every journaled transaction from the chain's current
  nonce on (a backend killed after journaling; a chain restarted from an older state dump, which forgets its last
  blocks, acknowledged ones included). A lost transaction whose requests all failed is replaced by an empty
  self-transfer (their refusals were already answered; they must not run later), and a nonce hole is filled the
  same way, so later transactions are never stuck behind it. (A lost batch that mixes mined and failed calls is
  re-sent as it was, for the mined ones: its failed calls run again on the same state, so they normally fail
  again; were one to succeed, a client that resubmits learns nothing new from its failed row. Only a chain that
  forgets blocks, a development chain, can cause this.)
* Reorganisations. "Acknowledged" means the relayer owes the write to the chain, not that the block it was mined in
  stays: a row mined once keeps its result (`journal.acknowledged`) until it is mined again or the chain refuses it
  for good. Every reconciliation checks that the blocks this process saw relayer transactions mined in (the last
  `KP_REORG_DEPTH` blocks; read from the journal at start-up) are still the chain's. A transaction the new chain
  mined elsewhere is settled again from its new receipt; one it dropped waits again (`sent`) and is re-sent as
  signed (its nonce is free again). A request whose transaction the chain can no longer take, because another
  transaction used its nonce (checked again after its receipts were read), or whose acknowledged call failed when
  the reorganised chain ran it (its predecessor of the same signer is missing), is executed again: its signed call
  goes, with the other calls of its transaction that must run again, into a new transaction of the current key
  (journaled first, in the order of their first transactions), never a self-transfer over it. Its own intent
  nonce makes a second execution impossible, whichever transactions the chain ends up with. A call the chain
  refuses now (simulated alone on the pending state) is not sent: its request fails with the contract's error,
  logged as an acknowledged write lost (a reorganisation that changed the state it needed: the only way one is
  lost). `GET .../nonces` first checks the newest of those blocks and reconciles when it was replaced, so it never
  hands out an intent nonce that a write the relayer is about to send again will use.
* Progress. Each reconciliation notes whether the relayer's signed transactions wait unmined with its nonce on
  chain unmoved; after `KP_RELAYER_STALL_SECONDS` (60) of that, or of reconciliations failing, `/healthz` answers
  status `stalled`, reason `RelayerStalled` (the log says why: the node refusing the re-sends for the relayer's
  balance, fees above `KP_MAX_FEE_PER_GAS_WEI`, ...), until the chain's nonce moves again.
* Stuck below the market's fees. A transaction unmined `KP_FEE_BUMP_AFTER_SECONDS` (20) after it was signed,
  whose nonce is the lowest the chain has not used and whose fees no longer reach the next block (the base fee
  rose past its max fee, or the node suggests a higher tip; a pool may also have dropped it for its price), is
  re-signed with the same nonce, recipient, calldata and gas at fees every pool accepts as a replacement
  (`relay.fees`). The new version is journaled (fsync) before it is sent and the rows point at it; the earlier
  versions stay journaled, and whichever version is mined settles the rows (one nonce: only one can be). The
  receipt thread does this while the request waits; after a restart the reconciler does it. A replacement that
  would pay more than `KP_MAX_FEE_PER_GAS_WEI` is not signed (logged; the request keeps waiting). On a free-gas
  network (Besu, base fee 0) nothing is ever bumped.
* Chain unreachable. Before journaling: 503 ChainUnavailable, nothing stored, not acknowledged. After journaling
  (the send or the receipt failed): the rows stay `pending`, the requests wait up to `receipt_timeout` for the
  chain to come back, then answer 503 ChainUnavailable with the request id. They are not acknowledged, but they
  WILL be executed when the chain is back (the reconciler sends them): a client that resubmits the same signed
  request gets its outcome (the same id, never a second execution). Such rows are never marked failed: their
  transaction may have reached the node, and a failed row could be retried under a new nonce and run twice.

* Key rotation (`Relayer.rotate`, `POST /admin/relayer/rotate`). A new account that cannot pay for a full batch or
  holds less than `KP_RELAYER_MIN_BALANCE_WEI` (on a chain that charges fees) is refused first (RelayerKeyUnfunded):
  the old key keeps relaying. Otherwise the batch sender pauses between batches (requests keep queuing), the batch
  in progress is journaled and sent, every journaled transaction of the old key gets its receipt, then new batches
  are signed by the new key. Every journaled transaction and request keeps the address
  that signed it (`relayer`), and the reconciler works per address: the current key's as above, an earlier key's
  rows still without an outcome finalised from their receipts or re-sent as signed (its nonce holes cannot be
  filled without its key: logged). Nothing is lost and nothing runs twice (each keeps its address and nonce; only
  a reorganisation moves a request to a new transaction, of the current key, as above).

Assumption: the relayer key is used by this one backend process only (any other use of its nonces is tolerated:
new transactions skip them, and the requests of a journaled transaction whose nonce an unjournaled one took are
executed again, as after a reorganisation). Left open: a second reorganisation that brings back a transaction whose
requests were already executed again; their new transaction's calls then fail on the used intent nonces and the
rows are marked failed although the chain ran them once (nothing runs twice).
"""

from kpledger.relay.relayer import Relayer

__all__ = ["Relayer"]
