"""Read-side queries over participants and their members (authorities and operators)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kpledger.core.constants import AUTHORITY, role_bits
from kpledger.core.errors import NotFound
from kpledger.db import models as m
from kpledger.queries.views import member_view, participant_view, profile_change_view


def list_participants(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(select(m.Participant).order_by(m.Participant.code)).scalars()
    return [participant_view(p) for p in rows]


def participant_names(session: Session) -> dict[str, str]:
    """Every participant's name on the ledger by ISO code (as GET /v1/participants names them)."""
    return {code: name for code, name in session.execute(select(m.Participant.code, m.Participant.name))}


def get_participant(session: Session, code: str) -> dict[str, Any]:
    p = session.get(m.Participant, code)
    if p is None:
        raise NotFound(f"{code} is not a KP participant on this ledger", code="ParticipantNotFound",
                       details={"code": code})
    members = session.execute(select(m.Member).where(m.Member.participant == code)
                              .order_by(m.Member.address)).scalars()
    return {**participant_view(p), "members": [member_view(x) for x in members if x.roles]}


def get_account(session: Session, address: str) -> dict[str, Any]:
    """A member with its public profile and every profile it had before, oldest first."""
    member = session.get(m.Member, address)
    if member is None:
        raise NotFound(f"{address} is not a member of any participant", code="AccountNotFound",
                       details={"address": address})
    changes = session.execute(select(m.ProfileChange).where(m.ProfileChange.address == address)
                              .order_by(m.ProfileChange.block_number, m.ProfileChange.id)).scalars()
    return {**member_view(member), "profile_changes": [profile_change_view(c) for c in changes]}


def search_members(session: Session, code: str, query: str = "", roles: list[str] | None = None,
                   limit: int = 20) -> dict[str, Any]:
    """A participant's members whose public name or licence number contains `query` (any case), holding one of
    `roles` (any role when none is given), by name: what a form offers when a person picks a company by name."""
    if session.get(m.Participant, code) is None:
        raise NotFound(f"{code} is not a KP participant on this ledger", code="ParticipantNotFound",
                       details={"code": code})
    bits = role_bits(roles) if roles else -1
    wanted = select(m.Member).where(m.Member.participant == code, m.Member.roles.op("&")(bits) != 0)
    text = query.strip().lower()
    if text:
        wanted = wanted.where(func.lower(m.Member.name).contains(text, autoescape=True)
                              | func.lower(m.Member.licence_number).contains(text, autoescape=True))
    total = session.execute(select(func.count()).select_from(wanted.subquery())).scalar_one()
    rows = session.execute(wanted.order_by(func.lower(m.Member.name), m.Member.address).limit(limit)).scalars()
    return {"participant": code, "query": query, "data": [member_view(x) for x in rows], "count": total}


def trust_list(session: Session) -> dict[str, Any]:
    """Every participant with its authorities (address, public name) and status, and the block the index had read
    fully when this was read (one session: the list is the state at that block)."""
    cursor = session.get(m.Cursor, 1)
    number, block_hash = (cursor.block_number, cursor.block_hash) if cursor else (0, "0x" + "00" * 32)
    # the index keeps a block's time with its events (indexed_blocks has none): null for a block without events
    timestamp = session.execute(select(m.Event.timestamp).where(m.Event.block_number == number).limit(1)).scalar()
    authorities: dict[str, list[dict[str, Any]]] = {}
    rows = session.execute(select(m.Member).where(m.Member.roles.op("&")(AUTHORITY) != 0)
                           .order_by(m.Member.address)).scalars()
    for member in rows:
        authorities.setdefault(member.participant, []).append({"address": member.address, "name": member.name})
    current = {a["address"] for listed in authorities.values() for a in listed}
    former = former_authorities(session, current, timestamp if timestamp is not None else int(time.time()))
    data = [{"code": p.code, "name": p.name, "status": p.status, "authorities": authorities.get(p.code, []),
             "former_authorities": former.get(p.code, [])}
            for p in session.execute(select(m.Participant).order_by(m.Participant.code)).scalars()]
    voided = [{"number": n, "superseded_by": by} for n, by in session.execute(
        select(m.Certificate.number, m.Certificate.superseded_by).where(m.Certificate.status == "voided")
        .order_by(m.Certificate.number))]
    return {"block": {"number": number, "hash": block_hash, "timestamp": timestamp},
            "participants": data, "count": len(data), "voided": voided}


def former_authorities(session: Session, current: set[str], at: int) -> dict[str, list[dict[str, Any]]]:
    """Per participant, the accounts that held the authority role and hold it no longer (`current`: those that do),
    with when they held it last (`since`, `until`: Unix seconds of the role's events) and the certificates they issued
    that had not expired or been voided at `at` (number, document hash): what an offline verifier may still accept
    from a dismissed authority, and nothing it signed after."""
    spans: dict[str, dict[str, Any]] = {}
    changes = session.execute(select(m.Event.args, m.Event.timestamp).where(m.Event.name == "MemberRolesChanged")
                              .order_by(m.Event.block_number, m.Event.log_index))
    for args, timestamp in changes:
        span, holds = spans.get(args["account"]), bool(int(args["roles"]) & AUTHORITY)
        if holds and (span is None or span["until"] is not None):
            spans[args["account"]] = {"participant": args["participant"], "since": timestamp, "until": None}
        elif not holds and span is not None and span["until"] is None:
            span["until"] = timestamp
    gone = {account: span for account, span in spans.items() if span["until"] is not None and account not in current}
    if not gone:
        return {}
    names = dict(session.execute(select(m.Member.address, m.Member.name).where(m.Member.address.in_(gone))).all())
    issued: dict[str, list[dict[str, str]]] = {account: [] for account in gone}
    for account, number, document_hash in session.execute(
            select(m.Certificate.issued_by, m.Certificate.number, m.Certificate.document_hash)
            .where(m.Certificate.issued_by.in_(gone), m.Certificate.expires_at > at, m.Certificate.status != "voided")
            .order_by(m.Certificate.number)):
        issued[account].append({"number": number, "document_hash": document_hash})
    former: dict[str, list[dict[str, Any]]] = {}
    for account in sorted(gone):
        span = gone[account]
        former.setdefault(span["participant"], []).append({
            "address": account, "name": names.get(account), "since": span["since"], "until": span["until"],
            "certificates": issued[account]})
    return former
