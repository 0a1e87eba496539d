"""Parties: who sends and receives (EPCIS source and destination lists) and their master data.

An operator is an account licensed by a participant: today the index knows its participant and roles; its legal
name is being added to members (`MemberProfileChanged`), and `operator_master_data` is the one place it goes.
"""

from __future__ import annotations

from typing import Any

from kpledger.core.constants import role_names
from kpledger.db import models as m
from kpledger.epcis.identifiers import Identifiers
from kpledger.epcis.vocabulary import MDA_COUNTRY, MDA_NAME


def transfer_parties(ids: Identifiers, side: str, account: str, country: str | None) -> list[dict[str, str]]:
    """A sourceList (side "source") or destinationList ("destination"): the operator owns and possesses the
    goods (the ledger's holder is both: it records no carrier and no separate title), in its participant."""
    parties = [{"type": "owning_party", side: ids.operator(account)},
               {"type": "possessing_party", side: ids.operator(account)}]
    if country:
        parties.append({"type": "location", side: ids.participant(country)})
    return parties


def operator_master_data(ids: Identifiers, member: m.Member) -> dict[str, Any]:
    """An operator's party master data (an EPCIS vocabulary element) from its members row."""
    attributes = [
        {"id": MDA_COUNTRY, "attribute": member.participant},
        {"id": "kp:participant", "attribute": ids.participant(member.participant)},
        {"id": "kp:roles", "attribute": ", ".join(role_names(member.roles))},
    ]
    return {"id": ids.operator(member.address), "attributes": attributes}


def participant_master_data(ids: Identifiers, participant: m.Participant) -> dict[str, Any]:
    """A KP participant's party master data: its name, ISO code and status on the ledger."""
    return {"id": ids.participant(participant.code), "attributes": [
        {"id": MDA_NAME, "attribute": participant.name},
        {"id": MDA_COUNTRY, "attribute": participant.code},
        {"id": "kp:participantStatus", "attribute": participant.status},
    ]}
