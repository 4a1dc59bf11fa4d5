"""The cutover approval, in one place.

* ``links``: the signed, expiring, one-time links the e-mail carries;
* ``rules``: what a visit of a link may do (GET shows, POST decides), as an ``Outcome``;
* ``pages``: the page each outcome gets, and its HTML;
* ``api``: the HTTP API's routes (API Gateway HTTP API, payload 2.0), wired through
  ``bak2rds.wiring.approval``.

The request itself is the state "Request Cutover Approval" (``steps.request_cutover_approval``).

The contract with the state machine is named here and checked against the ASL by
tests/unit/test_definition.py: an approval ends the ``.waitForTaskToken`` task with
SendTaskSuccess and a ``models.Approval`` whose ``decision`` is ``APPROVED`` ("Cutover
Approved?" reads it); a rejection with SendTaskFailure, error ``REJECTED_ERROR``, whose cause is
the JSON ``models.DecidedBy`` that "Record Rejection" turns into an Approval with ``REJECTED``.
"""

from __future__ import annotations

from typing import Final, Literal

APPROVED: Final = "approved"
REJECTED: Final = "rejected"
REJECTED_ERROR: Final = "CutoverRejected"  # the error name the state machine catches
DECISIONS: Final[dict[str | None, Literal["approved", "rejected"]]] = {
    "approve": APPROVED,
    "reject": REJECTED,
}
