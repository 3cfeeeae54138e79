"""What handlers are given: the services and the settings they need."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ezchat.config import Config
from ezchat.domain.services.access import AccessService
from ezchat.domain.services.auth import AuthService
from ezchat.domain.services.contacts import ContactService
from ezchat.domain.services.conversations import ConversationService
from ezchat.domain.services.members import MemberService
from ezchat.domain.services.messages import MessageService
from ezchat.domain.services.presence import PresenceService
from ezchat.domain.services.push import PushService
from ezchat.domain.services.search import SearchService
from ezchat.domain.services.typing import TypingService
from ezchat.domain.services.users import UserService
from ezchat.entry.metrics import Metrics
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.ports.limits import RateLimits
from ezchat.ports.storage import Stores


@dataclass(frozen=True)
class Services:
    config: Config
    auth: AuthService
    access: AccessService
    users: UserService
    contacts: ContactService
    conversations: ConversationService
    members: MemberService
    messages: MessageService
    presence: PresenceService
    typing: TypingService
    push: PushService
    search: SearchService
    rate_limits: RateLimits
    vapid_public_key: str | None  # None: Web Push is off
    clock: Clock
    stores: Stores
    bus: EventBus
    metrics: Metrics
    snapshot: Callable[[], dict[str, Any]]  # the app's own figures, for /api/system and /metrics
