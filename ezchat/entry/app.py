"""The composition root: builds every part from the config, and closes them in reverse."""

from __future__ import annotations

import dataclasses
import secrets
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import psutil
import tornado.web
from tornado.httputil import HTTPServerRequest

from ezchat.adapters.caching import Caches, apply_remote
from ezchat.adapters.clock import SystemClock
from ezchat.adapters.memory import InProcessEventBus
from ezchat.adapters.memory.limits import LocalRateLimits
from ezchat.adapters.memory.once import LocalOneTimeKeys
from ezchat.adapters.memory.presence import LocalConnectionCounter
from ezchat.adapters.notify.webpush import public_key
from ezchat.adapters.scrypt import ScryptPasswordHasher
from ezchat.adapters.tokens import TICKET, SignedValueTokenCodec
from ezchat.config import Config, secret_key
from ezchat.domain.events import AccessRevoked, Event
from ezchat.domain.model import Message, Revocation
from ezchat.domain.rules import Limits
from ezchat.entry.context import Services
from ezchat.entry.fastlane import FastLane
from ezchat.entry.handlers import accounts, conversations, docs, messages, ops, push, web
from ezchat.entry.handlers.base import NotFoundHandler
from ezchat.entry.headers import SecurityHeaders
from ezchat.entry.logs import log_request
from ezchat.entry.metrics import Metrics
from ezchat.entry.notifications import NotificationWorker, channels, vapid_key
from ezchat.entry.realtime.hub import Hub
from ezchat.entry.realtime.registry import Connections
from ezchat.entry.revocations import RevocationFeed
from ezchat.entry.storage import StorageStack, backend_stores, wrap_stores
from ezchat.entry.ws import ChatSocket
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.ports.limits import Bucket, RateLimits, Window
from ezchat.ports.presence import ConnectionCounter
from ezchat.ports.security import OneTimeKeys, PasswordHasher
from ezchat.ports.storage import Stores
from ezchat.services.access import AccessService
from ezchat.services.auth import (
    LOGIN_CLIENT,
    LOGIN_NAME,
    REGISTER,
    AuthService,
    RevokedTokens,
)
from ezchat.services.contacts import ContactService
from ezchat.services.conversations import ConversationService
from ezchat.services.members import MemberService
from ezchat.services.messages import MESSAGES, MessageService
from ezchat.services.notifications import DeliveryPolicy, NotificationService
from ezchat.services.presence import PresenceService
from ezchat.services.push import PushService
from ezchat.services.search import SearchService
from ezchat.services.typing import TypingService
from ezchat.services.users import UserService

ID = r"([^/]+)"
# Messages read back for a conversation this process starts hearing after a membership change:
# those sent between the change and the subscription (milliseconds' worth).
CATCH_UP = 100


@dataclass
class EzChatApp:
    application: tornado.web.Application
    # What the HTTP server serves: the application behind the fast lane for newest pages.
    http: FastLane
    services: Services
    bus: EventBus
    hub: Hub
    storage: StorageStack
    counter: ConnectionCounter
    hasher: PasswordHasher
    once: OneTimeKeys
    feed: RevocationFeed
    notifier: NotificationWorker | None
    rate_limits: RateLimits
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    async def start(self, *, serving: bool = True) -> None:
        """Start every part in order, registering each one's teardown as it starts, so that
        ``aclose`` stops them in the reverse order and a failed start stops what it started:
        the hasher's threads, the bus, the connection counter, the storage (schema, writers),
        and last the hub, which closes first (clients get 1001 before anything stops)."""
        stack = AsyncExitStack()
        async with stack:
            stack.push_async_callback(self.hasher.aclose)
            await self.bus.start()
            stack.push_async_callback(self.bus.aclose)
            await self.counter.start()
            stack.push_async_callback(self.counter.aclose)
            await self.once.start()
            stack.push_async_callback(self.once.aclose)
            await self.rate_limits.start()
            stack.push_async_callback(self.rate_limits.aclose)
            await self.storage.start()
            stack.push_async_callback(self.storage.aclose)
            await self.feed.start()
            stack.push_async_callback(self.feed.aclose)
            stack.push_async_callback(self.hub.aclose)
            if serving and self.notifier is not None:
                await self.notifier.start()
                stack.push_async_callback(self.notifier.aclose)
            config = self.services.config
            if serving and config.process_count == 1 and not config.redis_url:
                # One process, no broker: no one can be connected anywhere yet.
                await self.storage.stores.users.clear_presence()
            psutil.cpu_percent(interval=None)  # the first reading only starts the measurement
            self._stack = stack.pop_all()

    async def aclose(self) -> None:
        """Everything ``start`` started, in reverse: WebSocket clients get 1001, queued
        messages and pointers are written, storage closes, then the counter, the bus and the
        hasher's threads."""
        await self._stack.aclose()


