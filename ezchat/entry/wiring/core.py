"""The use cases, built over the wrapped stores: authentication and access, people and
contacts, conversations and members, messages, presence, typing, push subscriptions, search,
and the limits and one-time keys they count with (in Redis when there is one)."""

from __future__ import annotations

import secrets

from ezchat.adapters.memory.limits import LocalRateLimits
from ezchat.adapters.memory.once import LocalOneTimeKeys
from ezchat.adapters.tokens import TICKET, SignedValueTokenCodec
from ezchat.config import Config, secret_key
from ezchat.domain.model import User
from ezchat.domain.rules import Limits
from ezchat.entry import logs
from ezchat.entry.context import Core
from ezchat.entry.wiring.files import build_files
from ezchat.entry.wiring.previews import build_previews
from ezchat.entry.wiring.privacy import build_privacy
from ezchat.entry.wiring.webhooks import build_webhooks, recording
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.ports.files import FileStore
from ezchat.ports.hooks import BeforeSend
from ezchat.ports.limits import Bucket, RateLimits, Window
from ezchat.ports.presence import ConnectionCounter
from ezchat.ports.security import OneTimeKeys, PasswordHasher
from ezchat.ports.storage import Stores
from ezchat.services.access import AccessService
from ezchat.services.admin import AdminService
from ezchat.services.apps import AppService
from ezchat.services.audit import AuditLog
from ezchat.services.auth import (
    LOGIN_CLIENT,
    LOGIN_NAME,
    REGISTER,
    AuthService,
    ExternalLogin,
    RevokedTokens,
)
from ezchat.services.contacts import ContactService
from ezchat.services.conversations import ConversationService
from ezchat.services.exports import EXPORT_BUCKET, EXPORTS
from ezchat.services.incoming_hooks import IncomingHookService
from ezchat.services.members import MemberService
from ezchat.services.messages import MESSAGES, MessageService
from ezchat.services.pins import PinService
from ezchat.services.presence import PresenceService
from ezchat.services.push import PushService
from ezchat.services.scheduled import ScheduledService
from ezchat.services.search import SearchService
from ezchat.services.threads import ThreadService
from ezchat.services.typing import TypingService
from ezchat.services.users import UserService


def make_rate_limits(config: Config, clock: Clock) -> RateLimits:
    """The limits of the config, counted in Redis (for every process) when there is one."""
    buckets = {
        MESSAGES: Bucket(rate=config.message_rate_per_sec, burst=config.message_burst),
        EXPORTS: EXPORT_BUCKET,
    }
    windows = {
        LOGIN_NAME: Window(config.login_max_failures, config.login_window_s),
        LOGIN_CLIENT: Window(config.login_max_failures * 4, config.login_window_s),
        REGISTER: Window(config.register_max_per_address, config.register_window_s),
    }
    local = LocalRateLimits(buckets=buckets, windows=windows, clock=clock)
    if not config.redis_url:
        return local
    from ezchat.adapters.redis import redis_rate_limits

    return redis_rate_limits(config, buckets=buckets, windows=windows, local=local)


def one_time_keys(config: Config) -> OneTimeKeys:
    """Where used tickets are remembered: Redis when there is one, else this process."""
    if not config.redis_url:
        return LocalOneTimeKeys()
    from ezchat.adapters.redis import redis_one_time_keys

    return redis_one_time_keys(config)


def external_login(
    config: Config, *, stores: Stores, clock: Clock, apps: AppService
) -> ExternalLogin | None:
    """App-signed JWTs as user tokens, when AUTH_JWT_SECRET or AUTH_JWKS_URL says so."""
    if not (config.auth_jwt_secret or config.auth_jwks_url):
        return None
    from ezchat.adapters.jwt_tokens import JwtTokens
    from ezchat.adapters.outbound.client import OutboundHttp

    tokens = JwtTokens(
        clock=clock,
        secret=config.auth_jwt_secret,
        jwks_url=config.auth_jwks_url if not config.auth_jwt_secret else None,
        http=OutboundHttp(allow_private=config.outbound_allow_private, max_answer_bytes=65536),
        issuer=config.auth_jwt_issuer,
        audience=config.auth_jwt_audience,
    )

    async def provision(external: str, name: str | None) -> User:
        shown = (name or "").strip()[:64] or None
        made, _ = await apps.provision(
            external, username=None, display_name=shown, avatar_url=None, avatar_given=False
        )
        return made

    return ExternalLogin(tokens, stores.users, provision if config.auth_jwt_provision else None)


def before_send(config: Config) -> BeforeSend | None:
    """The hook every send goes through first, when BEFORE_SEND_URL names one."""
    if not config.before_send_url:
        return None
    from ezchat.adapters.notify.before_send import HttpBeforeSend

    return HttpBeforeSend(
        url=config.before_send_url,
        secret=config.before_send_secret,
        timeout_s=config.before_send_timeout_ms / 1000,
        fail_open=config.before_send_failure == "open",
        allow_private=config.outbound_allow_private,
    )


