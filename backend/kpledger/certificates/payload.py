"""The signed payload of a certificate's QR code: the IssueCertificate terms the issuing authority signed (EIP-712),
with its signature, packed for a QR code's alphanumeric mode, so that the paper proves who issued it without the
ledger.

Format (version 1): one byte 0x01, then every field of the EIP-712 `IssueCertificate` struct in the struct's order
(the action table's, `kpledger.core.actions`), then the 65-byte signature (r, s, v). A uint is an unsigned LEB128
varint; a string is a varint byte length then UTF-8; an address 20 bytes; a bytes32 32 bytes; an array a varint count
then its items. The bytes are written in RFC 4648 Base32 without padding (upper case: QR alphanumeric mode, 5.5 bits
a character). The QR code encodes `<public base>/verify/#<payload>`, the URL part in byte mode and the payload in
alphanumeric mode; the verifier page (`frontend-static/verify/`) reads the same format.

The signer is recovered from the EIP-712 digest under the deployment's domain (KPCertificates, its chain id and
address): a payload from another deployment, or with any term altered, recovers another address."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from kpledger.core.actions import ACTIONS
from kpledger.core.errors import InvalidRequest
from kpledger.signing import typed_data

VERSION = 1
ACTION = "IssueCertificate"
MAX_CHARS = 1200  # far above a real certificate's (~330): a bound on what a decoder reads
_UINT = re.compile(r"uint(\d+)$")
_BASE32 = re.compile(r"^[A-Z2-7]+$")


def fields() -> tuple[tuple[str, str], ...]:
    """(name, EIP-712 type) of every member of the signed struct, in order (the authorization fields last)."""
    return tuple((f["name"], f["type"]) for f in ACTIONS[ACTION].types()[ACTION])


@dataclass(frozen=True)
class SignedTerms:
    """A certificate's terms as its authority signed them (`message` holds every struct member, signer, nonce and
    deadline included) and the signature."""

    message: dict[str, Any]
    signature: bytes

    @property
    def signer(self) -> str:
        return self.message["signer"]

    def digest(self, chain_id: int, verifying_contract: str) -> bytes:
        terms = {k: v for k, v in self.message.items() if k not in ("signer", "nonce", "deadline")}
        return typed_data.digest(ACTION, terms, self.signer, self.message["nonce"], self.message["deadline"],
                             chain_id=chain_id, verifying_contract=verifying_contract)

    def recovered(self, chain_id: int, verifying_contract: str) -> str | None:
        """The address whose key signed these terms under the deployment's domain (None: no valid signature)."""
        return typed_data.recover(self.digest(chain_id, verifying_contract), self.signature)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _hex(value: str | bytes, size: int) -> bytes:
    raw = bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
    if len(raw) != size:
        raise ValueError(f"{raw!r} is not {size} bytes")
    return raw


def _pack(type_: str, value: Any) -> bytes:
    if type_.endswith("[]"):
        return _varint(len(value)) + b"".join(_pack(type_[:-2], v) for v in value)
    if type_ == "string":
        raw = value.encode()
        return _varint(len(raw)) + raw
    if type_ == "address":
        return _hex(value, 20)
    if type_ == "bytes32":
        return _hex(value, 32)
    if _UINT.match(type_):
        return _varint(int(value))
    raise ValueError(f"unsupported type {type_}")


def encode(message: dict[str, Any], signer: str, nonce: int, deadline: int, signature: bytes | str) -> str:
    """The Base32 payload of a signed IssueCertificate (message: its business fields, as journaled or as
    `typed_data.SignedIntent.message`)."""
    values = {**message, "signer": signer, "nonce": int(nonce), "deadline": int(deadline)}
    raw = bytes([VERSION]) + b"".join(_pack(t, values[n]) for n, t in fields()) + _hex(signature, 65)
    return base64.b32encode(raw).decode().rstrip("=")


class _Reader:
    def __init__(self, raw: bytes):
        self.raw, self.at = raw, 0

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.raw):
            raise ValueError("the payload ends early")
        chunk, self.at = self.raw[self.at:self.at + n], self.at + n
        return chunk

    def varint(self, bits: int) -> int:
        value = shift = 0
        while True:
            byte = self.take(1)[0]
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
            if shift > bits + 7:
                raise ValueError("a number is too long")
        if value >> bits:
            raise ValueError(f"a number is above uint{bits}")
        return value

    def value(self, type_: str) -> Any:
        if type_.endswith("[]"):
            return [self.value(type_[:-2]) for _ in range(self.varint(16))]
        if type_ == "string":
            return self.take(self.varint(16)).decode()
        if type_ == "address":
            return typed_data.checksum(self.take(20))
        if type_ == "bytes32":
            return "0x" + self.take(32).hex()
        if match := _UINT.match(type_):
            return self.varint(int(match.group(1)))
        raise ValueError(f"unsupported type {type_}")


def decode(text: str) -> SignedTerms:
    """The signed terms in a payload; InvalidRequest(PayloadInvalid) if it is not one (the signature is not checked
    here: see `SignedTerms.recovered`)."""
    text = text.strip().upper()
    if not 0 < len(text) <= MAX_CHARS or not _BASE32.match(text):
        raise InvalidRequest("not a certificate payload: Base32 letters and digits expected", code="PayloadInvalid")
    try:
        reader = _Reader(base64.b32decode(text + "=" * (-len(text) % 8)))
        if reader.take(1)[0] != VERSION:
            raise ValueError("unknown payload version")
        message = {name: reader.value(type_) for name, type_ in fields()}
        signature = reader.take(65)
        if reader.at != len(reader.raw):
            raise ValueError("bytes after the signature")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"not a certificate payload: {exc}", code="PayloadInvalid") from None
    return SignedTerms(message, signature)


def signed_url(public_base: str, payload: str) -> str:
    """What the QR code encodes: the verifier page, with the payload after `#` (never sent to a server)."""
    return f"{public_base.rstrip('/')}/verify/#{payload}"


def qr_segments(public_base: str, payload: str) -> list[tuple[str, str]]:
    """The signed URL as QR segments: the page's URL in byte mode, the payload in alphanumeric mode."""
    prefix = signed_url(public_base, "")
    return [(prefix, "byte"), (payload, "alphanumeric")]


QrContent = str | list[tuple[str, str]]


def qr_content(public_base: str, number: str, payload: str | None) -> QrContent:
    """What a print's QR code encodes: the signed URL when the authority's signature is known, else the viewer's
    verification page of the certificate (the URL only)."""
    from kpledger.certificates import verification_url

    return qr_segments(public_base, payload) if payload else verification_url(public_base, number)
