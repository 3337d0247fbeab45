"""Writing files so that a crash never leaves half of one."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``.

    The rename (`os.replace`) is atomic, so readers see either the old file
    or the complete new one; on any error the temporary file is removed and
    the old file is left as it was.  Re-saving behaves as writing the file in
    place would: an existing file keeps its permission bits, and a symbolic
    link is written through (its target is replaced, the link stays).  A
    file that cannot be written raises the `OSError` naming ``path`` as given.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = pathlib.Path(folder) / "out.txt"
    ...     write_atomically(target, b"hello")
    ...     target.read_bytes()
    b'hello'
    """
    given = Path(path)
    path = Path(os.path.realpath(given)) if given.is_symlink() else given
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)  # re-saving keeps the file's mode
    except OSError:
        mode = None  # a new file: the umask decides, as for open()
    try:
        # O_EXCL: never write through a file or link someone else put there;
        # mode 0o666 lets the umask decide the permissions, as for open().
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as error:
        raise _naming(error, given) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            if mode is not None:
                os.fchmod(stream.fileno(), mode)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _naming(error: OSError, path: Path) -> OSError:
    """``error`` again, about the path the caller gave rather than the hidden temporary file."""
    if isinstance(error, FileNotFoundError) and not path.parent.is_dir():
        reason = f"the directory {str(path.parent)!r} does not exist"
    else:
        reason = error.strerror or str(error)
    return type(error)(error.errno, f"cannot write {str(path)!r}: {reason}", str(path))
