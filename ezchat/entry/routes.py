"""The web layer: every route and its handler, and the Tornado application that serves them
(behind the fast lane, which answers the plainest newest-page reads in front of it)."""

from __future__ import annotations

from typing import Any

import tornado.web
from tornado.httputil import HTTPServerRequest

from ezchat.entry.context import Services
from ezchat.entry.handlers import (
    accounts,
    admin,
    conversations,
    docs,
    exports,
    files,
    messages,
    ops,
    pins,
    push,
    scheduled,
    server,
    threads,
    web,
)
from ezchat.entry.handlers import webhooks as hooks
from ezchat.entry.handlers.base import NotFoundHandler
from ezchat.entry.headers import SecurityHeaders
from ezchat.entry.logs import log_request
from ezchat.entry.realtime.hub import Hub
from ezchat.entry.ws import ChatSocket

ID = r"([^/]+)"


def web_application(services: Services, hub: Hub) -> EzChatApplication:
    return EzChatApplication(
        routes(services, hub),
        default_handler_class=NotFoundHandler,
        default_handler_args={"services": services},
        debug=False,
        compress_response=False,
        log_function=log_request,
        websocket_max_message_size=services.config.max_frame_bytes,
        transforms=[SecurityHeaders],
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
        (rf"{c}/messages/{ID}/history", messages.HistoryHandler, a),
        (rf"{c}/messages/{ID}/thread", threads.ThreadHandler, a),
        (rf"{c}/messages/{ID}/thread/read", threads.ThreadReadHandler, a),
        (rf"{c}/messages/{ID}/follow", threads.FollowHandler, a),
        (r"/api/threads", threads.ThreadsHandler, a),
        (r"/api/admin/users", admin.AdminUsersHandler, a),
        (rf"/api/admin/users/{ID}", admin.AdminUserHandler, a),
        (rf"/api/admin/users/{ID}/disable", admin.AdminDisableHandler, a),
        (rf"/api/admin/users/{ID}/enable", admin.AdminEnableHandler, a),
        (r"/api/admin/invites", admin.InvitesHandler, a),
        (r"/api/admin/audit", admin.AuditHandler, a),
        (r"/api/admin/reports", admin.ReportsHandler, a),
        (rf"/api/admin/reports/{ID}/resolve", admin.ResolveHandler, a),
        (rf"{c}/messages/{ID}/report", admin.ReportHandler, a),
        (rf"/api/admin/invites/{ID}", admin.InviteHandler, a),
        (r"/api/scheduled", scheduled.ScheduledListHandler, a),
        (rf"/api/scheduled/{ID}", scheduled.ScheduledHandler, a),
        (rf"{c}/pins", pins.PinsHandler, a),
        (rf"{c}/pins/{ID}", pins.PinHandler, a),
        (rf"{c}/read", messages.ReadHandler, a),
        (rf"{c}/receipts", messages.ReceiptsHandler, a),
        (c, conversations.ConversationHandler, a),
        (r"/api/conversations", conversations.ConversationsHandler, a),
        (rf"{c}/members", conversations.MembersHandler, a),
        (rf"{c}/members/{ID}", conversations.MemberHandler, a),
        (rf"{c}/settings", conversations.SettingsHandler, a),
        (r"/api/search", messages.SearchHandler, a),
        (rf"/api/server/users/{ID}", server.ServerUserHandler, a),
        (rf"/api/server/users/{ID}/tokens", server.ServerTokenHandler, a),
        (r"/api/server/conversations", server.ServerConversationsHandler, a),
        (rf"/api/server/conversations/{ID}/messages", server.ServerMessagesHandler, a),
        (rf"/api/server/conversations/{ID}/incoming-webhooks", hooks.ServerIncomingHooksHandler, a),
        (
            rf"/api/server/conversations/{ID}/incoming-webhooks/{ID}",
            hooks.ServerIncomingHookHandler,
            a,
        ),
        (r"/api/server/webhooks", hooks.WebhooksHandler, a),
        (rf"/api/server/webhooks/{ID}", hooks.WebhookHandler, a),
        (rf"/api/server/webhooks/{ID}/deliveries", hooks.DeliveriesHandler, a),
        (rf"{c}/incoming-webhooks", hooks.IncomingHooksHandler, a),
        (rf"{c}/incoming-webhooks/{ID}", hooks.IncomingHookHandler, a),
        (rf"/hooks/{ID}", hooks.HookPostHandler, a),
        (r"/api/files", files.UploadHandler, a),
        (rf"/api/files/{ID}", files.FileHandler, a),
        (rf"/api/files/{ID}/thumbnail", files.ThumbnailHandler, a),
        (r"/api/users/me", accounts.MeHandler, a),
        (r"/api/users/me/password", accounts.PasswordHandler, a),
        (r"/api/users/me/export", exports.ExportRequestHandler, a),
        (r"/api/users/me/exports", exports.ExportListHandler, a),
        (rf"/api/users/me/exports/{ID}", exports.ExportHandler, a),
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
