"""Files only the platform's own user may read: the secret key, the SQLite database, `data/`.

The key decrypts every stored bot token and the database holds them, so neither is ever readable
by other users of the machine, not even for the moment between creating a file and chmod-ing it:
each is created with its final mode. SQLite creates its -wal and -shm files with the database
file's mode, so a 0600 database keeps its journal private too.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> None:
    """Create the directory (and its parents) if missing; the directory itself 0700. One that
    exists is left as the operator made it."""
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=DIR_MODE)
    except FileExistsError:  # another process made it a moment ago
        return
    os.chmod(path, DIR_MODE)  # whatever the umask


def private_file(path: Path) -> None:
    """Create an empty file 0600 if missing (an empty file is a new SQLite database); tighten an
    existing one that others may read."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    tighten(path)


def tighten(path: Path) -> None:
    """0600 for a file of ours that group or others may read (one written by an older version)."""
    try:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            os.chmod(path, FILE_MODE)
            log.info("%s was readable by others (mode %o); it is 0600 now", path, mode)
    except FileNotFoundError:
        pass
    except PermissionError:
        log.warning("%s is readable by others and not ours to change: chmod 600 it", path)


def write_once(path: Path, text: str) -> str:
    """Write `text` to `path` unless the file exists, atomically and 0600 from the first byte;
    the file's content afterwards (another process that won the race keeps its own)."""
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)  # unlike a rename, never replaces a file someone else wrote
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _sync_dir(path.parent)
    return path.read_text(encoding="utf-8")


def _sync_dir(path: Path) -> None:
    # The new name survives a power cut only once its directory is on disk.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
