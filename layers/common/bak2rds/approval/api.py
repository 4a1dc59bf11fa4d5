"""Routes of the approval HTTP API (API Gateway HTTP API, payload format 2.0).

``GET /approvals/{approval_id}`` shows the page, ``POST /approvals/{approval_id}`` takes the
decision (a form post); ``rules`` decides what each may do, ``pages`` what it shows. Each visit
is logged with the approval id, the outcome and who (source IP, user agent) - never the
signature, the task token or the key.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from bak2rds.approval import pages, rules
from bak2rds.observability import logger
from bak2rds.wiring import approval

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
    deps = approval.approval_collaborators()
    return _respond("Approval page viewed", request, rules.view(request, deps), deps)


@app.post("/approvals/<approval_id>")
def decide(approval_id: str) -> Response[str]:
    body = app.current_event.decoded_body or ""
    form = parse_qs(body[:_FORM_LIMIT], max_num_fields=10) if len(body) <= _FORM_LIMIT else {}

    def field(name: str) -> str | None:
        values = form.get(name)
        return values[0] if values else None

    request = _request(approval_id, field("expires"), field("signature"), field("decision"))
    deps = approval.approval_collaborators()
    return _respond("Cutover decision", request, rules.decide(request, deps), deps)


@app.not_found
def not_found(_error: Exception) -> Response[str]:
    return Response(404, _HTML, pages.render(pages.NOT_FOUND), dict(pages.HEADERS))


def _request(
    approval_id: str, expires: str | None, signature: str | None, action: str | None
) -> rules.Request:
    http = app.current_event.request_context.http
    return rules.Request(
        approval_id=approval_id,
        expires=expires,
        signature=signature,
        action=action,
        source_ip=str(http.source_ip or ""),
        user_agent=str(http.user_agent or ""),
    )


def _respond(
    message: str, request: rules.Request, outcome: rules.Outcome, deps: rules.Collaborators
) -> Response[str]:
    page = pages.page(
        outcome, deps.latency_threshold_seconds, request.expires or "", request.signature or ""
    )
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
    return Response(page.status_code, _HTML, pages.render(page), dict(pages.HEADERS))
