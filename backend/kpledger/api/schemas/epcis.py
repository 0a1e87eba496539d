"""Query parameters of the EPCIS routes, with limits (unknown parameters are refused)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from kpledger.epcis.query import MATCHERS

EVENT_TYPES = ("ObjectEvent", "AggregationEvent", "TransformationEvent", "TransactionEvent", "AssociationEvent")
Values = Annotated[list[Annotated[str, Field(min_length=1, max_length=1000)]], Field(max_length=20)]
MAX_VALUES = 50  # per parameter, after splitting `a|b|c`


def _written(value: object) -> object:
    """A date or date-time written out (2026-01-01, 2026-01-01T00:00:00Z), not a number (pydantic would read 0.5
    as a Unix time)."""
    if isinstance(value, str) and "-" not in value[1:]:
        raise ValueError("an RFC 3339 date-time with its time zone (2026-01-01T00:00:00Z), or a date")
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_written)]
Day = Annotated[AwareDatetime | date, BeforeValidator(_written)]
MAX_VALUE_LENGTH = 300


def _split(values: list[str] | None) -> list[str] | None:
    """EPCIS REST lists: repeated parameters, or values separated by `|`."""
    if values is None:
        return None
    out = [v for value in values for v in value.split("|") if v]
    if len(out) > MAX_VALUES:
        raise ValueError(f"at most {MAX_VALUES} values")
    if any(len(v) > MAX_VALUE_LENGTH for v in out):
        raise ValueError(f"values of at most {MAX_VALUE_LENGTH} characters")
    return out


class Paging(BaseModel):
    model_config = ConfigDict(extra="forbid")

    perPage: int = Field(100, ge=1, le=1000, description="events per page")  # noqa: N815 - EPCIS name
    nextPageToken: str | None = Field(None, min_length=1, max_length=200,  # noqa: N815 - EPCIS name
                                      pattern=r"^[A-Za-z0-9_-]+$", description="from the previous page's Link header")


class EventsQuery(Paging):
    """EPCIS 2.0 SimpleEventQuery parameters this ledger answers (EPCIS names, hence the mixed case)."""

    eventType: Values | None = None  # noqa: N815
    GE_eventTime: Moment | None = None  # noqa: N815
    LT_eventTime: Moment | None = None  # noqa: N815
    GE_recordTime: Moment | None = None  # noqa: N815
    LT_recordTime: Moment | None = None  # noqa: N815
    MATCH_epc: Values | None = None  # noqa: N815
    MATCH_parentID: Values | None = None  # noqa: N815
    MATCH_anyEPC: Values | None = None  # noqa: N815
    MATCH_epcClass: Values | None = None  # noqa: N815
    MATCH_inputEPCClass: Values | None = None  # noqa: N815
    MATCH_outputEPCClass: Values | None = None  # noqa: N815
    MATCH_anyEPCClass: Values | None = None  # noqa: N815
    EQ_action: Values | None = None  # noqa: N815
    EQ_bizStep: Values | None = None  # noqa: N815
    EQ_disposition: Values | None = None  # noqa: N815
    EQ_readPoint: Values | None = None  # noqa: N815
    EQ_bizLocation: Values | None = None  # noqa: N815
    EQ_eventID: Values | None = None  # noqa: N815
    EQ_bizTransaction_cert: Values | None = None  # noqa: N815
    EQ_source: Values | None = None  # noqa: N815
    EQ_destination: Values | None = None  # noqa: N815
    EQ_source_owning_party: Values | None = None  # noqa: N815
    EQ_source_possessing_party: Values | None = None  # noqa: N815
    EQ_source_location: Values | None = None  # noqa: N815
    EQ_destination_owning_party: Values | None = None  # noqa: N815
    EQ_destination_possessing_party: Values | None = None  # noqa: N815
    EQ_destination_location: Values | None = None  # noqa: N815

    @field_validator(*MATCHERS, mode="after")
    @classmethod
    def _lists(cls, values: list[str] | None) -> list[str] | None:
        return _split(values)

    @field_validator("eventType", mode="after")
    @classmethod
    def _event_types(cls, values: list[str] | None) -> list[str] | None:
        values = _split(values)
        unknown = sorted(set(values or ()) - set(EVENT_TYPES))
        if unknown:
            raise ValueError(f"unknown EPCIS event type {unknown[0][:40]!r}: one of {', '.join(EVENT_TYPES)}")
        return values

    def matches(self) -> dict[str, set[str]]:
        return {name: set(getattr(self, name)) for name in MATCHERS if getattr(self, name) is not None}


class PeriodQuery(Paging):
    """A participant's events from `from` (inclusive) to `to` (exclusive); a date means its midnight UTC."""

    from_: Day | None = Field(None, alias="from")
    to: Day | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        return _moment(self.from_), _moment(self.to)


def _moment(value: datetime | date | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), tzinfo=UTC)
