"""processexit: the CLI leaves with the status, the output and the exit handlers of a normal exit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import ROOT

VENV_BIN = Path(sys.executable).parent


def run_script(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(f"""
        import atexit, sys, threading, time
        from pathlib import Path
        from evidence_crawler.processexit import run
        marker = Path({str(tmp_path / "marker")!r})
        atexit.register(lambda: marker.write_text("atexit ran"))
    """) + textwrap.dedent(body), encoding="utf-8")
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_the_status_the_buffered_output_and_the_exit_handlers_are_those_of_a_normal_exit(tmp_path):
    proc = run_script(tmp_path, """
        def main():
            sys.stdout.write("no newline, still in the buffer")
            sys.exit(3)
        run(main)
    """)
    assert proc.returncode == 3
    assert proc.stdout == "no newline, still in the buffer"
    assert (tmp_path / "marker").read_text() == "atexit ran"


def test_a_message_given_to_sys_exit_goes_to_stderr_with_status_1_and_a_return_is_0(tmp_path):
    proc = run_script(tmp_path, """
        run(lambda: sys.exit("cannot go on"))
    """)
    assert (proc.returncode, proc.stderr.strip()) == (1, "cannot go on")
    assert run_script(tmp_path, "run(lambda: None)\n").returncode == 0


def test_a_running_non_daemon_thread_is_waited_for(tmp_path):
    proc = run_script(tmp_path, """
        done = Path(str(marker) + ".thread")
        def work():
            time.sleep(0.5)
            done.write_text("finished")
        run(lambda: threading.Thread(target=work).start())
    """)
    assert proc.returncode == 0
    assert (tmp_path / "marker.thread").read_text() == "finished"
    assert (tmp_path / "marker").read_text() == "atexit ran"


def test_an_uncaught_exception_still_prints_its_traceback_and_fails(tmp_path):
    proc = run_script(tmp_path, """
        def main():
            raise RuntimeError("boom")
        run(main)
    """)
    assert proc.returncode == 1 and "RuntimeError: boom" in proc.stderr


def test_the_console_script_goes_through_it_with_the_documented_status(tmp_path):
    script = (VENV_BIN / "evidence-crawler").read_text(encoding="utf-8")
    assert "from evidence_crawler.cli import entry" in script
    proc = subprocess.run([str(VENV_BIN / "evidence-crawler"), "verify", str(tmp_path / "missing.wacz")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout + proc.stderr
