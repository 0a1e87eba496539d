"""The one Settings object: every knob of the backend, read from KP_* environment variables or .env."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[3]

# anvil's well-known first test key: fine on the embedded development chain, refused elsewhere
ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KP_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    rpc_url: str = "http://127.0.0.1:8545"
    # Besu / QBFT chains carry extra data that web3.py's PoA middleware must strip
    poa_chain: bool = False
    data_dir: Path = ROOT / "data"
    deployment_file: Path | None = None
    build_manifest: Path = ROOT / ".build" / "__local__.json"
    database_url: str | None = None
    relayer_key: SecretStr = SecretStr(ANVIL_DEV_KEY)
    # relayer: many signed requests go out as one KPRelayBatch transaction
    batch_max_calls: int = Field(200, ge=1, le=5_000, description="most calls in one batch transaction")
    batch_max_bytes: int = Field(900_000, ge=10_000, le=64_000_000,
                                 description="most bytes of ABI-encoded calldata in one batch transaction; its "
                                             "simulation and the signed transaction carry it hex-encoded (twice "
                                             "the size): keep that under the node's JSON-RPC body limit (anvil "
                                             "2 MiB) and its largest accepted transaction")
    batch_gas: int = Field(12_000_000, ge=1_000_000, le=2_000_000_000,
                           description="most simulated gas of calls in one batch (also kept under 80% of the block "
                                       "gas limit)")
    # indexer
    log_range: int = Field(2_000, ge=1, le=100_000, description="blocks per eth_getLogs call (Besu caps at 5,000)")
    poll_interval: float = Field(0.2, gt=0, le=60)
    reorg_depth: int = Field(64, ge=1, le=10_000, description="how many recent block hashes are kept")
    # API
    host: str = "127.0.0.1"
    port: int = 8000
    worker_threads: int = Field(256, ge=1, le=4096, description="threads serving blocking work (reads, documents)")
    max_body_bytes: int = Field(64 * 1024, ge=1024, le=16 * 1024 * 1024)
    max_document_bytes: int = Field(4 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    cors_origins: list[str] = ["*"]
    frontend_dir: Path = ROOT / "frontend-static"
    # FastAPI's native OpenTelemetry (traces, metrics, logs to the globally configured OTEL providers); off by
    # default: when on it checks the providers on every request, a measurable cost on the write path
    telemetry: bool = False
    auth_window_seconds: int = Field(300, ge=10, le=86_400)

    @model_validator(mode="after")
    def _defaults_and_secrets(self) -> Settings:
        if self.deployment_file is None:
            self.deployment_file = self.data_dir / "deployment.json"
        if self.database_url is None:
            self.database_url = f"sqlite:///{self.data_dir / 'kp.db'}"
        if self.environment == "production" and self.relayer_key.get_secret_value() == ANVIL_DEV_KEY:
            raise ValueError("KP_RELAYER_KEY must be set to a real key outside development")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
