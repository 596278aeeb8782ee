"""Writing the files of `--output` (and `init`).

A regular file (or a new one) is written atomically: to a hidden temp file beside it, then renamed
over it, so a reader never sees half a report. A symbolic link is written through (its target is
replaced, the link stays); a device or FIFO (`/dev/stdout`, a named pipe) is written directly. A new
file gets the mode the umask gives (0644 typically); an existing one keeps its mode. The temp file
is removed when the write fails and when SIGINT, SIGTERM or SIGHUP arrives during it. Every
failure to write is a usage error (exit 2) naming the file and the reason.

Standard library only: `init` uses it."""

from __future__ import annotations

import os
import signal
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from cs_metrics.errors import UsageError


class _Signalled(BaseException):
    """SIGTERM or SIGHUP arrived while a temp file existed."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def check_target(path: Path) -> None:
    """Before any computing: the file can be created where it is asked for."""
    path = Path(path)
    if not path.name or path.is_dir():
        raise UsageError(f"--output {path}: is a folder", "Give a file name, e.g. --output kpis.csv")
    folder = Path(os.path.realpath(path)).parent
    if not folder.is_dir():
        shown = path.parent if str(path.parent) else Path(".")
        raise UsageError(f"--output {path}: the folder {shown} does not exist", "Create it first, or write elsewhere")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP raise `_Signalled` inside the block (unless the process ignores them, as
    under nohup), so that the block's cleanup runs; the previous handlers come back afterwards."""

    def handler(signum, frame):
        raise _Signalled(signum)

    previous = {}
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is None:
            continue
        try:
            if signal.getsignal(sig) == signal.SIG_DFL:
                previous[sig] = signal.signal(sig, handler)
        except (ValueError, OSError):  # not the main thread: nothing to install
            pass
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _cannot(path: Path, exc: OSError) -> UsageError:
    return UsageError(f"--output {path}: cannot write it: {exc.strerror or exc}")


@contextmanager
def writing(path: Path, *, binary: bool = False) -> Iterator[IO]:
    """A file object to write the output into; see the module docstring."""
    path = Path(path)
    target = Path(os.path.realpath(path))  # through symbolic links
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise _cannot(path, exc) from None
    kwargs = {} if binary else {"encoding": "utf-8", "newline": ""}
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise UsageError(f"--output {path}: is a folder", "Give a file name, e.g. --output kpis.csv")
    if st is not None and not stat.S_ISREG(st.st_mode):  # a device or a FIFO: write straight to it
        try:
            with open(target, "wb" if binary else "w", **kwargs) as fh:
                yield fh
        except OSError as exc:
            raise _cannot(path, exc) from None
        return
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise UsageError(f"--output {path}: cannot write in {path.parent if str(path.parent) else '.'}: {exc.strerror}") from None
    try:
        with _signals_interrupt():
            try:
                with os.fdopen(fd, "wb" if binary else "w", **kwargs) as fh:
                    os.fchmod(fh.fileno(), mode)
                    yield fh
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
    except OSError as exc:
        raise _cannot(path, exc) from None
    except _Signalled as sig:  # the temp file is gone: now end as the signal asks
        signal.signal(sig.signum, signal.SIG_DFL)
        os.kill(os.getpid(), sig.signum)
        raise SystemExit(128 + sig.signum) from None
