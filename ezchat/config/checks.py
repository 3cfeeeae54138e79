"""What the settings must satisfy together, beyond their types: bounds, origins, the
combinations that cannot work (several workers without a broker, say)."""

from __future__ import annotations

from urllib.parse import urlsplit

from ezchat.config.origins import origin_list, origin_problem
from ezchat.config.settings import Config, ConfigError
from ezchat.domain.addresses import known_private

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
    "large_group_members": 2,
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
    "max_upload_bytes": 1,
    "upload_quota_bytes": 0,
    "upload_orphan_ttl_s": 1,
    "file_url_ttl_s": 60,
    "max_image_pixels": 1,
    "before_send_timeout_ms": 1,
    "webhook_max_attempts": 1,
    "webhook_timeout_s": 0.1,
    "webhook_retry_base_s": 0,
    "webhook_retry_max_s": 0,
    "webhook_poll_s": 0.05,
    "webhook_lease_s": 1,
    "scheduled_poll_s": 0.05,
    "scheduled_lease_s": 1,
    "link_preview_ttl_s": 0,
    "deleted_username_hold_days": 0,
    "export_ttl_s": 1,
    "export_lease_s": 1,
    "retention_days": 0,
    "retention_poll_s": 0.05,
    "retention_batch": 1,
    "retention_pause_ms": 0,
    "webhook_keep_s": 0,
}


def check(config: Config) -> None:
    """Raises ``ConfigError`` naming the setting at fault."""
    for key, minimum in _MINIMUM.items():
        if getattr(config, key) < minimum:
            raise ConfigError(f"{key.upper()} must be at least {minimum}")
    if config.port > 65535:
        raise ConfigError("PORT must be at most 65535")
    if config.storage == "mongo" and not config.mongodb_url:
        raise ConfigError("MONGODB_URL must be set with STORAGE=mongo")
    if config.auth_jwt_secret and config.auth_jwks_url:
        raise ConfigError("set one of AUTH_JWT_SECRET (HS256) and AUTH_JWKS_URL (RS256/ES256)")
    if config.file_storage == "s3" and not config.s3_bucket:
        raise ConfigError("S3_BUCKET must be set with FILE_STORAGE=s3")
    n = config.password_hash_n
    if n & (n - 1):
        raise ConfigError("PASSWORD_HASH_N must be a power of two")
    if config.mongodb_write_concern != "majority" and not (
        config.mongodb_write_concern.isdigit() and int(config.mongodb_write_concern) >= 1
    ):
        raise ConfigError(
            "MONGODB_WRITE_CONCERN must be majority or a number of members (1 or more)"
        )
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
    if config.webhook_lease_s <= config.webhook_timeout_s:
        raise ConfigError("WEBHOOK_LEASE_S must be longer than WEBHOOK_TIMEOUT_S")
    if config.notify_lease_s <= config.notify_timeout_s:
        raise ConfigError("NOTIFY_LEASE_S must be longer than NOTIFY_TIMEOUT_S")
    if config.push_ttl_s > 2_419_200:
        raise ConfigError("PUSH_TTL_S must be at most 2419200 (28 days)")
    subject = config.vapid_subject
    if not (subject.startswith("mailto:") and "@" in subject) and not subject.startswith(
        "https://"
    ):
        raise ConfigError("VAPID_SUBJECT must be a mailto: address or an https URL")


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
