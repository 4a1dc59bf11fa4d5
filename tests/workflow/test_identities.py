"""After the drain: identity columns behind the rows DMS applied, reported with their fix (or
reseeded), and sequences listed with the query that compares them with the source."""

from __future__ import annotations

import json

import boto3
import pytest

from localrun.runtime import LocalRuntime
from localrun.sqlcatalog import Identity
from localrun.sqlserver import SimulatedRdsSqlServer
from tests.workflow.conftest import StartRuntime
from tests.workflow.test_approval import press, waiting_for_approval

pytestmark = pytest.mark.workflow


def orders_identity(sql_sim: SimulatedRdsSqlServer) -> Identity:
    (orders,) = [t for t in sql_sim.tables("Northwind") if t.name == "Orders"]
    assert orders.identity is not None
    return orders.identity


def cut_over(runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer) -> dict[str, object]:
    """Approve once the Orders rows DMS applied reach 10400 while the identity stayed at
    10250; run to the end; the execution's output."""
    _, email = waiting_for_approval(runtime)
    orders_identity(sql_sim).maximum = 10400
    assert press(runtime, email.approve_link, "approve").status == 200
    runtime.dms.stop_source_writes()
    (done,) = runtime.run_until_done()
    assert done.state_names[-1] == "Cutover Complete"
    assert "Check Identities" in done.state_names
    return dict(done.output)


def test_an_identity_behind_its_rows_is_reported_with_the_statement_that_fixes_it(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    output = cut_over(runtime, sql_sim)

    found = output["identities"]
    assert isinstance(found, dict)
    assert (found["columns"], found["checked"], found["behind_count"]) == (3, 3, 1)
    assert found["behind"] == [
        {
            "table": "[dbo].[Orders]",
            "column": "OrderID",
            "current": "10250",
            "highest": "10400",
            "reseeded": False,
            "fix": "DBCC CHECKIDENT (N'[dbo].[Orders]', RESEED, 10400);",
        }
    ]
    assert orders_identity(sql_sim).current == 10250  # reported, not changed
    assert found["sequences"] == [{"sequence": "[dbo].[InvoiceNumbers]", "current_value": "70001"}]
    (complete,) = [n for n in runtime.notifications() if "cutover complete" in n.subject]
    assert "DBCC CHECKIDENT (N'[dbo].[Orders]', RESEED, 10400);" in complete.message
    assert "[dbo].[InvoiceNumbers] = 70001" in complete.message
    assert "FROM sys.sequences" in complete.message
    report = output["report"]
    assert isinstance(report, dict)
    body = boto3.client("s3").get_object(Bucket=report["bucket"], Key=report["json_key"])
    assert json.loads(body["Body"].read())["target"]["identities"]["behind_count"] == 1


def test_with_reseed_on_the_identity_is_set_to_the_highest_value_its_rows_hold(
    start_runtime: StartRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    runtime = start_runtime(parameters={"ReseedIdentities": "on"})

    output = cut_over(runtime, sql_sim)

    found = output["identities"]
    assert isinstance(found, dict)
    assert found["behind"][0]["reseeded"] is True
    assert orders_identity(sql_sim).current == 10400
    (complete,) = [n for n in runtime.notifications() if "cutover complete" in n.subject]
    assert "1 identity column(s) were reseeded to the highest value" in complete.message
