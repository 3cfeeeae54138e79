"""Local files in backups: ``backup FILE`` copies ``DATA_DIR/files`` to ``FILE.files`` beside
the database copy, ``restore FILE`` puts ``FILE.files`` back (what it replaces is kept)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

INCOMING = ".incoming"


def files_beside(backup: Path) -> Path:
    return backup.with_name(backup.name + ".files")


def copy_files(root: Path, target: Path) -> int:
    """Copy every stored file (not uploads in progress) under ``root`` to ``target``, which
    must not exist; how many. Files written meanwhile may or may not be in the copy: the
    database copy, made first, has no record of the newer ones, so they are never served."""
    if target.exists():
        raise FileExistsError(f"{target} exists; choose a new file")
    target.mkdir(mode=0o700, parents=True)
    count = 0
    if not root.exists():
        return 0
    for shard in sorted(p for p in root.iterdir() if p.is_dir() and p.name != INCOMING):
        into = target / shard.name
        into.mkdir(mode=0o700)
        for f in shard.iterdir():
            try:
                shutil.copy2(f, into / f.name)
            except FileNotFoundError:
                continue  # deleted while copying: its record is gone too
            os.chmod(into / f.name, 0o600)
            count += 1
    return count


def restore_files(source: Path, root: Path) -> tuple[int, Path | None]:
    """Put the files of a backup in place of ``root``; how many, and where the directory it
    replaced is kept (None when there was none)."""
    kept = None
    if root.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = root.with_name(f"{root.name}.before-restore-{stamp}")
        root.rename(kept)
    shutil.copytree(source, root)
    count = 0
    for dirpath, _dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o700)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o600)
            count += 1
    return count, kept
