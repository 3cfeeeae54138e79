"""Configuration: defaults from config.yaml, overridden by environment variables, loaded once
into a frozen typed object. Nothing else in EZChat reads os.environ or YAML."""

from __future__ import annotations

import dataclasses
import functools
import os
import secrets
import tempfile
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from ezchat.domain.addresses import known_private

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config.yaml"
STORAGES = ("memory", "sqlite", "mongo")
MONGO_DRIVERS = ("motor", "pymongo")
SYNC_MODES = ("FULL", "NORMAL")
BUS_ROUTINGS = ("conversation", "broadcast")
READ_PREFERENCES = ("primary", "primaryPreferred", "secondary", "secondaryPreferred", "nearest")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """A configuration value is missing or wrong; the message names the variable."""


@dataclass(frozen=True)
class Config:
    host: str | None = None
    port: int = 8000
    debug: bool = True
    workers: int = 1
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one object per line
    # "auto": uvloop where it is installed (a dependency wherever it has wheels), else asyncio.
    event_loop: str = "auto"
    max_body_bytes: int = 1_048_576
    idle_connection_timeout_s: float = 60.0
    body_timeout_s: float = 30.0
    xheaders: bool = False
    # Connections the kernel queues before the server accepts them (capped by the kernel's
    # net.core.somaxconn): Tornado's 128 overflows when thousands reconnect at once.
    listen_backlog: int = 4096
    allowed_origins: str = ""  # comma-separated origins, or "*": browsers' cross-origin access
    # Other origins the web client served here may use as its API (``/?api=``): the page's
    # Content-Security-Policy lets it connect only to its own origin and these.
    web_api_origins: str = ""
    # Requests to URLs the server was given (push endpoints, webhooks) may go to loopback,
    # private and link-local addresses: tests and private deployments only.
    outbound_allow_private: bool = False

    storage: str = "sqlite"
    data_dir: str = "./data"
    sqlite_path: str | None = None
    sqlite_synchronous: str = "FULL"
    mongodb_url: str | None = None
    mongodb_db: str = "ezchat"
    mongodb_driver: str = "motor"
    mongodb_max_pool_size: int = 100
    mongodb_min_pool_size: int = 10
    mongodb_max_idle_time_ms: int = 60_000
    mongodb_socket_timeout_ms: int = 5_000
    mongodb_connect_timeout_ms: int = 5_000
    mongodb_server_selection_timeout_ms: int = 5_000
    # An acknowledged write survives a primary failover: a majority of the replica set has it,
    # journaled. "1" trades that away for latency.
    mongodb_write_concern: str = "majority"
    mongodb_journal: bool = True
    mongodb_write_timeout_ms: int = 10_000
    # Older history pages and search may read from secondaries; membership, seq allocation,
    # sync and the newest page (what caches hold) always read the primary.
    mongodb_read_preference: str = "primary"
    mongodb_max_staleness_s: int = -1  # -1: no bound; else at least 90 (MongoDB's minimum)
    db_concurrency_limit: int = 20
    db_retry_attempts: int = 3
    db_retry_base_ms: float = 50.0
    slow_db_ms: float = 100.0
    message_batch_size: int = 64
    # 0: a lone send is written at once; those arriving meanwhile form the next batch. Waiting
    # 2 ms for company cost the DM round trip 4 ms and bought no throughput (bench.dm_rtt,
    # bench.send_ack).
    message_batch_delay_ms: float = 0.0

    user_cache_size: int = 1000
    user_cache_ttl: float = 300.0
    message_cache_size: int = 5000
    message_cache_ttl: float = 60.0
    query_cache_size: int = 10_000
    query_cache_ttl: float = 60.0
    pointer_flush_ms: float = 250.0

    secret_key: str | None = None
    token_ttl_s: float = 2_592_000.0
    password_hash_n: int = 16384
    login_max_failures: int = 5
    login_window_s: float = 300.0
    revocation_poll_s: float = 2.0
    register_max_per_address: int = 20
    register_window_s: float = 600.0

    max_message_length: int = 4000
    max_group_members: int = 1000

    max_connections: int = 10_000
    max_connections_per_user: int = 10
    max_frame_bytes: int = 65_536
    # Frames of one connection handled at once (1: strictly one after another).
    max_frames_in_flight: int = 16
    heartbeat_interval: float = 25.0
    heartbeat_timeout: float = 60.0
    outbox_max_frames: int = 1000
    outbox_max_bytes: int = 1_048_576
    message_rate_per_sec: float = 10.0
    message_burst: int = 30
    receipt_flush_ms: float = 500.0
    presence_flush_ms: float = 500.0
    presence_grace_s: float = 10.0

    slow_request_ms: float = 500.0
    # Newest-page reads answered in front of Tornado's web layer (entry/fastlane.py).
    fast_lane: bool = True

    redis_url: str | None = None
    redis_prefix: str = "ezchat"
    # "conversation": messages, typing and receipts on a channel per conversation, heard by
    # the processes with a member connected; "broadcast": every event to every process.
    bus_routing: str = "conversation"

    # Notifications of unread messages: a webhook, Web Push, or both.
    notify_delay_s: float = 30.0
    notify_webhook_url: str | None = None
    notify_webhook_secret: str | None = None
    web_push: bool = True
    vapid_private_key: str | None = None  # PEM or base64url; generated into DATA_DIR if unset
    vapid_subject: str = "mailto:admin@localhost"
    push_ttl_s: int = 86_400
    push_max_subscriptions: int = 10  # per user: the oldest go first
    notify_poll_s: float = 1.0
    notify_timeout_s: float = 10.0
    notify_lease_s: float = 60.0
    notify_max_attempts: int = 8
    notify_retry_base_s: float = 2.0
    notify_retry_max_s: float = 300.0

    @property
    def bind_host(self) -> str:
        if self.host:
            return self.host
        return "127.0.0.1" if self.debug else "0.0.0.0"

    @functools.cached_property
    def _origins(self) -> frozenset[str]:
        return frozenset(origin_list(self.allowed_origins))

    @functools.cached_property
    def web_api_origin_list(self) -> tuple[str, ...]:
        return origin_list(self.web_api_origins)

    def origin_allowed(self, origin: str) -> bool:
        """Whether a page from ``origin`` (scheme://host[:port]) may use the API."""
        return "*" in self._origins or origin.rstrip("/").lower() in self._origins

    @property
    def database_path(self) -> str:
        return self.sqlite_path or str(Path(self.data_dir) / "ezchat.db")

    @property
    def notifications(self) -> bool:
        """Whether any channel is on: without one, nothing is queued."""
        return self.web_push or bool(self.notify_webhook_url)

    @property
    def process_count(self) -> int:
        return self.workers or (os.cpu_count() or 1)


