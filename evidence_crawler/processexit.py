"""The CLI's exit: the exit handlers, then the end of the process, without tearing its heap down.

After the last exit handler CPython's finalization frees every module and object one by one. After a
crawl of the books corpus (~170 MiB of objects) that took 0.54 s between the last ``atexit`` handler and
the end of the process; after ``verify`` of the books bundle 50-90 ms. Nothing of ours waits for it:
every artifact is written atomically, fsynced and closed before its command returns (``durable.py``).

:func:`leave` runs what a normal exit runs and matters (the ``atexit`` handlers, logging's flush among
them; stdout and stderr flushed), then ends the process with :func:`os._exit` and the same status a
normal exit would give. Whenever a non-daemon thread is still alive (one Python would wait for, a pool's
worker included) it exits normally instead, so no thread's work is cut short.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

BROKEN_STDOUT = 120  # what CPython exits with when flushing stdout fails at exit


def status_of(code: object) -> int:
    """The process status ``sys.exit(code)`` gives: None is 0, an int itself, anything else printed and 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def threads_pending() -> bool:
    main = threading.main_thread()
    return any(t is not main and not t.daemon and t.is_alive() for t in threading.enumerate())


def leave(code: object = None) -> NoReturn:
    """Exit with ``code`` as ``sys.exit`` would, skipping the heap's teardown when nothing waits for it."""
    if threads_pending():
        sys.exit(code)
    status = status_of(code)
    atexit._run_exitfuncs()  # noqa: SLF001 - the handlers a normal exit runs; nothing else runs them here
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`) or a closed stream
            status = status or BROKEN_STDOUT
    os._exit(status)


def run(main) -> NoReturn:
    """``main()`` (a Typer app), then :func:`leave` with its exit status; exceptions propagate as usual."""
    try:
        main()
    except SystemExit as exc:
        leave(exc.code)
    leave(0)
