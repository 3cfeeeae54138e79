"""``python -m ezchat users ...`` (accounts: create, disable, enable, promote, demote,
reset-password, list), ``python -m ezchat audit`` (the audit log, where each change made
here is written with the actor ``cli``) and ``python -m ezchat export USER --out FILE`` (the
user's data, the same zip as ``POST /api/users/me/export``)."""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ezchat.config import Config
from ezchat.domain.audit import CLI


def users(config: Config, args: argparse.Namespace) -> None:
    from ezchat.entry.cli import _password, _user_id, _with_app

    async def work(s: Any) -> None:
        if args.action == "create":
            user, _ = await s.auth.register(args.username, _password(args), args.display_name)
            await s.admin.audit.record(CLI, "user.create", user.id, user.username)
            print(f"created {user.username} ({user.id})")
        elif args.action in ("disable", "enable"):
            uid = await _user_id(s, args.username)
            await s.access.set_disabled(uid, args.action == "disable")
            await s.admin.audit.record(CLI, f"user.{args.action}", uid, args.username)
            print(f"{args.action}d {args.username}")
        elif args.action in ("promote", "demote"):
            uid = await _user_id(s, args.username)
            await s.access.set_admin(uid, args.action == "promote")
            await s.admin.audit.record(CLI, f"user.{args.action}", uid, args.username)
            role = "a server admin" if args.action == "promote" else "no longer a server admin"
            print(f"{args.username} is {role}; their tokens are revoked (log in again)")
        elif args.action == "reset-password":
            uid = await _user_id(s, args.username)
            await s.access.reset_password(uid, _password(args))
            await s.admin.audit.record(CLI, "user.reset-password", uid, args.username)
            print(f"password of {args.username} reset; its tokens are revoked")
        else:
            for u in await s.stores.users.search("", 1_000_000):  # "" prefixes every name
                state = "disabled" if u.disabled else "active"
                print(f"{u.username}\t{u.id}\t{state}\t{'admin' if u.admin else 'user'}")

    asyncio.run(_with_app(config, work))


def audit(config: Config, args: argparse.Namespace) -> None:
    from ezchat.entry.cli import _with_app

    async def work(s: Any) -> None:
        for e in await s.admin.audit.store.page(
            before=None, actor=args.actor, action=args.audit_action, limit=args.limit
        ):
            at = datetime.fromtimestamp(e.at, UTC).isoformat(timespec="seconds")
            fields = [at, e.actor, e.action, e.target or "-", e.detail or "", e.request_id or ""]
            print("\t".join(fields))

    asyncio.run(_with_app(config, work))


def export(config: Config, args: argparse.Namespace) -> None:
    from ezchat.entry.cli import _user_id, _with_app

    async def work(s: Any) -> None:
        uid = await _user_id(s, args.username)
        out = Path(args.out)
        # Written beside the target, then moved over it: never half a zip under its name.
        fd, name = tempfile.mkstemp(suffix=".zip", dir=out.parent if str(out.parent) else ".")
        os.close(fd)
        try:
            await s.exports.writer.write(uid, Path(name))
            os.replace(name, out)
        finally:
            if os.path.exists(name):
                os.unlink(name)
        await s.admin.audit.record(CLI, "user.export", uid, args.username)
        print(f"exported {args.username} to {out} ({out.stat().st_size} bytes)")

    asyncio.run(_with_app(config, work))


def add_parser(sub: Any) -> None:
    u = sub.add_parser(
        "users",
        help="create, disable, enable, promote (to server admin), demote, reset-password, list",
    )
    u.add_argument(
        "action",
        choices=["create", "disable", "enable", "promote", "demote", "reset-password", "list"],
    )
    u.add_argument("username", nargs="?")
    u.add_argument("--display-name")
    u.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    u.set_defaults(run=users)
    a = sub.add_parser("audit", help="the audit log, newest first")
    a.add_argument("--actor", help="a user id, cli or app")
    a.add_argument("--action", dest="audit_action", help="e.g. user.disable")
    a.add_argument("--limit", type=int, default=100)
    a.set_defaults(run=audit)
    e = sub.add_parser("export", help="write a user's data (profile, contacts, messages, files)")
    e.add_argument("username")
    e.add_argument("--out", required=True, help="the zip file to write")
    e.set_defaults(run=export)