# Lower bounds of numeric settings; anything below is refused at start.
_MINIMUM: dict[str, float] = {
    "port": 0,
    "workers": 0,
    "max_body_bytes": 1024,
    "idle_connection_timeout_s": 0.1,
    "body_timeout_s": 0.1,
    "listen_backlog": 1,
    "mongodb_max_pool_size": 1,
    "mongodb_min_pool_size": 0,
    "mongodb_max_idle_time_ms": 0,
    "mongodb_socket_timeout_ms": 1,
    "mongodb_connect_timeout_ms": 1,
    "mongodb_server_selection_timeout_ms": 1,
    "mongodb_write_timeout_ms": 0,
    "mongodb_max_staleness_s": -1,
    "db_concurrency_limit": 1,
    "db_retry_attempts": 1,
    "db_retry_base_ms": 0,
    "slow_db_ms": 0,
    "message_batch_size": 1,
    "message_batch_delay_ms": 0,
    "user_cache_size": 0,
    "user_cache_ttl": 0,
    "message_cache_size": 0,
    "message_cache_ttl": 0,
    "query_cache_size": 0,
    "query_cache_ttl": 0,
    "pointer_flush_ms": 1,
    "token_ttl_s": 1,
    "password_hash_n": 2,
    "login_max_failures": 1,
    "login_window_s": 1,
    "register_max_per_address": 1,
    "revocation_poll_s": 0.05,
    "register_window_s": 1,
    "max_message_length": 1,
    "max_group_members": 2,
    "slow_request_ms": 0,
    "max_connections": 1,
    "max_connections_per_user": 1,
    "max_frame_bytes": 1024,
    "max_frames_in_flight": 1,
    "heartbeat_interval": 0.05,
    "heartbeat_timeout": 0.1,
    "outbox_max_frames": 1,
    "outbox_max_bytes": 1024,
    "message_rate_per_sec": 0.001,
    "message_burst": 1,
    "receipt_flush_ms": 0,
    "presence_flush_ms": 0,
    "presence_grace_s": 0,
    "notify_delay_s": 0,
    "push_ttl_s": 0,
    "push_max_subscriptions": 1,
    "notify_poll_s": 0.05,
    "notify_timeout_s": 0.1,
    "notify_lease_s": 1,
    "notify_max_attempts": 1,
    "notify_retry_base_s": 0,
    "notify_retry_max_s": 0,
}