def make_app(
    config: Config,
    *,
    stores: Stores | None = None,
    bus: EventBus | None = None,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
) -> EzChatApp:
    """Build the application; call ``start()`` before serving. Anything passed in is used as
    given; the rest is built from ``config``."""
    clock = clock or SystemClock()
    hasher = hasher or ScryptPasswordHasher(n=config.password_hash_n)
    metrics = Metrics()
    storage = wrap_stores(config, stores or backend_stores(config), metrics)
    counter: ConnectionCounter = LocalConnectionCounter()
    remote = RemoteEvents(storage.caches)
    if bus is None and config.redis_url:
        from ezchat.adapters.redis import redis_bus_and_counter

        bus, counter = redis_bus_and_counter(
            config, on_remote=remote.received, on_unheard=storage.caches.unheard
        )
    bus = bus or InProcessEventBus()
    storage.caches.hears = bus.hears
    wrapped = storage.stores
    user_store = wrapped.users
    contact_store = wrapped.contacts
    conversation_store = wrapped.conversations
    message_store = wrapped.messages
    limits = Limits(
        max_message_length=config.max_message_length, max_group_members=config.max_group_members
    )

    once: OneTimeKeys = LocalOneTimeKeys()
    if config.redis_url:
        from ezchat.adapters.redis import redis_one_time_keys

        once = redis_one_time_keys(config)
    revoked = RevokedTokens()
    rate_limits = make_rate_limits(config, clock)
    auth = AuthService(
        users=user_store,
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
    push_service = PushService(
        store=wrapped.push,
        clock=clock,
        keep=config.push_max_subscriptions,
        allow_private=config.outbound_allow_private,
    )
    access = AccessService(
        push=push_service,
        users=user_store,
        revocations=wrapped.revocations,
        revoked=revoked,
        hasher=hasher,
        bus=bus,
        clock=clock,
        token_ttl_s=config.token_ttl_s,
    )
    contacts = ContactService(users=user_store, contacts=contact_store, bus=bus, clock=clock)
    users = UserService(
        users=user_store, contacts=contact_store, conversations=conversation_store, bus=bus
    )
    convs = ConversationService(
        users=user_store,
        conversations=conversation_store,
        messages=message_store,
        contacts=contacts,
        bus=bus,
        clock=clock,
        limits=limits,
    )
    members = MemberService(
        conversations=convs,
        store=conversation_store,
        users=user_store,
        contacts=contacts,
        bus=bus,
        clock=clock,
        limits=limits,
    )
    msgs = MessageService(
        conversations=convs,
        conversation_store=conversation_store,
        messages=message_store,
        contacts=contacts,
        bus=bus,
        clock=clock,
        limits=limits,
        rate_limits=rate_limits,
        users=user_store,
        notify_delay_s=config.notify_delay_s if config.notifications else None,
    )
    vapid = vapid_key(config) if config.web_push else None
    found, http = channels(
        config, clock=clock, subscriptions=wrapped.push, vapid=vapid, sessions=auth.still_works
    )
    notifier = None
    if found:
        notifier = NotificationWorker(
            NotificationService(
                outbox=wrapped.outbox,
                conversations=conversation_store,
                messages=message_store,
                users=user_store,
                contacts=contact_store,
                channels=found,
                clock=clock,
                policy=DeliveryPolicy(
                    lease_s=config.notify_lease_s,
                    max_attempts=config.notify_max_attempts,
                    retry_base_s=config.notify_retry_base_s,
                    retry_cap_s=config.notify_retry_max_s,
                ),
            ),
            poll_s=config.notify_poll_s,
            http=http,
        )
    presence = PresenceService(
        users=user_store, audience=users.audience, bus=bus, clock=clock, counter=counter
    )
    typing = TypingService(conversations=convs, bus=bus, clock=clock)

    async def conversations_of(user_id: str) -> list[str]:
        return [c.id for c in await conversation_store.list_for_user(user_id)]

    async def catch_up(conversation_id: str, since_seq: int) -> list[Message]:
        messages, _ = await message_store.page(
            conversation_id, before=None, after=since_seq, limit=CATCH_UP
        )
        return messages

    hub = Hub(
        bus=bus,
        conversations_of=conversations_of,
        catch_up=catch_up,
        presence=presence,
        typing=typing,
        conversations=convs,
        clock=clock,
        max_connections=config.max_connections,
        max_connections_per_user=config.max_connections_per_user,
        receipt_window_s=config.receipt_flush_ms / 1000,
        presence_window_s=config.presence_flush_ms / 1000,
        heartbeat_interval_s=config.heartbeat_interval,
        heartbeat_timeout_s=config.heartbeat_timeout,
        presence_grace_s=config.presence_grace_s,
    )
    bus.subscribe(hub)
    remote.here = hub.connections
    bus.subscribe(
        lambda e: (
            revoked.add(e.revocation, now=clock.now().timestamp())
            if isinstance(e, AccessRevoked)
            else None
        )
    )

    def revoked_elsewhere(revocation: Revocation) -> None:
        storage.caches.users.pop(revocation.user_id)
        hub.revoke(revocation)

    feed = RevocationFeed(
        wrapped.revocations,
        revoked=revoked,
        clock=clock,
        poll_s=config.revocation_poll_s,
        apply=revoked_elsewhere,
    )
    services = Services(
        config=config,
        auth=auth,
        access=access,
        users=users,
        contacts=contacts,
        conversations=convs,
        members=members,
        messages=msgs,
        presence=presence,
        typing=typing,
        push=push_service,
        rate_limits=rate_limits,
        search=SearchService(
            conversations=convs, conversation_store=conversation_store, messages=message_store
        ),
        vapid_public_key=public_key(vapid) if vapid is not None else None,
        clock=clock,
        stores=wrapped,
        bus=bus,
        metrics=metrics,
        snapshot=lambda: snapshot(hub, storage, bus, config, notifier, remote),
    )
    metrics.add_collector(services.snapshot)
    application = EzChatApplication(
        routes(services, hub),
        default_handler_class=NotFoundHandler,
        default_handler_args={"services": services},
        debug=False,
        compress_response=False,
        log_function=log_request,
        websocket_max_message_size=config.max_frame_bytes,
        transforms=[SecurityHeaders],
    )
    return EzChatApp(
        application=application,
        http=FastLane(application, services),
        services=services,
        bus=bus,
        hub=hub,
        storage=storage,
        counter=counter,
        hasher=hasher,
        once=once,
        feed=feed,
        notifier=notifier,
        rate_limits=rate_limits,
    )


class EzChatApplication(tornado.web.Application):
    """A request without a body (a GET, most DELETEs) is handled by a variant of its route's
    handler that does not stream the body. A streaming handler runs ``prepare`` before the
    body is read, and Tornado closes the connection after any answer given that early: every
    401 (checked in ``prepare``) ended the client's keep-alive connection. Requests with a body
    still stream, so that an oversize one is refused before it is read."""

    def get_handler_delegate(
        self,
        request: HTTPServerRequest,
        target_class: type[tornado.web.RequestHandler],
        target_kwargs: dict[str, Any] | None = None,
        path_args: list[bytes] | None = None,
        path_kwargs: dict[str, bytes] | None = None,
    ) -> Any:
        headers = request.headers
        if (
            target_class._stream_request_body
            and "Transfer-Encoding" not in headers
            and headers.get("Content-Length", "0") == "0"
        ):
            target_class = _without_streaming(target_class)
        return super().get_handler_delegate(
            request, target_class, target_kwargs, path_args, path_kwargs
        )


_WHOLE_BODY: dict[type[tornado.web.RequestHandler], type[tornado.web.RequestHandler]] = {}


def _without_streaming(
    handler: type[tornado.web.RequestHandler],
) -> type[tornado.web.RequestHandler]:
    """The same handler (same name, for metrics and logs), reading its body whole."""
    whole = _WHOLE_BODY.get(handler)
    if whole is None:
        whole = _WHOLE_BODY[handler] = type(
            handler.__name__, (handler,), {"_stream_request_body": False}
        )
    return whole


class RemoteEvents:
    """What this process does with each event another process published: update its caches,
    and count whether it concerned anyone connected here (``relevant``; with ``received`` on
    the bus, how much of what a process decodes it needed)."""

    def __init__(self, caches: Caches) -> None:
        self._caches = caches
        self.here: Connections | None = None  # the hub's connections, once there is a hub
        self.relevant = 0

    def received(self, event: Event) -> None:
        apply_remote(self._caches, event)
        if self.here is not None and self.here.any_of(event.recipients):
            self.relevant += 1


def make_rate_limits(config: Config, clock: Clock) -> RateLimits:
    """The limits of the config, counted in Redis (for every process) when there is one."""
    buckets = {MESSAGES: Bucket(rate=config.message_rate_per_sec, burst=config.message_burst)}
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


def snapshot(
    hub: Hub,
    storage: StorageStack,
    bus: EventBus,
    config: Config,
    notifier: NotificationWorker | None,
    remote: RemoteEvents,
) -> dict[str, Any]:
    return {
        "bus": {**dataclasses.asdict(bus.counts()), "relevant": remote.relevant},
        "connections": hub.connection_count,
        "online_users": hub.online_users,
        "messages_posted": hub.messages_posted,
        "deliveries": hub.deliveries,
        "slow_closed": hub.slow_closed,
        "storage": config.storage,
        **storage.figures(),
        "notifications": {
            result: notifier.results[result] if notifier else 0
            for result in ("sent", "skipped", "retry", "dead", "lost", "failed")
        },
    }


def routes(services: Services, hub: Hub) -> list[Any]:
    a = {"services": services}
    c = f"/api/conversations/{ID}"
    # Tornado tries the patterns in order, a regex each: the busiest come first (a request for
    # a conversation's messages used to try 30 patterns before its own). No two patterns here
    # match the same path except /api/users/me, which must stay before /api/users/{id}.
    return [
        (r"/ws", ChatSocket.bound(services, hub)),
        (rf"{c}/messages", messages.MessagesHandler, a),
        (rf"{c}/messages/{ID}", messages.MessageHandler, a),
        (rf"{c}/messages/{ID}/reactions/{ID}", messages.ReactionHandler, a),
        (rf"{c}/read", messages.ReadHandler, a),
        (rf"{c}/receipts", messages.ReceiptsHandler, a),
        (c, conversations.ConversationHandler, a),
        (r"/api/conversations", conversations.ConversationsHandler, a),
        (rf"{c}/members", conversations.MembersHandler, a),
        (rf"{c}/members/{ID}", conversations.MemberHandler, a),
        (rf"{c}/settings", conversations.SettingsHandler, a),
        (r"/api/search", messages.SearchHandler, a),
        (r"/api/users/me", accounts.MeHandler, a),
        (r"/api/users/me/password", accounts.PasswordHandler, a),
        (r"/api/users", accounts.UserSearchHandler, a),
        (rf"/api/users/{ID}", accounts.UserHandler, a),
        (r"/api/contacts", accounts.ContactsHandler, a),
        (rf"/api/contacts/{ID}/accept", accounts.ContactAcceptHandler, a),
        (rf"/api/contacts/{ID}/block", accounts.ContactBlockHandler, a),
        (rf"/api/contacts/{ID}", accounts.ContactHandler, a),
        (r"/api/auth/register", accounts.RegisterHandler, a),
        (r"/api/auth/login", accounts.LoginHandler, a),
        (r"/api/auth/ws-ticket", accounts.TicketHandler, a),
        (r"/api/auth/logout", accounts.LogoutHandler, a),
        (r"/api/auth/logout-all", accounts.LogoutAllHandler, a),
        (r"/api/push/vapid-public-key", push.VapidKeyHandler, a),
        (r"/api/push/subscriptions", push.SubscriptionsHandler, a),
        (r"/health", ops.HealthHandler, a),
        (r"/metrics", ops.MetricsHandler, a),
        (r"/api/system", ops.SystemHandler, a),
        (r"/api/openapi.json", docs.OpenApiHandler, a),
        (r"/api/asyncapi.json", docs.AsyncApiHandler, a),
        (r"/api/docs", docs.DocsPageHandler, a),
        (r"/api/docs/(init\.js)", docs.DocsPageHandler, a),
        (docs.SWAGGER_ROUTE, docs.SwaggerAssetHandler, {"path": docs.swagger_ui_dir()}),
        (r"/", web.WebClientFile, {**a, **web.PAGE}),
        (r"/sw.js", web.WebClientFile, {**a, **web.SERVICE_WORKER}),
        (r"/app/(.*)", web.WebClientAsset, {"path": str(web.WEBCLIENT)}),
    ]
