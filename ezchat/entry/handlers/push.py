"""Web Push: the server's public key, and the browser subscriptions of the caller."""

from __future__ import annotations

from ezchat.domain.errors import InvalidRequest, NotFound
from ezchat.entry import serialize
from ezchat.entry.handlers.base import ApiHandler


class VapidKeyHandler(ApiHandler):
    requires_auth = False

    async def get(self) -> None:
        """What browsers pass as ``applicationServerKey`` to ``pushManager.subscribe``."""
        key = self.services.vapid_public_key
        if key is None:
            raise NotFound("Web Push is off on this server")
        self.reply({"public_key": key})


class SubscriptionsHandler(ApiHandler):
    def _push_on(self) -> None:
        if self.services.vapid_public_key is None:
            raise NotFound("Web Push is off on this server")

    async def get(self) -> None:
        subs = await self.services.push.subscriptions(self.user.id)
        self.reply({"subscriptions": [serialize.push_subscription(s) for s in subs]})

    async def post(self) -> None:
        """A browser's ``PushSubscription.toJSON()``: endpoint and keys (``expirationTime``, if
        there, is ignored: a push service answering 404/410 ends a subscription)."""
        self._push_on()
        body = self.body()
        keys = body.object("keys")
        assert keys is not None
        assert self.session is not None
        sub = await self.services.push.subscribe(
            self.session,
            endpoint=body.text("endpoint"),
            p256dh=keys.text("p256dh"),
            auth=keys.text("auth"),
        )
        self.reply(serialize.push_subscription(sub), 201)

    async def delete(self) -> None:
        """By endpoint: in the JSON body, or as ``?endpoint=``."""
        endpoint = self.get_query_argument("endpoint", None)
        if endpoint is None:
            endpoint = self.body().text("endpoint")
        elif not endpoint:
            raise InvalidRequest("endpoint must not be empty", field="endpoint")
        await self.services.push.unsubscribe(self.user.id, endpoint)
        self.no_content()
