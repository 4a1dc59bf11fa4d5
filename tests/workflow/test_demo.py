"""`make demo` tells the whole story and ends as it says."""

from __future__ import annotations

import io
import re
import threading
import urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from localrun import demo

pytestmark = pytest.mark.workflow


def test_the_demo_runs_a_migration_through_an_approved_cutover(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert demo.main(["--restore-minutes", "90", "--auto-approve"]) == 0
    out = capsys.readouterr().out
    assert "Simulated here: the RDS for SQL Server endpoint" in out
    for state in ("Read Backup Object", "Check Restore", "Derive Start LSN", "Check CDC"):
        assert f"  {state} " in out
    assert "first_lsn = 00000014:000000f3:0001 (20000000024300001)" in out
    assert "started at CDC position 00000014:000000f3:0001" in out
    # 90 minutes of restore, seen within 5 % of that
    assert re.search(r"\[bak2rds\] Northwind: restore finished in 1h 3[0-4]m", out)
    assert "[bak2rds] Northwind: ready for cutover, approve or reject" in out
    assert re.search(r"button would: POST /approvals/\S+ -> 200", out)
    assert "Check Final Sync           latency 0.0 s, 2 good check(s), drained" in out
    assert "[bak2rds] Northwind: cutover complete" in out
    assert "Execution Northwind-" in out and ": SUCCEEDED" in out


def test_without_a_terminal_the_demo_does_not_wait_for_a_browser(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)  # as in CI or a pipe
    assert demo.main([]) == 0
    out = capsys.readouterr().out
    assert "run make demo in a terminal to press it yourself" in out
    assert ": SUCCEEDED" in out


def test_the_demo_shows_the_failure_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--fail-restore"]) == 0
    out = capsys.readouterr().out
    assert "Execution FAILED: RESTORE_NO_SPACE" in out
    assert "What to do: Increase the instance's allocated storage" in out
    assert "[bak2rds] Northwind: FAILED RESTORE_NO_SPACE" in out
    assert "ready for cutover" not in out


class Terminal(io.StringIO):
    """The demo's stdout: what it printed, and an event set once the links are printed."""

    def __init__(self) -> None:
        super().__init__()
        self.links_printed = threading.Event()

    def write(self, text: str) -> int:
        written = super().write(text)
        if "  Reject:  http://127.0.0.1:" in self.getvalue():
            self.links_printed.set()
        return written


def test_the_demo_serves_the_approval_page_and_goes_on_once_decided(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    results: list[int] = []
    demo_run = threading.Thread(
        target=lambda: results.append(demo.main(["--port", "0", "--wait-minutes", "1"]))
    )
    demo_run.start()
    assert terminal.links_printed.wait(timeout=60), terminal.getvalue()
    link = re.search(r"  Reject:  (http://127\.0\.0\.1:\d+/approvals/\S+)", terminal.getvalue())
    assert link is not None, terminal.getvalue()

    # A person opens the printed link (a page) and presses Reject (a form post)
    with urllib.request.urlopen(link[1], timeout=10) as page:
        assert page.status == 200 and b"Reject cutover" in page.read()
    query = {k: v[0] for k, v in parse_qs(urlsplit(link[1]).query).items()}
    form = {"expires": query["expires"], "signature": query["signature"], "decision": "reject"}
    posted = urllib.request.Request(link[1].split("?", 1)[0], data=urlencode(form).encode())
    with urllib.request.urlopen(posted, timeout=10) as decided:
        assert b"rejected" in decided.read()
    demo_run.join(timeout=60)

    out = terminal.getvalue()
    assert results == [0]
    assert "Cutover Rejected" in out and "[bak2rds] Northwind: cutover rejected" in out
