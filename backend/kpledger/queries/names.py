"""The names a person reads beside accounts: one lookup per request, whatever the number of rows that name them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpledger.db import models as m
from kpledger.queries.views import Names

_IN_CHUNK = 900  # under SQLite's default limit of bound parameters per statement


def names_of(session: Session, accounts: Iterable[str | None]) -> Names:
    """Public name and participant of every account given that is a member (others are left out)."""
    wanted = sorted({a for a in accounts if a})
    found: dict[str, tuple[str | None, str | None]] = {}
    for i in range(0, len(wanted), _IN_CHUNK):
        rows = session.execute(select(m.Member.address, m.Member.name, m.Member.participant)
                               .where(m.Member.address.in_(wanted[i:i + _IN_CHUNK])))
        found.update((address, (name, participant)) for address, name, participant in rows)
    return found
