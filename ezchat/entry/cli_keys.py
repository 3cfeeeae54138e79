"""``python -m ezchat keys create|list|revoke`` (the server keys of apps' backends) and
``python -m ezchat bots create|token|revoke|list`` (bot users and their tokens)."""

from __future__ import annotations

import argparse
from typing import Any

from ezchat.config import Config
from ezchat.domain.audit import CLI


def keys(config: Config, args: argparse.Namespace) -> None:
    import asyncio

    from ezchat.entry.cli import CommandError, _with_app

    if args.key_action in ("create", "revoke") and not args.name:
        raise CommandError(f"keys {args.key_action} needs a NAME")

    async def work(s: Any) -> None:
        if args.key_action == "create":
            key = await s.apps.create_key(args.name)
            await s.admin.audit.record(CLI, "key.create", args.name)
            print(key)
            print(f"server key {args.name} created: shown this once (only its hash is kept)")
        elif args.key_action == "revoke":
            if not await s.apps.revoke_key(args.name):
                raise CommandError(f"no key named {args.name} that is not revoked")
            await s.admin.audit.record(CLI, "key.revoke", args.name)
            print(f"revoked {args.name}: every server refuses it within REVOCATION_POLL_S")
        else:
            for k in await s.apps.list_keys():
                state = f"revoked {k.revoked_at.isoformat()}" if k.revoked_at else "active"
                print(f"{k.name}\t{k.created_at.isoformat()}\t{state}")

    asyncio.run(_with_app(config, work))


def bots(config: Config, args: argparse.Namespace) -> None:
    import asyncio

    from ezchat.entry.cli import CommandError, _with_app

    if args.bot_action != "list" and not args.name:
        raise CommandError(f"bots {args.bot_action} needs a NAME")

    async def work(s: Any) -> None:
        if args.bot_action == "create":
            bot, token = await s.apps.create_bot(args.name, args.display_name)
            await s.admin.audit.record(CLI, "bot.create", bot.id, bot.username)
            print(token)
            print(f"bot {bot.username} ({bot.id}) created; its token (above) does not expire")
        elif args.bot_action == "token":
            print(await s.apps.bot_token(args.name))
            await s.admin.audit.record(CLI, "bot.token", args.name)
        elif args.bot_action == "revoke":
            await s.apps.revoke_bot(args.name)
            await s.admin.audit.record(CLI, "bot.revoke", args.name)
            print(f"every token of {args.name} is revoked (`bots token {args.name}` for a new one)")
        else:
            for u in await s.stores.users.search("", 1_000_000):
                if u.bot:
                    print(f"{u.username}\t{u.id}\t{u.display_name}")

    asyncio.run(_with_app(config, work))


def add_parser(sub: Any) -> None:
    k = sub.add_parser("keys", help="server keys of apps' backends: create, list, revoke")
    k.add_argument("key_action", choices=["create", "list", "revoke"])
    k.add_argument("name", nargs="?")
    k.set_defaults(run=keys)
    b = sub.add_parser("bots", help="bot users: create, token, revoke, list")
    b.add_argument("bot_action", choices=["create", "token", "revoke", "list"])
    b.add_argument("name", nargs="?")
    b.add_argument("--display-name")
    b.set_defaults(run=bots)
