"""Request heads, tried as an attacker would over raw sockets: heads that never finish (slowloris), an 8 MiB header,
100,000 headers. The server answers them 408 or 431 and closes, holds at most its head limit for each, and keeps
serving honest clients (kpledger.api.server). Each test is the exploit; it failed before the fix (see SECURITY.md)."""

from __future__ import annotations

import contextlib
import select
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.stack import Server, start_server

HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"


@pytest.fixture
def limited(node) -> Iterator[Server]:
    """A server with a small connection cap and a short head deadline, so that the tests stay small and quick."""
    srv = start_server(node, extra_env={"KP_MAX_CONNECTIONS": "32", "KP_HEAD_TIMEOUT_SECONDS": "3"})
    yield srv
    srv.close()


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def responses(data: bytes) -> list[bytes]:
    """The complete HTTP responses at the start of `data`, one after another (each head and its Content-Length body)."""
    found = []
    while b"\r\n\r\n" in data:
        head, _, rest = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")[1:]
                       if line.lower().startswith(b"content-length:")), 0)
        if len(rest) < length:
            break
        found.append(head + b"\r\n\r\n" + rest[:length])
        data = rest[length:]
    return found


def opened(port: int, data: bytes = HEAD) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(data)
    return s


def answer_to(s: socket.socket, timeout: float = 10) -> bytes:
    """What the server sent before closing (b"" if it closed without a word; the read times out if it did neither)."""
    s.settimeout(timeout)
    got = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := s.recv(65536):
            got += chunk
    return got


def send_until_refused(s: socket.socket, data: bytes, piece: int = 64 * 1024) -> bytes:
    """Sends `data` as a client would, in pieces, and returns the server's answer as soon as one arrives."""
    for at in range(0, len(data), piece):
        if select.select([s], [], [], 0)[0]:
            break
        try:
            s.sendall(data[at:at + piece])
        except (BrokenPipeError, ConnectionResetError):
            break
    return answer_to(s)


def test_unfinished_heads_do_not_keep_honest_clients_out(limited):
    """Three times the connection cap in heads that never finish: an honest client is still served (it used to get
    503 as long as they were held), and the oldest unfinished heads are the ones closed to make room."""
    attackers = [opened(limited.port) for _ in range(96)]
    try:
        time.sleep(0.5)
        for _ in range(5):
            assert httpx.get(limited.url + "/healthz", timeout=10).status_code == 200
        oldest = answer_to(attackers[0], timeout=5)
        assert oldest.startswith(b"HTTP/1.1 503") and b'"code":"ServerBusy"' in oldest, oldest[:300]
    finally:
        for s in attackers:
            s.close()


def test_a_head_not_finished_in_time_gets_408(limited):
    """A client trickles its head a byte a second; past KP_HEAD_TIMEOUT_SECONDS it gets 408 and is closed. A
    connection that never sends a byte is closed too."""
    silent = socket.create_connection(("127.0.0.1", limited.port), timeout=10)
    trickling = opened(limited.port, b"G")
    started = time.monotonic()
    try:
        for byte in HEAD[1:8]:
            time.sleep(1)
            with contextlib.suppress(OSError):
                trickling.send(bytes([byte]))
        answer = answer_to(trickling)
        assert answer.startswith(b"HTTP/1.1 408") and b'"code":"RequestHeadTimeout"' in answer, answer[:300]
        assert answer_to(silent) == b""
        assert time.monotonic() - started < 9
    finally:
        trickling.close()
        silent.close()


def test_an_8_mib_header_is_refused_without_being_held(server):
    """Twenty clients each send an 8 MiB header (and never end the head): each gets 431 once the head passes
    KP_MAX_HEAD_BYTES, and the server does not grow by what they sent (160 MiB; it used to keep it all)."""
    before = rss_mb(server.pid)
    big = HEAD + b"X-Big: " + b"a" * (8 * 1024 * 1024)
    clients = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(20)]
    try:
        answers = [send_until_refused(s, big) for s in clients]
        grown = rss_mb(server.pid) - before
    finally:
        for s in clients:
            s.close()
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 431") and b'"code":"RequestHeadTooLarge"' in answer, answer[:300]
    assert grown < 40, f"the server grew by {grown:.0f} MB"
    assert httpx.get(server.url + "/healthz").status_code == 200


@pytest.mark.parametrize("count", [100_000, 100], ids=["100000-headers", "101-small-headers"])
def test_too_many_headers_are_refused(server, count):
    """100,000 headers (1 MB) and, well under the size limit, one header more than KP_MAX_HEADERS (100, with
    Host): 431."""
    fields = b"".join(b"X-%d: 1\r\n" % i for i in range(count))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        answer = send_until_refused(s, HEAD + fields + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431") and b'"code":"RequestHeadTooLarge"' in answer, answer[:300]


def response(s: socket.socket) -> bytes:
    """One whole response (its head, then Content-Length bytes of body)."""
    got = b""
    while b"\r\n\r\n" not in got:
        got += s.recv(65536)
    head, _, body = got.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += s.recv(65536)
    return head + b"\r\n\r\n" + body


def test_a_head_within_the_limits_is_served(server):
    """Just under both limits (100 headers, ~30 KB), over a connection kept alive for a second request."""
    fields = b"".join(b"X-Field-%03d: %s\r\n" % (i, b"v" * 280) for i in range(98))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        for _ in range(2):
            s.sendall(HEAD + fields + b"\r\n")
            answer = response(s)
            assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"}"), answer[:300]


def test_the_rest_of_a_refused_body_is_not_taken_for_a_head(limited):
    """A body refused (413) before it had all arrived: its remaining bytes are the old request's body, not the next
    request's head. (Before, they were counted as a head once the response was sent, and the keep-alive connection's
    next request got 431 RequestHeadTooLarge: seen as a flaky test_reads.)"""
    size = 256 * 1024
    with opened(limited.port, b"POST /v1/parcels HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                              b"Content-Length: %d\r\n\r\n" % size + b"x" * 1024) as s:
        s.settimeout(10)
        got = s.recv(65536)
        assert got.startswith(b"HTTP/1.1 413"), got[:200]
        s.sendall(b"x" * (size - 1024))  # the client goes on sending the body it announced
        s.sendall(HEAD + b"\r\n")
        # the 413's head and body, then the next request's answer, however the bytes are split between reads
        while len(answers := responses(got)) < 2:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    assert [a.split(b"\r\n", 1)[0] for a in answers] == [b"HTTP/1.1 413 Request Entity Too Large",
                                                         b"HTTP/1.1 200 OK"], got[:400]
