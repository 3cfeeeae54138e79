"""What handlers are given: the services and the settings they need."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ezchat.config import Config
from ezchat.entry.filelinks import LinkSigner
from ezchat.entry.metrics import Metrics
from ezchat.entry.serialize import MessageJson
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.ports.limits import RateLimits
from ezchat.ports.security import OneTimeKeys
from ezchat.ports.storage import Stores
from ezchat.services.access import AccessService
from ezchat.services.admin import AdminService
from ezchat.services.apps import AppService
from ezchat.services.auth import AuthService, RevokedTokens
from ezchat.services.contacts import ContactService
from ezchat.services.conversations import ConversationService
from ezchat.services.deletion import AccountDeletion
from ezchat.services.exports import ExportService
from ezchat.services.files import FileService
from ezchat.services.incoming_hooks import IncomingHookService
from ezchat.services.members import MemberService
from ezchat.services.messages import MessageService
from ezchat.services.pins import PinService
from ezchat.services.presence import PresenceService
from ezchat.services.previews import PreviewService
from ezchat.services.push import PushService
from ezchat.services.registration import RegistrationService
from ezchat.services.reports import ReportService
from ezchat.services.scheduled import ScheduledService
from ezchat.services.search import SearchService
from ezchat.services.sweeping import MessageSweeper
from ezchat.services.threads import ThreadService
from ezchat.services.typing import TypingService
from ezchat.services.users import UserService
from ezchat.services.webhooks import WebhookService


@dataclass(frozen=True)
class Core:
    """The services and what they share, as the composition root builds them."""

    apps: AppService
    auth: AuthService
    access: AccessService
    users: UserService
    contacts: ContactService
    conversations: ConversationService
    members: MemberService
    messages: MessageService
    threads: ThreadService
    pins: PinService
    scheduled: ScheduledService
    previews: PreviewService | None  # None: LINK_PREVIEWS is off
    admin: AdminService
    registration: RegistrationService
    reports: ReportService
    deletion: AccountDeletion
    sweeper: MessageSweeper
    exports: ExportService
    presence: PresenceService
    typing: TypingService
    push: PushService
    search: SearchService
    files: FileService
    rate_limits: RateLimits
    once: OneTimeKeys
    revoked: RevokedTokens
    webhooks: WebhookService
    incoming_hooks: IncomingHookService


@dataclass(frozen=True)
class Services(Core):
    """What the handlers are given: the core, and the app's own parts."""

    config: Config
    vapid_public_key: str | None  # None: Web Push is off
    clock: Clock
    stores: Stores
    bus: EventBus
    metrics: Metrics
    snapshot: Callable[[], dict[str, Any]]  # the app's own figures, for /api/system and /metrics
    json: MessageJson  # messages' JSON text, memoised by (id, rev)
    signer: LinkSigner  # signs the files' links in what goes out to one user
