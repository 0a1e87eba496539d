"""Query parameters of the statistics routes, with limits (unknown parameters are refused)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FIRST_YEAR, LAST_YEAR = 2003, 2100  # the KPCS started on 1 January 2003
Basis = Literal["crossing", "issue"]
Format = Literal["json", "csv"]


class StatisticsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR, description="calendar year (UTC)")
    format: Format | None = Field(None, description="csv or json, as a download; default: JSON, or CSV for "
                                                    "Accept: text/csv")


class TradeQuery(StatisticsQuery):
    quarter: int | None = Field(None, ge=1, le=4, description="one quarter; none: the four quarters of the year")
    basis: Basis = Field("crossing", description="count a certificate in the period of its border crossing "
                                                 "(default) or of its issue date")
    value: bool = Field(False, description="include the value in USD: a signed request from an authority of the "
                                           "participant")


class ProductionQuery(StatisticsQuery):
    half: int | None = Field(None, ge=1, le=2, description="one half-year; none: both halves of the year")


class SummaryQuery(StatisticsQuery):
    basis: Basis = "crossing"
