"""`kp-admin`: the operator's command line: back up and restore the database (index, documents and the relay
journal) while the backend runs, rebuild the index from the chain, and the relayer's status and key rotation.

Configuration comes from the same KP_* variables as the backend (`KP_DATA_DIR`, `KP_DATABASE_URL`, ...). Every
failure is one line `error CODE: message` on stderr (exit 1; 2 for a bad argument), never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any, NoReturn

import click
import httpx
from eth_account import Account
from pydantic import ValidationError

from kpledger.core.config import Settings, describe

BACKUP_MANIFEST = "backup.json"
SQLITE_FILE = "kp.db"
PG_FILE = "kp.pgdump"


class AdminError(Exception):
    """A refusal with a stable code, printed as one line."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def fail(code: str, message: str) -> NoReturn:
    raise AdminError(code, message)


class AdminGroup(click.Group):
    """Every failure is one line `error CODE: message` on stderr, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AdminError as exc:
            click.echo(f"error {exc.code}: {exc.message}", err=True)
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except OSError as exc:
            click.echo(f"error FileError: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
            ctx.exit(1)
        except sqlite3.Error as exc:
            click.echo(f"error DatabaseError: {exc}", err=True)
            ctx.exit(1)
        except httpx.HTTPError as exc:
            click.echo(f"error Unreachable: the backend's API is not reachable ({type(exc).__name__})", err=True)
            ctx.exit(1)
        except Exception as exc:  # a bug: still one line
            click.echo(f"error InternalError: {type(exc).__name__}: {exc} (a bug in kp-admin: please report it)",
                       err=True)
            ctx.exit(1)


def settings_for(data: Path | None) -> Settings:
    """The backend's Settings (KP_* variables), with another data folder if given."""
    try:
        return Settings(data_dir=data) if data is not None else Settings()
    except ValidationError as exc:
        fail("InvalidSettings", describe(exc))


def sqlite_path(settings: Settings) -> Path | None:
    url = settings.database_url or ""
    return Path(url.split("///", 1)[1]) if url.startswith("sqlite:///") else None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


# ---------------------------------------------------------------- root


@click.group(cls=AdminGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def cli() -> None:
    """KP Ledger operations: backups, restore, index rebuild, relayer key rotation.

    Reads the backend's KP_* settings (KP_DATA_DIR, KP_DATABASE_URL, ...). Failures print `error CODE: message`.
    """


# ---------------------------------------------------------------- backup and restore


@cli.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="New folder for the backup (kp.db or kp.pgdump, deployment.json, backup.json).")
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), help="The backend's data folder "
              "(default KP_DATA_DIR).")
