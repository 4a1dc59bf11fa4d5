"""Routes of the approval HTTP API (API Gateway HTTP API, payload format 2.0).

``GET /approvals/{approval_id}`` shows the page, ``POST /approvals/{approval_id}`` takes the
decision (a form post); both hand over to ``steps.decide_cutover``. Each visit is logged with
the approval id, the outcome and who (source IP, user agent) - never the signature, the task
token or the key.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from bak2rds import approval_page, clock, config, wiring
from bak2rds.cdc_latency import measure as cdc_latency_of
from bak2rds.models import ApprovalSummary
from bak2rds.observability import logger
from bak2rds.steps import decide_cutover

app = APIGatewayHttpResolver()
_HTML = "text/html; charset=utf-8"
_FORM_LIMIT = 4096  # the form has three short fields


@app.get("/approvals/<approval_id>")
def show(approval_id: str) -> Response[str]:
    event = app.current_event
    request = _request(
        approval_id,
        event.get_query_string_value("expires"),
        event.get_query_string_value("signature"),
        event.get_query_string_value("action"),
    )
    return _respond("Approval page viewed", request, decide_cutover.view(request, _deps()))


@app.post("/approvals/<approval_id>")
def decide(approval_id: str) -> Response[str]:
    body = app.current_event.decoded_body or ""
    form = parse_qs(body[:_FORM_LIMIT], max_num_fields=10) if len(body) <= _FORM_LIMIT else {}

    def field(name: str) -> str | None:
        values = form.get(name)
        return values[0] if values else None

    request = _request(approval_id, field("expires"), field("signature"), field("decision"))
    return _respond("Cutover decision", request, decide_cutover.decide(request, _deps()))


@app.not_found
def not_found(_error: Exception) -> Response[str]:
    page = approval_page.Page(404, "Not found", "error", ("There is nothing here.",))
    return Response(404, _HTML, approval_page.render(page), dict(approval_page.HEADERS))


def _request(
    approval_id: str, expires: str | None, signature: str | None, action: str | None
) -> decide_cutover.Request:
    http = app.current_event.request_context.http
    return decide_cutover.Request(
        approval_id=approval_id,
        expires=expires,
        signature=signature,
        action=action,
        source_ip=str(http.source_ip or ""),
        user_agent=str(http.user_agent or ""),
    )


def _respond(
    message: str, request: decide_cutover.Request, page: approval_page.Page
) -> Response[str]:
    logger.info(
        message,
        extra={
            "approval_id": request.approval_id[:32],
            "action": (request.action or "")[:16],
            "status_code": page.status_code,
            "source_ip": request.source_ip,
            "user_agent": request.user_agent[:300],
            **page.log,
        },
    )
    return Response(
        page.status_code, _HTML, approval_page.render(page), dict(approval_page.HEADERS)
    )


def _deps() -> decide_cutover.Collaborators:
    settings = config.load(config.ApprovalSettings)
    cdc_settings = config.load(config.CdcSettings)
    dms, metrics = wiring.dms(), wiring.dms_metrics()

    def cdc_latency(summary: ApprovalSummary) -> decide_cutover.Latency:
        measured = cdc_latency_of(
            summary["cdc_task_arn"],
            summary["replication_instance_id"],
            dms,
            metrics,
            clock.utcnow(),
        )
        return decide_cutover.Latency(measured.worst_seconds, measured.status)

    return decide_cutover.Collaborators(
        table=wiring.approvals_table(),
        callbacks=wiring.task_callbacks(),
        signing_key=lambda: wiring.signing_key(settings.key_secret_arn),
        cdc_latency=cdc_latency,
        latency_threshold_seconds=cdc_settings.latency_threshold_seconds,
        now=clock.utcnow(),
    )
