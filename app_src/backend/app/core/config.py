"""Settings from environment variables (ECS injects the secrets). See the README for the list."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Literal
from urllib.parse import quote

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The marker the infrastructure writes into secrets an operator has not set yet; the same value as
# PLACEHOLDER in stacks/contract/names.py (the app ships on its own, so it keeps its own copy).
PLACEHOLDER = "CHANGE_ME_PLACEHOLDER"
RELAXED_ENVIRONMENTS = ("local", "test")
# The collectors' API keys (app.collect.registry names the collector of each); the same names as
# API_KEY_NAMES in stacks/contract/names.py, which tests/app/test_app_settings.py checks.
API_KEY_NAMES = ("CRYPTOPANIC_API_KEY", "NEWSCATCHER_API_KEY", "NANSEN_API_KEY")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    PROJECT_NAME: str = "OhMyCoins"
    API_V1_STR: str = "/api/v1"
    # Any name is accepted (the stacks pass the environment's name); only local/test are relaxed.
    ENVIRONMENT: str = "local"
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    SECRET_KEY: str = PLACEHOLDER
    # After a rotation: the key before SECRET_KEY and when it was replaced (ISO-8601, UTC). Tokens
    # it signed before then stay valid until then + ACCESS_TOKEN_EXPIRE_MINUTES (app.core.security).
    SECRET_KEY_PREVIOUS: str | None = None
    SECRET_KEY_ROTATED_AT: datetime | None = None
    ACCESS_TOKEN_EXPIRE_MINUTES: int = 60 * 24
    BACKEND_CORS_ORIGINS: str = ""
    FIRST_SUPERUSER: str | None = None
    FIRST_SUPERUSER_PASSWORD: str | None = None

    POSTGRES_SERVER: str = "localhost"
    POSTGRES_PORT: int = 5432
    POSTGRES_USER: str = "postgres"
    POSTGRES_PASSWORD: str = ""
    POSTGRES_DB: str = "app"
    POSTGRES_SSLMODE: str = "prefer"

    # redis:// or rediss:// (TLS). REDIS_PASSWORD (the AUTH token) overrides a password in the URL.
    REDIS_URL: str = "redis://localhost:6379/0"
    REDIS_PASSWORD: str | None = None

    RATE_LIMIT_ENABLED: bool = True
    RATE_LIMIT_PER_MINUTE: int = 60
    RATE_LIMIT_PER_HOUR: int = 1000
    RATE_LIMIT_ADMIN_MULTIPLIER: int = 5
    RATE_LIMIT_FAIL_OPEN: bool = True
    # Set by the stacks behind CloudFront (CloudFront-Viewer-Address): app.client_address.
    CLIENT_ADDRESS_HEADER: str | None = None
    METRICS_FLUSH_SECONDS: float = Field(default=60.0, gt=0)  # app.metrics: one EMF line per period

    MAX_BODY_BYTES: int = 1024 * 1024
    MAX_LOGIN_BODY_BYTES: int = 16 * 1024
    CONTENT_DIGEST_ENABLED: bool = True

    CRYPTOPANIC_API_KEY: str | None = None
    NEWSCATCHER_API_KEY: str | None = None
    NANSEN_API_KEY: str | None = None

    @property
    def SQLALCHEMY_DATABASE_URI(self) -> str:  # noqa: N802 (the template's name)
        user = quote(self.POSTGRES_USER, safe="")
        password = quote(self.POSTGRES_PASSWORD, safe="")
        return (
            f"postgresql+psycopg://{user}:{password}@{self.POSTGRES_SERVER}:{self.POSTGRES_PORT}"
            f"/{self.POSTGRES_DB}?sslmode={self.POSTGRES_SSLMODE}"
        )

    @property
    def cors_origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.BACKEND_CORS_ORIGINS.split(",") if o.strip()]

    def api_key(self, name: str) -> str | None:
        """An API key, or None when unset or still the placeholder (its collector is disabled)."""
        if name not in API_KEY_NAMES:
            raise KeyError(name)
        value = getattr(self, name)
        return None if not value or value == PLACEHOLDER else value

    @field_validator("SECRET_KEY_ROTATED_AT")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        """Naive means UTC."""
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.ENVIRONMENT in RELAXED_ENVIRONMENTS:
            return self
        bad = [
            name
            for name in ("SECRET_KEY", "POSTGRES_PASSWORD")
            if getattr(self, name) in (PLACEHOLDER, "")
        ]
        if self.REDIS_PASSWORD == PLACEHOLDER:
            bad.append("REDIS_PASSWORD")
        if bad:
            raise ValueError(
                f"{', '.join(bad)} unset or still the placeholder; refusing to start in "
                f"ENVIRONMENT={self.ENVIRONMENT} (allowed only in {'/'.join(RELAXED_ENVIRONMENTS)})"
            )
        if len(self.SECRET_KEY) < 32:
            raise ValueError("SECRET_KEY must be at least 32 characters outside local/test")
        previous = self.SECRET_KEY_PREVIOUS
        if previous is not None and (previous == PLACEHOLDER or len(previous) < 32):
            raise ValueError(
                "SECRET_KEY_PREVIOUS must be at least 32 characters outside local/test"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()


settings = get_settings()
