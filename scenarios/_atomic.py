"""Result folders written atomically: build in a hidden sibling folder, then rename into place.

A failure leaves the previous folder (if any) untouched and no half-written one; an existing
folder is replaced only when the caller says so (``--force``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["OutputExistsError", "atomic_folder"]


class OutputExistsError(FileExistsError):
    """The result folder exists and replacing it was not asked for."""

    def __init__(self, folder: Path) -> None:
        super().__init__(
            f"{folder}: output folder exists - pass --force to replace it or choose another -o"
        )


def check_target(folder: Path, *, force: bool) -> None:
    """Raise `OutputExistsError` when `folder` exists and `force` is off; reject a file there."""
    if folder.exists() and not folder.is_dir():
        msg = f"{folder}: is a file, not a folder - choose another -o"
        raise OutputExistsError(folder) from NotADirectoryError(msg)
    if folder.exists() and not force:
        raise OutputExistsError(folder)


@contextmanager
def atomic_folder(folder: str | Path, *, force: bool = False) -> Iterator[Path]:
    """Yield an empty work folder that becomes `folder` when the block ends without error.

    Files get mode 644 and folders 755 (``mkdtemp`` makes private ones), so the result reads
    like any other folder the user made.

    Raises
    ------
    OutputExistsError
        If `folder` exists and `force` is false (checked before and again at the end).
    """
    target = Path(folder).absolute()
    check_target(target, force=force)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    old: Path | None = None
    try:
        yield work
        for path in sorted(work.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        work.chmod(0o755)
        check_target(target, force=force)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
            old.rmdir()
            target.rename(old)
        work.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
