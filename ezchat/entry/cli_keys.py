"""``python -m ezchat keys create|list|revoke``: the server keys of apps' backends."""

from __future__ import annotations

import argparse
from typing import Any

from ezchat.config import Config


def keys(config: Config, args: argparse.Namespace) -> None:
    import asyncio

    from ezchat.entry.cli import CommandError, _with_app

    if args.key_action in ("create", "revoke") and not args.name:
        raise CommandError(f"keys {args.key_action} needs a NAME")

    async def work(s: Any) -> None:
        if args.key_action == "create":
            key = await s.apps.create_key(args.name)
            print(key)
            print(f"server key {args.name} created: shown this once (only its hash is kept)")
        elif args.key_action == "revoke":
            if not await s.apps.revoke_key(args.name):
                raise CommandError(f"no key named {args.name} that is not revoked")
            print(f"revoked {args.name}: every server refuses it within REVOCATION_POLL_S")
        else:
            for k in await s.apps.list_keys():
                state = f"revoked {k.revoked_at.isoformat()}" if k.revoked_at else "active"
                print(f"{k.name}\t{k.created_at.isoformat()}\t{state}")

    asyncio.run(_with_app(config, work))


def add_parser(sub: Any) -> None:
    k = sub.add_parser("keys", help="server keys of apps' backends: create, list, revoke")
    k.add_argument("key_action", choices=["create", "list", "revoke"])
    k.add_argument("name", nargs="?")
    k.set_defaults(run=keys)
