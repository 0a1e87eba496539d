"""`kp statistics trade | production | summary`: the KP statistics the ledger produces from its index (the layout
participants report to the KP Working Group on Statistics), as tables, the API's JSON (--json) or its CSV (--csv)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from kpledger.cli.base import Ctx, cli, output_options, pass_ctx, save
from kpledger.cli.views import production_text, summary_text, trade_text

YEAR = click.IntRange(2003, 2100)  # the KPCS started on 1 January 2003
BASIS = click.Choice(["crossing", "issue"])
BASIS_HELP = ("Count a certificate in the period of its border crossing (default) or of its issue date (voided "
              "ones left out).")


@cli.group()
def statistics() -> None:
    """KP statistics: a participant's trade per quarter and production per half-year, every participant's year.
    Carats and counts are public; values in USD only for the participant's authorities (--value, signed)."""


def _report_options(f: Any) -> Any:
    f = output_options(f)
    f = click.option("--csv", "as_csv", is_flag=True, help="The API's CSV (as the KP submission lines).")(f)
    return click.option("--year", type=YEAR, required=True, help="Calendar year (UTC).")(f)


def _show(obj: Ctx, fetch: Callable[[bool], Any], text: Callable[[Any], str], output: str | None, force: bool,
          as_csv: bool) -> None:
    """Prints the report (a table, --json, or --csv), or writes it to -o FILE in the format asked (CSV or JSON)."""
    if as_csv or output is not None:
        data = fetch(as_csv)
        body = (data if as_csv else json.dumps(data, indent=2, sort_keys=True) + "\n").encode()
        where = save(body, output or "-", force)
        if where != "standard output":
            obj.emit({"path": where, "bytes": len(body)}, f"wrote {where} ({len(body)} bytes)")
        return
    report = fetch(False)
    obj.emit(report, None if obj.as_json else text(report))


@statistics.command("trade")
@click.argument("code")
@click.option("--quarter", type=click.IntRange(1, 4), help="One quarter; default: the year's four.")
@click.option("--basis", type=BASIS, default="crossing", show_default=True, help=BASIS_HELP)
@click.option("--value", is_flag=True, help="Include the value in USD: for an authority of CODE (signed with your "
                                            "key).")
@_report_options
@pass_ctx
def statistics_trade(obj: Ctx, code: str, quarter: int | None, basis: str, value: bool, year: int, as_csv: bool,
                     output: str | None, force: bool) -> None:
    """Participant CODE's exports and imports by partner and HS code, carats and certificates."""
    c = obj.client(sign=value)
    _show(obj, lambda csv: c.trade_statistics(code.upper(), year, quarter, basis=basis, value=value, csv=csv),
          trade_text, output, force, as_csv)


@statistics.command("production")
@click.argument("code")
@click.option("--half", type=click.IntRange(1, 2), help="One half-year; default: both.")
@_report_options
@pass_ctx
def statistics_production(obj: Ctx, code: str, half: int | None, year: int, as_csv: bool, output: str | None,
                          force: bool) -> None:
    """Participant CODE's production: carats registered at origin per half-year by HS code, with the parcels."""
    c = obj.client(sign=False)
    _show(obj, lambda csv: c.production_statistics(code.upper(), year, half, csv=csv), production_text, output,
          force, as_csv)


@statistics.command("summary")
@click.option("--basis", type=BASIS, default="crossing", show_default=True, help=BASIS_HELP)
@_report_options
@pass_ctx
def statistics_summary(obj: Ctx, basis: str, year: int, as_csv: bool, output: str | None, force: bool) -> None:
    """Every participant's exports, imports (carats, certificates) and production (carats, parcels) in a year."""
    c = obj.client(sign=False)
    _show(obj, lambda csv: c.statistics_summary(year, basis=basis, csv=csv), summary_text, output, force, as_csv)
