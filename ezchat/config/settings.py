"""The settings: one frozen, typed object, loaded once (``loading.py``) from config.yaml and the
environment. Settings with a fixed set of values are ``Literal`` types, checked as they load."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ezchat.config.origins import origin_list

Storage = Literal["memory", "sqlite", "mongo"]
FileStorage = Literal["local", "s3", "memory"]
HookFailure = Literal["open", "closed"]
Registration = Literal["open", "invite", "closed"]
MongoDriver = Literal["motor", "pymongo"]
SyncMode = Literal["FULL", "NORMAL"]
BusRouting = Literal["conversation", "broadcast"]
ReadPreference = Literal[
    "primary", "primaryPreferred", "secondary", "secondaryPreferred", "nearest"
]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["text", "json"]  # json: one object per line
EventLoop = Literal["auto", "asyncio", "uvloop"]


class ConfigError(ValueError):
    """A configuration value is missing or wrong; the message names the variable."""


@dataclass(frozen=True)
class Config:
    host: str | None = None
    port: int = 8000
    debug: bool = True
    workers: int = 1
    log_level: LogLevel = "INFO"
    log_format: LogFormat = "text"  # or "json": one object per line
    # "auto": uvloop where it is installed (a dependency wherever it has wheels), else asyncio.
    event_loop: EventLoop = "auto"
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

    storage: Storage = "sqlite"
    data_dir: str = "./data"
    sqlite_path: str | None = None
    sqlite_synchronous: SyncMode = "FULL"
    mongodb_url: str | None = None
    mongodb_db: str = "ezchat"

    # Uploaded files: their bytes on local disk (DATA_DIR/files), in S3, or in memory.
    file_storage: FileStorage = "local"
    s3_endpoint_url: str | None = None  # any S3-compatible service; None: AWS's own
    s3_bucket: str | None = None
    s3_region: str = "us-east-1"
    max_upload_bytes: int = 26_214_400  # 25 MiB
    upload_quota_bytes: int = 1_073_741_824  # 1 GiB per user
    upload_orphan_ttl_s: float = 86_400.0  # uploads no message carries go after this
    file_url_ttl_s: int = 3600  # signed file links
    max_image_pixels: int = 25_000_000  # larger images are refused (decoding one holds ~100 MB)

    mongodb_driver: MongoDriver = "motor"
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
    mongodb_read_preference: ReadPreference = "primary"
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
    # App-signed JWTs accepted as user tokens: HS256 with the secret, or RS256/ES256 with the
    # keys at the JWKS URL (one of the two); sub is the user's external id.
    auth_jwt_secret: str | None = None
    auth_jwks_url: str | None = None
    auth_jwt_issuer: str | None = None
    auth_jwt_audience: str | None = None
    auth_jwt_provision: bool = False  # a token for an unknown external id makes the user
    # Every send is POSTed here first; it answers allow, reject or replace.
    before_send_url: str | None = None
    before_send_secret: str | None = None
    before_send_timeout_ms: float = 1000.0
    before_send_failure: HookFailure = "open"  # open: a failing hook lets messages through
    # Event webhooks (made through /api/server/webhooks): delivery from the durable record.
    webhook_max_attempts: int = 8
    webhook_timeout_s: float = 5.0
    webhook_retry_base_s: float = 1.0
    webhook_retry_max_s: float = 600.0
    webhook_poll_s: float = 1.0
    webhook_lease_s: float = 30.0
    # Scheduled messages: how often each process looks for due ones; how long it holds one.
    scheduled_poll_s: float = 0.5
    scheduled_lease_s: float = 30.0
    # Link previews: the first link of a message is read (through the outbound guard) and
    # shown as a preview; each URL's preview (or its failure) is kept this long per process.
    # Who may make an account with POST /api/auth/register: anyone, holders of an admin's
    # invite, or nobody (then only admins and the CLI make accounts).
    registration: Registration = "open"
    # A deleted account's username is free for someone else after this many days.
    deleted_username_hold_days: float = 30.0
    # A deleted account's messages: kept as from "Deleted user" (false) or erased (true: text,
    # attachments and the files they carry gone; tombstones stay in their places).
    erase_on_delete: bool = False
    # Data exports (POST /api/users/me/export): kept this long once built; a build that has
    # not finished within the lease is started again by any process.
    export_ttl_s: float = 86_400.0
    export_lease_s: float = 600.0
    # Retention: messages older than this many days are swept (0: kept for ever), unless a
    # group sets its own retention_days. The sweeper looks every RETENTION_POLL_S and
    # tombstones at most RETENTION_BATCH messages per write, pausing RETENTION_PAUSE_MS
    # between writes so that sends never wait behind it.
    retention_days: float = 0.0
    retention_poll_s: float = 60.0
    retention_batch: int = 20
    retention_pause_ms: float = 10.0
    link_previews: bool = True
    link_preview_ttl_s: float = 3600.0
    webhook_keep_s: float = 86_400.0  # delivered deliveries stay listed this long
    token_ttl_s: float = 2_592_000.0
    password_hash_n: int = 16384
    login_max_failures: int = 5
    login_window_s: float = 300.0
    revocation_poll_s: float = 2.0
    register_max_per_address: int = 20
    register_window_s: float = 600.0

    max_message_length: int = 4000
    max_group_members: int = 1000
    # Above this many members a group gets no presence, typing or others' receipts pushed.
    large_group_members: int = 100

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
    bus_routing: BusRouting = "conversation"

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