def backup(out: Path, data: Path | None) -> None:
    """Back up the database (index, documents, relay journal) and the deployment record, while the backend runs.

    SQLite: the online backup API (a consistent copy, taken page by page while writers go on). PostgreSQL:
    pg_dump (custom format), which must be on PATH."""
    settings = settings_for(data)
    if out.exists() and any(out.iterdir()):
        fail("TargetNotEmpty", f"{out} exists and is not empty: back up into a new folder")
    _private_dir(out)
    started = time.time()
    source = sqlite_path(settings)
    if source is not None:
        if not source.is_file():
            fail("NoDatabase", f"no database at {source}")
        target = out / SQLITE_FILE
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30) as src, sqlite3.connect(target) as dst:
            src.backup(dst, pages=4096)  # copies in steps; writers of the live database go on between them
        with sqlite3.connect(target) as db:
            facts = _facts(db)
        files = {SQLITE_FILE: sha256_file(target)}
        kind = "sqlite"
    else:
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            fail("PgDumpMissing", "pg_dump is not on PATH (Debian: apt-get install postgresql-client)")
        url = (settings.database_url or "").replace("postgresql+psycopg://", "postgresql://")
        target = out / PG_FILE
        done = subprocess.run([pg_dump, "--format=custom", "--file", str(target), url], capture_output=True, text=True)
        if done.returncode != 0:
            fail("PgDumpFailed", (done.stderr.strip().splitlines() or ["pg_dump failed"])[-1])
        files, facts, kind = {PG_FILE: sha256_file(target)}, {}, "postgresql"
    deployment = settings.deployment_file
    if deployment is not None and deployment.is_file():
        shutil.copy2(deployment, out / "deployment.json")
        files["deployment.json"] = sha256_file(out / "deployment.json")
    manifest = {"kind": kind, "created_at": started, "seconds": round(time.time() - started, 3), "files": files,
                **facts}
    (out / BACKUP_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    click.echo(json.dumps(manifest, indent=2))


def _facts(db: sqlite3.Connection) -> dict[str, Any]:
    """What a SQLite copy holds: schema revision, index cursor, journal counts (and that it is intact)."""
    check = db.execute("PRAGMA integrity_check").fetchone()[0]
    if check != "ok":
        fail("CorruptBackup", f"integrity check: {check}")
    revision = db.execute("SELECT version_num FROM alembic_version").fetchone()
    cursor = db.execute("SELECT block_number FROM indexer_cursor").fetchone()
    journal = dict(db.execute("SELECT status, count(*) FROM relay_requests GROUP BY status").fetchall())
    return {"schema_revision": revision[0] if revision else None, "indexed_block": cursor[0] if cursor else None,
            "journal": journal}


@cli.command()
@click.option("--from", "source", required=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="A folder made by `kp-admin backup`.")
@click.option("--data", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The new machine's data folder (empty, or without a database).")
@click.option("--database-url", help="PostgreSQL: the (empty) database to restore into, with pg_restore.")
def restore(source: Path, data: Path, database_url: str | None) -> None:
    """Restore a backup into a fresh data folder (a new machine); then start the backend on it.

    At start the relayer reconciles the journal with the chain (requests the chain mined after the backup are
    finalised, journaled transactions it lacks are sent again) and the indexer goes on from the backup's cursor."""
    manifest_path = source / BACKUP_MANIFEST
    if not manifest_path.is_file():
        fail("NotABackup", f"{source} has no {BACKUP_MANIFEST}")
    manifest = json.loads(manifest_path.read_text())
    for name, digest in manifest["files"].items():
        if sha256_file(source / name) != digest:
            fail("CorruptBackup", f"{name} does not match its SHA-256 in {BACKUP_MANIFEST}")
    _private_dir(data)
    if manifest["kind"] == "sqlite":
        target = data / SQLITE_FILE
        if target.exists():
            fail("TargetNotEmpty", f"{target} exists: restore into a fresh data folder")
        shutil.copy2(source / SQLITE_FILE, target)
        os.chmod(target, 0o600)
    else:
        pg_restore = shutil.which("pg_restore")
        if pg_restore is None or not database_url:
            fail("PgRestoreMissing", "a PostgreSQL backup needs pg_restore on PATH and --database-url")
        url = database_url.replace("postgresql+psycopg://", "postgresql://")
        done = subprocess.run([pg_restore, "--no-owner", "--dbname", url, str(source / PG_FILE)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            fail("PgRestoreFailed", (done.stderr.strip().splitlines() or ["pg_restore failed"])[-1])
    if (source / "deployment.json").is_file():
        shutil.copy2(source / "deployment.json", data / "deployment.json")
    click.echo(json.dumps({"restored": str(data), "from": str(source), "kind": manifest["kind"],
                           "indexed_block": manifest.get("indexed_block"), "journal": manifest.get("journal")}))


# ---------------------------------------------------------------- index rebuild


@cli.group()
def index() -> None:
    """The index (events and projections): a copy of the chain, rebuilt from it at will."""


@index.command("rebuild")
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), help="The data folder (default KP_DATA_DIR).")
def index_rebuild(data: Path | None) -> None:
    """Drop the index and read it again from the chain (stop the backend first). The journal and the filed
    documents are kept; a database that was lost entirely is rebuilt the same way by starting the backend on an
    empty data folder holding deployment.json."""
    from sqlalchemy import delete

    from kpledger.chain.contracts import Chain
    from kpledger.db import models as m
    from kpledger.db.session import Database
    from kpledger.indexer import Indexer

    settings = settings_for(data)
    if settings.deployment_file is None or not settings.deployment_file.is_file():
        fail("NoDeployment", f"no deployment record at {settings.deployment_file}")
    db = Database(settings.database_url or "")
    with db.transaction() as s:
        for model in reversed(m.INDEX_TABLES):
            s.execute(delete(model))
    chain = Chain(settings)
    indexer = Indexer(settings, chain, db)
    started = time.monotonic()
    head = int(chain.rpc.call("eth_blockNumber"), 16)
    while indexer.indexed_block < head:
        indexer.step()
    with db.session() as s:
        events = s.query(m.Event).count()
    click.echo(json.dumps({"indexed_block": indexer.indexed_block, "events": events,
                           "seconds": round(time.monotonic() - started, 2)}))


# ---------------------------------------------------------------- the relayer (through the running backend)


def _admin_call(api: str, token: str | None, method: str, path: str, body: Any = None,
                timeout: float = 30) -> dict[str, Any]:
    if not token:
        fail("TokenRequired", "set KP_ADMIN_TOKEN (or --token): the admin API needs it")
    response = httpx.request(method, api.rstrip("/") + path, json=body, timeout=timeout,
                             headers={"Authorization": f"Bearer {token}"})
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code == 404 and path.startswith("/admin"):
        fail("AdminApiOff", "the backend serves no admin API: start it with KP_ADMIN_TOKEN set")
    if not response.is_success:
        fail(str(answer.get("code", f"HTTP{response.status_code}")), str(answer.get("message", response.text[:200])))
    return answer


API = click.option("--api", envvar="KP_API", default="http://127.0.0.1:8000", show_default=True,
                   help="The running backend (env KP_API).")
TOKEN = click.option("--token", envvar="KP_ADMIN_TOKEN", help="The admin API's bearer token (env KP_ADMIN_TOKEN).")


@cli.group()
def relayer() -> None:
    """The relayer account of a running backend."""


@relayer.command("status")
@API
@TOKEN
def relayer_status(api: str, token: str | None) -> None:
    """Address, balance, nonce, queue and the journal per relayer address and status."""
    click.echo(json.dumps(_admin_call(api, token, "GET", "/admin/relayer"), indent=2))


def read_key(path: Path, password_file: Path | None) -> str:
    """A private key from a file: 64 hex digits, or an encrypted keystore (JSON) with its password."""
    text = path.read_text().strip()
    if text.startswith("{"):
        try:
            keystore = json.loads(text)
        except ValueError:
            fail("InvalidKeyFile", f"{path} is neither a hex key nor a keystore")
        password = password_file.read_text().rstrip("\n") if password_file else os.environ.get("KP_PASSWORD")
        if password is None:
            password = click.prompt("keystore password", hide_input=True)
        try:
            return "0x" + bytes(Account.decrypt(keystore, password)).hex()
        except ValueError:
            fail("WrongPassword", f"the password does not open {path}")
    try:
        return "0x" + bytes(Account.from_key(text).key).hex()
    except (ValueError, TypeError):
        fail("InvalidKeyFile", f"{path} holds no private key (64 hex digits, or a keystore)")


@relayer.command("rotate")
@API
@TOKEN
@click.option("--new-key-file", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The new relayer key: a file of 64 hex digits, or an encrypted keystore.")
@click.option("--password-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The keystore's password (else env KP_PASSWORD, else a prompt).")
@click.option("--drain-timeout", default=60.0, show_default=True, type=click.FloatRange(1, 600),
              help="Seconds to wait for the old key's transactions to be mined.")
def relayer_rotate(api: str, token: str | None, new_key_file: Path, password_file: Path | None,
                   drain_timeout: float) -> None:
    """Switch the running relayer to a new key without losing or repeating a write (drain, switch, resume).

    Fund the new account first (refused with RelayerKeyUnfunded otherwise), then set KP_RELAYER_KEY to the new key
    for the next restart."""
    key = read_key(new_key_file, password_file)
    answer = _admin_call(api, token, "POST", "/admin/relayer/rotate",
                         {"new_key": key, "drain_timeout": drain_timeout}, timeout=drain_timeout + 30)
    click.echo(json.dumps(answer, indent=2))


def main() -> None:
    """Entry point of the `kp-admin` console script."""
    cli(prog_name="kp-admin")


if __name__ == "__main__":
    main()
