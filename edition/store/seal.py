"""Cache records sealed with a key only this user can read, so that an edited record is
noticed: the key lives in a private folder (0700) under the user's cache folder, and a
record whose seal does not match is treated as if it were not there."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import stat
from pathlib import Path
from typing import Any

from edition.errors import EditionError
from edition.store.atomic import write_error
from edition.store.paths import private_dir

KEY_BYTES = 32


@functools.cache
def _key() -> bytes:
    """This user's sealing key, made on first use (0600 in a 0700 folder)."""
    path = private_dir("keys") / "cache.key"
    try:
        data = path.read_bytes()
        if len(data) == KEY_BYTES:
            return data
    except OSError:
        pass
    key = os.urandom(KEY_BYTES)
    try:
        fd = os.open(path.with_suffix(f".{os.getpid()}.new"), os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        os.replace(path.with_suffix(f".{os.getpid()}.new"), path)
        return path.read_bytes() if path.stat().st_size == KEY_BYTES else key
    except OSError:
        return key  # a key for this process only: the records it writes are not reused


def seal(*parts: object) -> str:
    """The seal of `parts` (their JSON), in hex."""
    data = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hmac.new(_key(), data, hashlib.sha256).hexdigest()


def sealed(record: dict[str, Any]) -> dict[str, Any]:
    """`record` with its seal added (under "seal")."""
    body = {k: v for k, v in record.items() if k != "seal"}
    return {**body, "seal": seal(body)}


def unsealed(record: object) -> dict[str, Any] | None:
    """The record without its seal, or None when the seal is missing or does not match."""
    if not isinstance(record, dict) or not isinstance(record.get("seal"), str):
        return None
    body = {k: v for k, v in record.items() if k != "seal"}
    return body if hmac.compare_digest(record["seal"], seal(body)) else None


def private_cache(folder: Path) -> Path:
    """Make `folder` (an output folder's `.cache`) a folder only this user can enter, or
    refuse one that someone else made: whoever could write the cache could choose what
    the next build prints."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = folder.lstat()
    except OSError as exc:
        raise write_error(folder, exc) from None
    if not stat.S_ISDIR(st.st_mode):
        raise EditionError.single(
            "the cache is not a folder (a link or a file is in its place)",
            folder,
            hint="remove it; edition makes it again",
            code="output.cache",
        )
    if st.st_uid != os.getuid():
        raise EditionError.single(
            f"the cache folder belongs to another user (uid {st.st_uid})",
            folder,
            hint="remove it, or build into an --out of your own",
            code="output.cache",
        )
    if st.st_mode & 0o077:
        try:
            os.chmod(folder, 0o700)
        except OSError as exc:
            raise write_error(folder, exc) from None
    return folder