def build_core(
    config: Config,
    *,
    stores: Stores,
    bus: EventBus,
    counter: ConnectionCounter,
    clock: Clock,
    hasher: PasswordHasher,
    blobs: FileStore,
) -> Core:
    limits = Limits(
        max_message_length=config.max_message_length,
        max_group_members=config.max_group_members,
        large_group_members=config.large_group_members,
    )
    once = one_time_keys(config)
    revoked = RevokedTokens()
    webhooks = build_webhooks(config, stores=stores, clock=clock)
    bus = recording(bus, webhooks, clock)  # what the services publish, apps' webhooks hear
    rate_limits = make_rate_limits(config, clock)
    auth = AuthService(
        users=stores.users,
        hasher=hasher,
        tokens=SignedValueTokenCodec(secret_key(config)),
        clock=clock,
        token_ttl_s=config.token_ttl_s,
        limits=rate_limits,
        tickets=SignedValueTokenCodec(secret_key(config), name=TICKET),
        once=once,
        revoked=revoked,
        # Used tickets are remembered in Redis when there is one, else in this process only.
        ticket_scope=None if config.redis_url else secrets.token_hex(6),
    )
    push = PushService(
        store=stores.push,
        clock=clock,
        keep=config.push_max_subscriptions,
        allow_private=config.outbound_allow_private,
    )
    access = AccessService(
        push=push,
        users=stores.users,
        revocations=stores.revocations,
        revoked=revoked,
        hasher=hasher,
        bus=bus,
        clock=clock,
        token_ttl_s=config.token_ttl_s,
    )
    contacts = ContactService(users=stores.users, contacts=stores.contacts, bus=bus, clock=clock)
    users = UserService(
        users=stores.users,
        contacts=stores.contacts,
        conversations=stores.conversations,
        bus=bus,
        large_group_members=limits.large_group_members,
    )
    files = build_files(config, stores=stores, blobs=blobs, clock=clock, rate_limits=rate_limits)
    conversations = ConversationService(
        users=stores.users,
        conversations=stores.conversations,
        messages=stores.messages,
        contacts=contacts,
        bus=bus,
        clock=clock,
        limits=limits,
    )
    apps = AppService(
        keys=stores.keys,
        users=stores.users,
        auth=auth,
        access=access,
        clock=clock,
        key_check_s=config.revocation_poll_s,
        token_ttl_s=config.token_ttl_s,
    )
    auth.external = external_login(config, stores=stores, clock=clock, apps=apps)
    auth.bus = bus
    apps.updated = users.changed
    messages = MessageService(
        conversations=conversations,
        conversation_store=stores.conversations,
        messages=stores.messages,
        contacts=contacts,
        bus=bus,
        clock=clock,
        limits=limits,
        rate_limits=rate_limits,
        users=stores.users,
        notify_delay_s=config.notify_delay_s if config.notifications else None,
        files=files,
    )
    messages.before_send = before_send(config)
    messages.pins = pins = PinService(
        conversations=conversations,
        conversation_store=stores.conversations,
        messages=stores.messages,
        pins=stores.pins,
        bus=bus,
        clock=clock,
        take_token=messages.take_token,
    )
    messages.threads = threads = ThreadService(
        conversations=conversations,
        conversation_store=stores.conversations,
        messages=stores.messages,
        threads=stores.threads,
        bus=bus,
    )
    messages.repeated = bus.repeated
    messages.previews = build_previews(config, stores=stores, bus=bus)
    scheduled = ScheduledService(
        store=stores.scheduled,
        messages=messages,
        message_store=stores.messages,
        conversations=conversations,
        files=files,
        clock=clock,
        limits=limits,
        lease_s=config.scheduled_lease_s,
        orphan_ttl_s=config.upload_orphan_ttl_s,
    )
    members = MemberService(
        conversations=conversations,
        store=stores.conversations,
        users=stores.users,
        contacts=contacts,
        bus=bus,
        clock=clock,
        limits=limits,
    )
    incoming = IncomingHookService(
        store=stores.incoming_hooks,
        conversations=conversations,
        conversation_store=stores.conversations,
        members=members,
        messages=messages,
        apps=apps,
        access=access,
        clock=clock,
    )
    audit = AuditLog(store=stores.audit, clock=clock, request_id=logs.request_id.get)
    auth.audit = audit
    auth.username_hold_s = config.deleted_username_hold_days * 86400
    webhooks.audit = audit
    incoming.audit = audit
    admin = AdminService(users=stores.users, access=access, audit=audit)
    privacy = build_privacy(
        config,
        stores=stores,
        bus=bus,
        clock=clock,
        hasher=hasher,
        blobs=blobs,
        auth=auth,
        access=access,
        admin=admin,
        users=users,
        contacts=contacts,
        conversations=conversations,
        members=members,
        messages=messages,
        threads=threads,
        pins=pins,
        files=files,
        rate_limits=rate_limits,
    )
    return Core(
        apps=apps,
        auth=auth,
        access=access,
        users=users,
        contacts=contacts,
        conversations=conversations,
        members=members,
        messages=messages,
        threads=threads,
        pins=pins,
        scheduled=scheduled,
        previews=messages.previews,
        admin=admin,
        reports=privacy.reports,
        deletion=privacy.deletion,
        registration=privacy.registration,
        sweeper=privacy.sweeper,
        exports=privacy.exports,
        files=files,
        presence=PresenceService(
            users=stores.users,
            audience=users.presence_audience,
            bus=bus,
            clock=clock,
            counter=counter,
        ),
        typing=TypingService(conversations=conversations, bus=bus, clock=clock, limits=limits),
        push=push,
        search=SearchService(
            conversations=conversations,
            conversation_store=stores.conversations,
            messages=stores.messages,
        ),
        rate_limits=rate_limits,
        once=once,
        revoked=revoked,
        webhooks=webhooks,
        incoming_hooks=incoming,
    )
