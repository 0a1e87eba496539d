"""Seal labels beside seal ids: one lookup per request, whatever the number of rows that show a seal; and the
labels learnt from writes and filed documents (kept only when they hash to the id: `kpledger.core.seals`)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from kpledger.core.seals import label_matches
from kpledger.db import models as m

Labels = Mapping[str, str]  # seal id (lower case) -> label
NO_LABELS: Labels = {}
_IN_CHUNK = 900  # under SQLite's default limit of bound parameters per statement


def labels_of(session: Session, seal_ids: Iterable[str | None]) -> Labels:
    """The known label of every seal id given (ids without one are left out)."""
    wanted = sorted({i.lower() for i in seal_ids if i})
    found: dict[str, str] = {}
    for i in range(0, len(wanted), _IN_CHUNK):
        rows = session.execute(select(m.SealLabel.seal_id, m.SealLabel.label)
                               .where(m.SealLabel.seal_id.in_(wanted[i:i + _IN_CHUNK])))
        found.update((seal_id, label) for seal_id, label in rows)  # a Result has keys(): not update()'s mapping
    return found


def label_of(labels: Labels, seal_id: str | None) -> str | None:
    return labels.get(seal_id.lower()) if seal_id else None


def remember(session: Session, seal_id: str, label: str, learnt_from: str) -> bool:
    """Keeps `label` for `seal_id` if it hashes to it and none is kept yet (a hash has one preimage that anyone will
    find); returns whether it was new."""
    seal_id = seal_id.lower()
    if not label_matches(label, seal_id) or session.get(m.SealLabel, seal_id) is not None:
        return False
    session.add(m.SealLabel(seal_id=seal_id, label=label, learnt_from=learnt_from[:40], learnt_at=time.time()))
    return True
