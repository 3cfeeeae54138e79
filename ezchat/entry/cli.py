"""`python -m ezchat`: the admin command, with the server's own settings (config.yaml and the
environment). Every subcommand works while the server runs; errors are one line and a non-zero
exit, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ezchat.adapters.sqlite.files import DatabaseFileError
from ezchat.config import Config, ConfigError, data_dir_needed, data_dir_problem, load_config
from ezchat.domain.errors import EzChatError

SECRET_KEYS = {
    "secret_key",
    "notify_webhook_secret",
    "vapid_private_key",
    "auth_jwt_secret",
    "before_send_secret",
}


class CommandError(Exception):
    """What the operator reads: one line, exit 2."""


def _masked_url(url: str | None) -> str | None:
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":****@")
    return urlunsplit(parts._replace(netloc=netloc))


def check_config(config: Config, _: argparse.Namespace) -> None:
    if data_dir_needed(config):
        problem = data_dir_problem(config)
        if problem is not None:
            raise ConfigError(f"DATA_DIR: {problem}")
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if field.name in SECRET_KEYS and value:
            value = "****"
        elif field.name.endswith("_url"):
            value = _masked_url(value)
        print(f"{field.name.upper()}={'' if value is None else value}")


# -- SQLite files ---------------------------------------------------------------------------


def _sqlite_only(config: Config, what: str) -> Path:
    if config.storage != "sqlite":
        raise CommandError(
            f"{what} works on the SQLite store; for MongoDB use mongodump/mongorestore "
            "(see the README, Operating EZChat)"
        )
    return Path(config.database_path)


def backup(config: Config, args: argparse.Namespace) -> None:
    """A consistent copy of the live database, safe while the server writes."""
    from ezchat.adapters.sqlite import files

    source = _sqlite_only(config, "backup")
    size = files.backup(source, Path(args.file))
    print(f"backed up {source} to {args.file} ({size} bytes)")
    _backup_files(config, Path(args.file))


def restore(config: Config, args: argparse.Namespace) -> None:
    """Put a backup in place. The server must be stopped: a running one holds the data lock."""
    from ezchat.adapters.sqlite import files

    target = _sqlite_only(config, "restore")
    kept = files.restore(Path(args.file), target)
    print(f"restored {args.file} to {target}")
    if kept is not None:
        print(f"the database it replaced is kept in {kept}")
    _restore_files(config, Path(args.file))


def _backup_files(config: Config, backup: Path) -> None:
    """Uploaded files: copied beside the database copy when they are on local disk (after
    it: a file newer than the copy has no record there and is never served)."""
    from ezchat.adapters.files.backup import copy_files, files_beside

    if config.file_storage == "s3":
        print(f"uploaded files are in the S3 bucket {config.s3_bucket}: back it up with S3's own")
        print("means (versioning, replication); this backup holds their records only")
        return
    if config.file_storage != "local":
        return
    target = files_beside(backup)
    try:
        count = copy_files(Path(config.data_dir) / "files", target)
    except OSError as exc:
        raise CommandError(f"could not copy the uploaded files to {target}: {exc}") from None
    print(f"copied {count} uploaded files to {target}")


def _restore_files(config: Config, backup: Path) -> None:
    from ezchat.adapters.files.backup import files_beside, restore_files

    source = files_beside(backup)
    if config.file_storage != "local" or not source.is_dir():
        return
    try:
        count, kept = restore_files(source, Path(config.data_dir) / "files")
    except OSError as exc:
        raise CommandError(f"could not restore the uploaded files from {source}: {exc}") from None
    print(f"restored {count} uploaded files from {source}")
    if kept is not None:
        print(f"the files it replaced are kept in {kept}")


def migrate(config: Config, args: argparse.Namespace) -> None:
    if config.storage == "mongo":
        asyncio.run(_migrate_mongo(config, args.apply))
        return
    from ezchat.adapters.sqlite import files

    _report(files.schema_steps(_sqlite_only(config, "migrate"), apply=args.apply), args.apply)


async def _migrate_mongo(config: Config, apply: bool) -> None:
    from ezchat.adapters.mongo import mongo_database
    from ezchat.adapters.mongo.schema import pending, upgrade

    db = mongo_database(config)
    try:
        _report([(m.version, m.description) for m in await pending(db)], apply)
        if apply:
            await upgrade(db)
    finally:
        await db.close()


def _report(steps: list[tuple[int, str]], apply: bool) -> None:
    if not steps:
        print("up to date")
        return
    for version, description in steps:
        print(f"{'applying' if apply else 'pending'}: {version} {description}")
    if not apply:
        print("dry run: nothing changed (add --apply)")


# -- users and stats, through the app's own services -----------------------------------------


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CommandError(
            "no terminal to ask for the password on: pass --password-stdin and write it to "
            "standard input"
        )
    try:
        first = getpass.getpass("password: ")
        again = getpass.getpass("again: ")
    except EOFError:
        raise CommandError("no password given") from None
    if first != again:
        raise CommandError("the passwords differ")
    return first


async def _existing_store(config: Config) -> None:
    """Refuse to go on without a store to work on: opening one that is not there would create
    an empty one (and a new secret and VAPID key beside it), silently."""
    if config.storage == "sqlite":
        path = Path(config.database_path)
        if not path.exists():
            raise CommandError(
                f"no database at {path.absolute()} (SQLITE_PATH/DATA_DIR): run this where the "
                "server runs, with its settings"
            )
    elif config.storage == "mongo":
        from ezchat.adapters.mongo import mongo_database
        from ezchat.adapters.mongo.schema import version_of

        db = mongo_database(config)
        try:
            if await version_of(db) == 0 and not await db.db.list_collection_names():
                raise CommandError(f"no EZChat database {config.mongodb_db!r} at MONGODB_URL")
        finally:
            await db.close()
    else:
        raise CommandError("STORAGE=memory keeps nothing between processes: nothing to manage")


async def _with_app(config: Config, work: Callable[[Any], Awaitable[None]]) -> None:
    from ezchat.entry.app import make_app

    await _existing_store(config)
    app = make_app(config)
    await app.start(serving=False)
    try:
        await work(app.services)
    finally:
        await app.aclose()


async def _user_id(services: Any, username: str) -> str:
    user = await services.stores.users.get_by_username(username.lower())
    if user is None:
        raise CommandError(f"no user {username!r}")
    return str(user.id)


def stats(config: Config, _: argparse.Namespace) -> None:
    if config.storage != "sqlite":
        raise CommandError("stats reads the SQLite store; for MongoDB use mongosh")
    from ezchat.adapters.sqlite import files

    path = Path(config.database_path)
    found = files.counts(path)
    for table in ("users", "conversations", "messages"):
        print(f"{table}: {found[table]}")
    if "notifications open" in found:
        states = ("open", "sending", "dead")
        print("notifications: " + ", ".join(f"{s} {found[f'notifications {s}']}" for s in states))
    print(f"database: {path} ({found['bytes']} bytes)")


def serve(config: Config, _: argparse.Namespace) -> None:
    from ezchat.entry.main import main

    raise SystemExit(main())


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m ezchat", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the server (what main.py runs)").set_defaults(run=serve)
    m = sub.add_parser("migrate", help="list pending schema steps; --apply applies them")
    m.add_argument("--apply", action="store_true")
    m.set_defaults(run=migrate)
    b = sub.add_parser("backup", help="a consistent copy of the running SQLite database")
    b.add_argument("file")
    b.set_defaults(run=backup)
    r = sub.add_parser("restore", help="put a backup in place (the server must be stopped)")
    r.add_argument("file")
    r.set_defaults(run=restore)
    sub.add_parser("check-config", help="the effective settings, secrets masked").set_defaults(
        run=check_config
    )
    sub.add_parser(
        "stats", help="users, conversations, messages, notifications, database size"
    ).set_defaults(run=stats)
    from ezchat.entry import cli_keys, cli_users

    cli_users.add_parser(sub)

    cli_keys.add_parser(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "action", None) not in (None, "list") and not args.username:
        print("ezchat: users " + args.action + " needs a USERNAME", file=sys.stderr)
        return 2
    try:
        config = load_config()
        args.run(config, args)
    except ConfigError as exc:
        print(f"ezchat: configuration error: {exc}", file=sys.stderr)
        return 2
    except (CommandError, DatabaseFileError) as exc:
        print(f"ezchat: {exc}", file=sys.stderr)
        return 2
    except EzChatError as exc:
        print(f"ezchat: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"ezchat: {exc}", file=sys.stderr)
        return 1
    return 0
