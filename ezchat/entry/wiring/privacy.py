"""The services of people's data and the server's order: reports, account deletion (and
erasure), registration, retention, exports."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ezchat.config import Config
from ezchat.periodic import Periodic
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.ports.files import FileStore
from ezchat.ports.limits import RateLimits
from ezchat.ports.security import PasswordHasher
from ezchat.ports.storage import Stores
from ezchat.services.access import AccessService
from ezchat.services.admin import AdminService
from ezchat.services.auth import AuthService
from ezchat.services.contacts import ContactService
from ezchat.services.conversations import ConversationService
from ezchat.services.deletion import AccountDeletion
from ezchat.services.export_zip import ExportWriter
from ezchat.services.exports import ExportService
from ezchat.services.files import FileService
from ezchat.services.members import MemberService
from ezchat.services.messages import MessageService
from ezchat.services.pins import PinService
from ezchat.services.registration import RegistrationService
from ezchat.services.reports import ReportService
from ezchat.services.sweeping import MessageSweeper
from ezchat.services.threads import ThreadService
from ezchat.services.users import UserService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Privacy:
    reports: ReportService
    deletion: AccountDeletion
    registration: RegistrationService
    sweeper: MessageSweeper
    exports: ExportService


def build_privacy(
    config: Config,
    *,
    stores: Stores,
    bus: EventBus,
    clock: Clock,
    hasher: PasswordHasher,
    blobs: FileStore,
    auth: AuthService,
    access: AccessService,
    admin: AdminService,
    users: UserService,
    contacts: ContactService,
    conversations: ConversationService,
    members: MemberService,
    messages: MessageService,
    threads: ThreadService,
    pins: PinService,
    files: FileService,
    rate_limits: RateLimits,
) -> Privacy:
    sweeper = MessageSweeper(
        sweeps=stores.sweeps,
        conversations=stores.conversations,
        bus=bus,
        clock=clock,
        files=files,
        threads=threads,
        pins=pins,
        batch=config.retention_batch,
        pause_s=config.retention_pause_ms / 1000,
        retention_days=config.retention_days,
    )
    exports = ExportService(
        store=stores.exports,
        writer=ExportWriter(
            users=stores.users,
            contacts=stores.contacts,
            conversations=stores.conversations,
            messages=stores.messages,
            sweeps=stores.sweeps,
            records=stores.files,
            blobs=blobs,
        ),
        blobs=blobs,
        clock=clock,
        ttl_s=config.export_ttl_s,
        lease_s=config.export_lease_s,
        rate_limits=rate_limits,
    )
    deletion = AccountDeletion(
        users=stores.users,
        profiles=users,
        hasher=hasher,
        access=access,
        contacts=contacts,
        contact_store=stores.contacts,
        push=stores.push,
        conversations=stores.conversations,
        members=members,
        admin=admin,
        clock=clock,
        sweeper=sweeper if config.erase_on_delete else None,
        exports=exports,
    )
    return Privacy(
        reports=ReportService(
            store=stores.reports,
            messages=messages,
            message_store=stores.messages,
            conversations=conversations,
            contacts=contacts,
            admin=admin,
            clock=clock,
        ),
        deletion=deletion,
        registration=RegistrationService(
            mode=config.registration, auth=auth, invites=stores.invites, admin=admin, clock=clock
        ),
        sweeper=sweeper,
        exports=exports,
    )


class Housekeeper:
    """The part of the app that sweeps: every ``RETENTION_POLL_S`` one retention round (when
    the server or any group has a retention) and the exports' round (expired ones go, given
    up builds start again). Every process runs one; their writes are conditional, so two
    sweeping the same conversation at once tombstone each message once."""

    def __init__(self, sweeper: MessageSweeper, exports: ExportService, *, every_s: float) -> None:
        self._sweeper = sweeper
        self._exports = exports
        self._loop = Periodic(self.round, every_s=every_s, name="housekeeper", log=log)

    async def round(self) -> None:
        swept = await self._sweeper.expire_all()
        if swept:
            log.info("retention: %d messages swept", swept)
        await self._exports.sweep()

    async def start(self) -> None:
        await self._loop.start()

    async def aclose(self) -> None:
        await self._loop.aclose()
        await self._exports.aclose()
