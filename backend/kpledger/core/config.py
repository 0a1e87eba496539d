"""The one Settings object: every knob of the backend, read from KP_* environment variables or .env."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kpledger.core.devkeys import CHECKED_INDEXES, dev_key_index

# anvil's first public test key (kpledger.core.devkeys): fine on the embedded development chain, refused in
# production like every key of the public test mnemonic
ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
# where the backend runs: development (`make run`: the public test keys are welcome), test (the test harness),
# production (development keys refused); `GET /v1/config` tells clients, and `kp dev` acts only in development
Environment = Literal["development", "test", "production"]


class Settings(BaseSettings):
    # hide_input_in_errors: a refusal must never repeat the settings it was given (the relayer key among them)
    model_config = SettingsConfigDict(env_prefix="KP_", env_file=".env", extra="ignore", env_ignore_empty=True,
                                      hide_input_in_errors=True)

    environment: Environment = "development"
    rpc_url: str = "http://127.0.0.1:8545"
    # Besu / QBFT chains carry extra data that web3.py's PoA middleware must strip
    poa_chain: bool = False
    # where the backend keeps its files and finds its build: relative paths are the working directory's (nothing
    # here depends on where the source tree is); `python -m kpledger.dev` and the test harness pass the repository's
    data_dir: Path = Path("data")
    # None (the default, or given) means data_dir/deployment.json (`_in_data_dir`)
    deployment_file: Path = Field(None, validate_default=True)
    # the contracts' ABIs: the build manifest `ape compile` writes (deploy it with the backend)
    build_manifest: Path = Path(".build") / "__local__.json"
    database_url: str = Field(None, validate_default=True)  # None: SQLite's data_dir/kp.db
    relayer_key: SecretStr = SecretStr(ANVIL_DEV_KEY)
    # relayer: many signed requests go out as one KPRelayBatch transaction
    batch_max_calls: int = Field(200, ge=1, le=5_000, description="most calls in one batch transaction")
    batch_max_bytes: int = Field(900_000, ge=10_000, le=64_000_000,
                                 description="most bytes of ABI-encoded calldata in one batch transaction; its "
                                             "simulation and the signed transaction carry it hex-encoded (twice "
                                             "the size): keep that under the node's JSON-RPC body limit (anvil "
                                             "2 MiB) and its largest accepted transaction")
    batch_gas: int = Field(15_000_000, ge=1_000_000, le=2_000_000_000,
                           description="most gas one batch transaction is signed for (its calls' bounds and "
                                       "overheads); also kept under half the block gas limit, so two full batches "
                                       "fit in a block")
    # a relayer transaction unmined this long while its fees are below the market's is re-signed with higher fees
    # (same nonce: only one version can be mined); 0 never raises them. The cap bounds what a replacement may
    # pay per gas (wei; none by default): above it the relayer logs and keeps waiting.
    fee_bump_after_seconds: float = Field(20.0, ge=0, le=3_600)
    max_fee_per_gas_wei: int | None = Field(None, ge=0, le=10**15)
    # a relayer whose signed transactions wait unmined, its nonce on chain unmoved, this long is reported stalled by
    # /healthz (status "stalled", reason RelayerStalled): writes then wait and answer 503
    relayer_stall_seconds: float = Field(60.0, gt=0, le=86_400)
    # indexer
    log_range: int = Field(2_000, ge=1, le=100_000, description="blocks per eth_getLogs call (Besu caps at 5,000)")
    poll_interval: float = Field(0.2, gt=0, le=60)
    reorg_depth: int = Field(64, ge=1, le=10_000, description="the deepest reorganisation followed: how many recent "
                             "block hashes the indexer keeps, and how long the relayer checks that the blocks its "
                             "transactions were mined in are still the chain's")
    # API
    host: str = "127.0.0.1"
    port: int = 8000
    worker_threads: int = Field(256, ge=1, le=4096, description="threads serving blocking work (reads, documents)")
    max_body_bytes: int = Field(64 * 1024, ge=1024, le=16 * 1024 * 1024)
    max_document_bytes: int = Field(4 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    cors_origins: list[str] = ["*"]
    frontend_dir: Path = Path("frontend-static")  # the viewer and console the API serves (after `make vendor`)
    # FastAPI's native OpenTelemetry (traces, metrics, logs to the globally configured OTEL providers); off by
    # default: when on it checks the providers on every request, a measurable cost on the write path
    telemetry: bool = False
    auth_window_seconds: int = Field(300, ge=10, le=86_400)
    # a request body must arrive within this time (a client trickling bytes holds no connection for long)
    body_timeout_seconds: float = Field(30.0, gt=0, le=3_600)
    # most connections open at once (uvicorn's limit_concurrency): a new one beyond closes the oldest connection that
    # has no request in progress (an unfinished head, an idle keep-alive); when every one has, new requests get 503
    max_connections: int = Field(1_024, ge=16, le=100_000)
    # request heads (kpledger.api.server): the time from a connection's opening, or its previous response, to the end
    # of its next head (408 past it: slowloris), the head's size and its number of header fields (431 past either)
    head_timeout_seconds: float = Field(10.0, gt=0, le=600)
    max_head_bytes: int = Field(32 * 1024, ge=4 * 1024, le=1024 * 1024)
    max_headers: int = Field(100, ge=16, le=10_000)
    # the public URL of this API and the viewer it serves (printed in QR codes, links of the EPCIS documents and the
    # identifier resolver), and the base of the URIs this ledger mints for lots, operators, participants and
    # certificates (GS1 EPCIS; resolved by the API under /id/...; event IDs cover them). Never taken from a request's
    # Host header (a party could print its own host into a kept certificate): required in production, the listen
    # address (`http://KP_HOST:KP_PORT`) otherwise. Filled in by the validator below, without a trailing slash.
    public_base_url: str = Field("", pattern=r"^(https?://[^\s?#]+)?$", max_length=200)
    id_base_url: str = Field("", pattern=r"^(https?://[^\s?#]+)?$", max_length=200)
    # operations (docs/pages/operating.md): logs, metrics, the admin API, the relayer's balance
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "text"] = "json"
    # GET /metrics (Prometheus text format): off by default; on, it answers only with `Authorization: Bearer
    # <KP_METRICS_TOKEN>` (401 otherwise)
    metrics: Literal["off", "on"] = "off"
    metrics_token: SecretStr | None = None
    # the admin API (/admin/...: relayer status and key rotation, memory snapshots): served only when this token is
    # set, and only to `Authorization: Bearer <KP_ADMIN_TOKEN>`; reach it over loopback or TLS (it carries keys)
    admin_token: SecretStr | None = None
    # tracemalloc in the server, its snapshots diffed at GET /admin/debug/memory (costs CPU and memory: debugging)
    debug_memory: bool = False
    # warn (log and kp_relayer_balance_low) when the relayer's balance falls under this on a chain charging fees
    relayer_min_balance_wei: int = Field(10**17, ge=0)
    monitor_interval: float = Field(10.0, gt=0, le=3_600, description="seconds between readings of the relayer's "
                                    "balance, the journal's counts and the index lag")
    # glibc malloc arenas of the API process (0: glibc's default, 8 per core); with the monitor's periodic
    # malloc_trim it keeps freed C memory from accumulating (bench/HISTORY.md, the soak)
    malloc_arena_max: int = Field(2, ge=0, le=64)

    @field_validator("deployment_file", "database_url", mode="before")
    @classmethod
    def _in_data_dir(cls, value: Any, info: ValidationInfo) -> Any:
        data_dir = info.data.get("data_dir")
        if value is not None or data_dir is None:  # no data_dir: its own error is reported
            return value
        if info.field_name == "deployment_file":
            return data_dir / "deployment.json"
        return f"sqlite:///{data_dir / 'kp.db'}"

    @model_validator(mode="after")
    def _defaults_and_secrets(self) -> Settings:
        for name in ("metrics_token", "admin_token"):
            token = getattr(self, name)
            if token is not None and len(token.get_secret_value()) < 16:
                raise ValueError(f"KP_{name.upper()} must be at least 16 characters")
        if self.metrics == "on" and self.metrics_token is None:
            raise ValueError("KP_METRICS=on needs KP_METRICS_TOKEN (the bearer token scrapers send)")
        if self.environment == "production" and (index := self.relayer_dev_key_index()) is not None:
            raise ValueError(f"KP_RELAYER_KEY is key #{index} of the public development mnemonic: set a real key "
                             "in production")
        if self.environment == "production" and not (self.public_base_url and self.id_base_url):
            raise ValueError("KP_PUBLIC_BASE_URL and KP_ID_BASE_URL must be set in production: the public URL of "
                             "this API and its viewer (printed in certificates' QR codes) and the base of the ledger's "
                             "EPCIS identifiers, e.g. https://kp.example.org (never taken from a request's Host)")
        self.public_base_url = (self.public_base_url or self.listen_url).rstrip("/")
        self.id_base_url = (self.id_base_url or self.listen_url).rstrip("/")
        return self

    @property
    def listen_url(self) -> str:
        """The URL this API listens at (a wildcard address as loopback), the public URLs' default outside production."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def relayer_dev_key_index(self, limit: int = CHECKED_INDEXES) -> int | None:
        """The development-mnemonic index of the relayer key, if it is one of those public keys."""
        try:
            return dev_key_index(self.relayer_key.get_secret_value(), limit)
        except ValueError as exc:
            raise ValueError("KP_RELAYER_KEY is not a private key (64 hex digits, with or without 0x)") from exc


def describe(exc: ValidationError) -> str:
    """Why the settings were refused, in one line: each wrong setting by its variable name and the reason, never
    its value."""
    reasons = []
    for error in exc.errors(include_url=False, include_input=False):
        reason = error["msg"].removeprefix("Value error, ")
        loc = ".".join(map(str, error["loc"]))
        reasons.append(f"KP_{loc.upper()}: {reason}" if loc else reason)
    return "; ".join(reasons)


@lru_cache
def get_settings() -> Settings:
    return Settings()