def origin_list(text: str) -> tuple[str, ...]:
    """A comma-separated list of origins, each as browsers send it (lower case, no slash)."""
    return tuple(o.strip().rstrip("/").lower() for o in text.split(",") if o.strip())


def origin_problem(origin: str) -> str | None:
    """Why ``origin`` is not a browser origin (``scheme://host[:port]``), or None."""
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        return "has a bad port"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be scheme://host[:port], with http or https"
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        return "must be scheme://host[:port] alone (no path, query or user)"
    return None


def _check_origins(config: Config) -> None:
    for name, origins, star in (
        ("ALLOWED_ORIGINS", origin_list(config.allowed_origins), True),
        ("WEB_API_ORIGINS", config.web_api_origin_list, False),
    ):
        for origin in origins:
            if star and origin == "*":
                continue
            problem = origin_problem(origin)
            if problem is not None:
                raise ConfigError(f"{name}: {origin!r} {problem}")


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read ``path`` (default: the project's config.yaml), then apply ``environ``. Raises
    ``ConfigError`` naming the key or variable at fault."""
    environ = os.environ if environ is None else environ
    file = Path(path) if path is not None else DEFAULT_PATH
    raw: dict[str, Any] = {}
    if file.exists():
        try:
            loaded = yaml.safe_load(file.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{file}: not valid YAML: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"{file}: expected a mapping of settings")
        raw = loaded
    fields = {f.name: f for f in dataclasses.fields(Config)}
    hints = typing.get_type_hints(Config)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in fields:
            raise ConfigError(f"{file}: unknown setting {key!r}")
        values[key] = _convert(value, hints[key], f"{key} (in {file.name})")
    for key in fields:
        env = key.upper()
        if env in environ:
            values[key] = _convert(environ[env], hints[key], env)
    config = Config(**values)
    _check(config)
    return config


def _convert(value: Any, hint: Any, name: str) -> Any:
    optional = isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)
    base = next((a for a in typing.get_args(hint) if a is not type(None)), hint)
    if value is None or (optional and isinstance(value, str) and value.strip() in ("", "null")):
        if optional:
            return None
        raise ConfigError(f"{name} must be set")
    try:
        if base is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if base is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(str(value).strip()) if isinstance(value, str) else int(value)
        if base is float:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError
            return number
        return str(value)
    except (ValueError, TypeError):
        kind = {bool: "true or false", int: "a whole number", float: "a number"}.get(base, "text")
        raise ConfigError(f"{name} must be {kind}, got {value!r}") from None


def _check(config: Config) -> None:
    for key, minimum in _MINIMUM.items():
        if getattr(config, key) < minimum:
            raise ConfigError(f"{key.upper()} must be at least {minimum}")
    if config.port > 65535:
        raise ConfigError("PORT must be at most 65535")
    if config.storage not in STORAGES:
        raise ConfigError(f"STORAGE must be one of {', '.join(STORAGES)}, got {config.storage!r}")
    if config.mongodb_driver not in MONGO_DRIVERS:
        raise ConfigError(f"MONGODB_DRIVER must be one of {', '.join(MONGO_DRIVERS)}")
    if config.sqlite_synchronous.upper() not in SYNC_MODES:
        raise ConfigError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(SYNC_MODES)}")
    if config.storage == "mongo" and not config.mongodb_url:
        raise ConfigError("MONGODB_URL must be set with STORAGE=mongo")
    if config.event_loop not in ("auto", "asyncio", "uvloop"):
        raise ConfigError("EVENT_LOOP must be auto, asyncio or uvloop")
    if config.log_format not in ("text", "json"):
        raise ConfigError("LOG_FORMAT must be text or json")
    if config.log_level.upper() not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
    n = config.password_hash_n
    if n & (n - 1):
        raise ConfigError("PASSWORD_HASH_N must be a power of two")
    if config.mongodb_write_concern != "majority" and not (
        config.mongodb_write_concern.isdigit() and int(config.mongodb_write_concern) >= 1
    ):
        raise ConfigError(
            "MONGODB_WRITE_CONCERN must be majority or a number of members (1 or more)"
        )
    if config.bus_routing not in BUS_ROUTINGS:
        raise ConfigError(f"BUS_ROUTING must be one of {', '.join(BUS_ROUTINGS)}")
    if config.mongodb_read_preference not in READ_PREFERENCES:
        raise ConfigError(f"MONGODB_READ_PREFERENCE must be one of {', '.join(READ_PREFERENCES)}")
    if config.mongodb_max_staleness_s != -1 and (
        config.mongodb_max_staleness_s < 90 or config.mongodb_read_preference == "primary"
    ):
        raise ConfigError(
            "MONGODB_MAX_STALENESS_S must be -1, or 90 or more with a read preference other "
            "than primary"
        )
    if config.mongodb_min_pool_size > config.mongodb_max_pool_size:
        raise ConfigError("MONGODB_MIN_POOL_SIZE must not exceed MONGODB_MAX_POOL_SIZE")
    if config.heartbeat_timeout <= config.heartbeat_interval:
        raise ConfigError("HEARTBEAT_TIMEOUT must be longer than HEARTBEAT_INTERVAL")
    if config.process_count > 1 and not config.redis_url:
        raise ConfigError(
            "WORKERS > 1 needs an event broker between the processes: set REDIS_URL "
            "(events stop at the process they were made in otherwise)"
        )
    if config.process_count > 1 and config.storage == "memory":
        raise ConfigError("WORKERS > 1 needs a shared store: STORAGE=sqlite or STORAGE=mongo")
    _check_origins(config)
    _check_notifications(config)


def _check_notifications(config: Config) -> None:
    url = config.notify_webhook_url
    if url is not None:
        host = urlsplit(url).hostname
        if urlsplit(url).scheme not in ("http", "https") or not host:
            raise ConfigError("NOTIFY_WEBHOOK_URL must be an http or https URL")
        if not config.outbound_allow_private and known_private(host):
            raise ConfigError(
                f"NOTIFY_WEBHOOK_URL: {host} is not a public address; set "
                "OUTBOUND_ALLOW_PRIVATE=true to send notifications there"
            )
        if not config.notify_webhook_secret:
            raise ConfigError(
                "NOTIFY_WEBHOOK_SECRET must be set with NOTIFY_WEBHOOK_URL (receivers check "
                "the signature made with it)"
            )
    if config.notify_lease_s <= config.notify_timeout_s:
        raise ConfigError("NOTIFY_LEASE_S must be longer than NOTIFY_TIMEOUT_S")
    if config.push_ttl_s > 2_419_200:
        raise ConfigError("PUSH_TTL_S must be at most 2419200 (28 days)")
    subject = config.vapid_subject
    if not (subject.startswith("mailto:") and "@" in subject) and not subject.startswith(
        "https://"
    ):
        raise ConfigError("VAPID_SUBJECT must be a mailto: address or an https URL")


def data_dir_needed(config: Config) -> bool:
    """Whether anything is kept in DATA_DIR: the database, a generated secret or VAPID key."""
    return (
        (config.storage == "sqlite" and not config.sqlite_path)
        or not config.secret_key
        or (config.web_push and not config.vapid_private_key)
    )


def data_dir_problem(config: Config) -> str | None:
    """Why DATA_DIR cannot be used (created where missing, written), or None. Leaves nothing
    behind: it tries by making an empty directory where the first missing part would go (or
    inside DATA_DIR) and removing it again; permission bits alone cannot tell (root, /proc)."""
    path = Path(config.data_dir).absolute()
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is not a directory"
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".ezchat-check-", dir=probe))
    except OSError as exc:
        where = "cannot be written" if probe == path else f"cannot be created in {probe}"
        return f"{path} {where} ({exc.strerror})"
    return None


def secret_key(config: Config) -> str:
    """SECRET_KEY, or the key generated on first start and kept in DATA_DIR, so tokens outlive
    a restart."""
    if config.secret_key:
        return config.secret_key
    return kept_secret(config, "secret_key", lambda: secrets.token_urlsafe(48), "SECRET_KEY")


def kept_secret(config: Config, name: str, make: Callable[[], str], setting: str) -> str:
    """The secret kept in DATA_DIR/``name``, made by ``make`` on first start."""
    path = Path(config.data_dir) / name
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # before any secret
        # Written whole under a temporary name, then linked in only if none is there yet:
        # processes starting together (workers, nodes on one disk) all end up with one.
        if not path.exists():
            tmp = path.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(make())
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another process was first: use its secret
            finally:
                tmp.unlink()
        value = path.read_text().strip()
        if not value:
            raise ConfigError(f"DATA_DIR: {path} is empty; delete it or set {setting}")
        return value
    except OSError as exc:
        raise ConfigError(f"DATA_DIR: cannot keep {name} in {path}: {exc}") from exc
