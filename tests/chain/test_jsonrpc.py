"""The lean JSON-RPC client against the test node: batches are cut to the node's limit and keep their order."""

from __future__ import annotations

import pytest

from kpledger.chain.errors import RpcError
from kpledger.chain.jsonrpc import JsonRpc


def test_a_batch_over_the_limit_goes_in_several_requests_in_order(node):
    rpc = JsonRpc(node.url, max_batch=3)
    sizes: list[int] = []
    post = rpc._post

    def counting(payload):
        sizes.append(len(payload) if isinstance(payload, list) else 1)
        return post(payload)

    rpc._post = counting  # type: ignore[method-assign]
    head = int(rpc.call("eth_blockNumber"), 16)
    calls = [("eth_getBlockByNumber", [hex(n % (head + 1)), False]) for n in range(7)]
    calls.insert(4, ("no_such_method", []))
    answers = rpc.batch(calls)
    assert sizes[1:] == [3, 3, 2]  # after the eth_blockNumber call
    assert isinstance(answers[4], RpcError)
    numbers = [int(a["number"], 16) for a in answers if not isinstance(a, RpcError)]
    assert numbers == [n % (head + 1) for n in range(7)]
    with pytest.raises(ValueError):
        JsonRpc(node.url, max_batch=0)
