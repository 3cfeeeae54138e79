"""What the server keeps in DATA_DIR beside the database: secrets made on first start, and
whether the directory can be used at all."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from ezchat.config.settings import Config, ConfigError


def data_dir_needed(config: Config) -> bool:
    """Whether anything is kept in DATA_DIR: the database, a generated secret or VAPID key."""
    return (
        (config.storage == "sqlite" and not config.sqlite_path)
        or not config.secret_key
        or (config.web_push and not config.vapid_private_key)
    )


def data_dir_problem(config: Config) -> str | None:
    """Why DATA_DIR cannot be used (created where missing, written), or None. Leaves nothing
    behind: it tries by making an empty directory where the first missing part would go (or
    inside DATA_DIR) and removing it again; permission bits alone cannot tell (root, /proc)."""
    path = Path(config.data_dir).absolute()
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is not a directory"
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".ezchat-check-", dir=probe))
    except OSError as exc:
        where = "cannot be written" if probe == path else f"cannot be created in {probe}"
        return f"{path} {where} ({exc.strerror})"
    return None


def secret_key(config: Config) -> str:
    """SECRET_KEY, or the key generated on first start and kept in DATA_DIR, so tokens outlive
    a restart."""
    if config.secret_key:
        return config.secret_key
    return kept_secret(config, "secret_key", lambda: secrets.token_urlsafe(48), "SECRET_KEY")


def kept_secret(config: Config, name: str, make: Callable[[], str], setting: str) -> str:
    """The secret kept in DATA_DIR/``name``, made by ``make`` on first start."""
    path = Path(config.data_dir) / name
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # before any secret
        # Written whole under a temporary name, then linked in only if none is there yet:
        # processes starting together (workers, nodes on one disk) all end up with one.
        if not path.exists():
            tmp = path.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(make())
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another process was first: use its secret
            finally:
                tmp.unlink()
        value = path.read_text().strip()
        if not value:
            raise ConfigError(f"DATA_DIR: {path} is empty; delete it or set {setting}")
        return value
    except OSError as exc:
        raise ConfigError(f"DATA_DIR: cannot keep {name} in {path}: {exc}") from exc
