"""`make demo` tells the whole story and ends as it says."""

from __future__ import annotations

import re

import pytest

from localrun import demo

pytestmark = pytest.mark.workflow


def test_the_demo_runs_a_migration_to_ready_for_cutover(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--restore-minutes", "90"]) == 0
    out = capsys.readouterr().out
    assert "Simulated here: the RDS for SQL Server endpoint" in out
    for state in ("Read Backup Object", "Check Restore", "Derive Start LSN", "Check CDC"):
        assert f"  {state} " in out
    assert "first_lsn = 00000014:000000f3:0001 (20000000024300001)" in out
    assert "started at CDC position 00000014:000000f3:0001" in out
    # 90 minutes of restore, seen within 5 % of that
    assert re.search(r"\[bak2rds\] Northwind: restore finished in 1h 3[0-4]m", out)
    assert "[bak2rds] Northwind: ready for cutover" in out
    assert "SUCCEEDED" in out


def test_the_demo_shows_the_failure_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--fail-restore"]) == 0
    out = capsys.readouterr().out
    assert "Execution FAILED: RESTORE_NO_SPACE" in out
    assert "What to do: Increase the instance's allocated storage" in out
    assert "[bak2rds] Northwind: FAILED RESTORE_NO_SPACE" in out
    assert "ready for cutover" not in out
