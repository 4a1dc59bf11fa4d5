"""API Gateway HTTP API, locally: the approval links of the e-mail reach the real handler.

moto has no HTTP API that invokes Lambda functions, so this module stands in for it:

* ``HttpApiRoutes`` is built from the ``HttpApi`` events of the template's functions
  (``Path``, ``Method``, ``ApiId``), and turns a request into the payload-format-2.0 event API
  Gateway sends (``routeKey``, ``rawPath``, ``rawQueryString``, ``pathParameters``, lower-case
  ``headers``, ``requestContext.http.sourceIp``/``userAgent``, a base64 body for a form post),
  which the runtime hands to the function through the same in-process Lambda service the
  state machine uses;
* a link must name the API's own host (``https://<api id>.execute-api.<region>.amazonaws.com``,
  as the template's ``!Sub`` builds it) or the local server; anything else is refused, like
  the SQL endpoint that only answers on the RDS instance's address;
* ``ApprovalServer`` is a small HTTP server on 127.0.0.1 that forwards what a browser sends to
  the routes, for the browser test and ``make demo``. ``local_url`` maps an e-mail link onto it.
"""

from __future__ import annotations

import base64
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

LOCAL_HOST = "127.0.0.1"
_MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: str


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as in the template: /approvals/{approval_id}
    function: str  # logical id

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        found = re.fullmatch(pattern, path)
        return found.groupdict() if found else None


class HttpApiRoutes:
    def __init__(
        self,
        api_id: str,
        host: str,
        routes: list[Route],
        invoke: Callable[[str, dict[str, Any]], dict[str, Any]],
        now: Callable[[], datetime],
    ) -> None:
        self.api_id = api_id
        self.host = host  # <api id>.execute-api.<region>.amazonaws.com
        self.routes = routes
        self._invoke = invoke
        self._now = now
        self.local_base_url: str | None = None

    def request(
        self,
        method: str,
        url: str,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        source_ip: str = "198.51.100.7",
    ) -> HttpResponse:
        parts = urlsplit(url)
        if parts.netloc and parts.netloc not in self._hosts():
            raise ValueError(f"{parts.netloc} is not the approval API ({self.host})")
        lower = {name.lower(): value for name, value in (headers or {}).items()}
        lower.setdefault("user-agent", "localrun")
        for route in self.routes:
            parameters = route.match(method.upper(), parts.path)
            if parameters is None:
                continue
            event = self._event(route, parts.path, parts.query, parameters, body, lower, source_ip)
            return _response(self._invoke(route.function, event))
        return HttpResponse(404, {"content-type": "application/json"}, '{"message":"Not Found"}')

    def local_url(self, link: str) -> str:
        """The e-mail's link, pointed at the local server."""
        if self.local_base_url is None:
            raise RuntimeError("the local approval server is not running (serve_approvals)")
        parts = urlsplit(link)
        if parts.netloc not in self._hosts():
            raise ValueError(f"{parts.netloc} is not the approval API ({self.host})")
        return f"{self.local_base_url}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    def _hosts(self) -> set[str]:
        local = urlsplit(self.local_base_url).netloc if self.local_base_url else None
        return {self.host, *([local] if local else [])}

    def _event(
        self,
        route: Route,
        path: str,
        query: str,
        parameters: dict[str, str],
        body: bytes,
        headers: dict[str, str],
        source_ip: str,
    ) -> dict[str, Any]:
        now = self._now()
        route_key = f"{route.method} {route.path}"
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": path,
            "rawQueryString": query,
            "headers": {**headers, "host": self.host},
            "requestContext": {
                "accountId": "123456789012",
                "apiId": self.api_id,
                "domainName": self.host,
                "domainPrefix": self.api_id,
                "http": {
                    "method": route.method,
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": source_ip,
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": uuid.uuid4().hex[:16],
                "routeKey": route_key,
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now.timestamp() * 1000),
            },
            "pathParameters": parameters,
            "isBase64Encoded": bool(body),
        }
        if query:
            # API Gateway joins repeated parameters with commas
            values: dict[str, list[str]] = {}
            for name, value in parse_qsl(query, keep_blank_values=True):
                values.setdefault(name, []).append(value)
            event["queryStringParameters"] = {k: ",".join(v) for k, v in values.items()}
        if body:
            event["body"] = base64.b64encode(body).decode()
        return event


def _response(result: dict[str, Any]) -> HttpResponse:
    body = str(result.get("body") or "")
    if result.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    headers = {str(k).lower(): str(v) for k, v in (result.get("headers") or {}).items()}
    return HttpResponse(int(result.get("statusCode", 200)), headers, body)


class ApprovalServer(ThreadingHTTPServer):
    """http://127.0.0.1:<port>/approvals/... served by the approval API's routes."""

    daemon_threads = True

    def __init__(self, routes: HttpApiRoutes, port: int = 0) -> None:
        self.routes = routes
        super().__init__((LOCAL_HOST, port), _Handler)

    @property
    def base_url(self) -> str:
        return f"http://{LOCAL_HOST}:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: ApprovalServer

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def _forward(self) -> None:
        length = min(int(self.headers.get("Content-Length") or 0), _MAX_BODY)
        body = self.rfile.read(length) if length else b""
        try:
            response = self.server.routes.request(
                self.command, self.path, body, dict(self.headers), self.client_address[0]
            )
        except Exception as error:  # the browser gets a 502, as from API Gateway
            response = HttpResponse(502, {"content-type": "text/plain"}, f"{error}")
        payload = response.body.encode()
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name not in {"content-length", "connection"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the handler logs each visit itself


@contextmanager
def serving(routes: HttpApiRoutes, port: int = 0) -> Iterator[ApprovalServer]:
    server = ApprovalServer(routes, port)
    thread = threading.Thread(target=server.serve_forever, name="approval-server", daemon=True)
    thread.start()
    routes.local_base_url = server.base_url
    try:
        yield server
    finally:
        routes.local_base_url = None
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass(frozen=True)
class ApprovalEmail:
    """A cutover approval e-mail as the operator receives it."""

    subject: str
    message: str
    approve_link: str
    reject_link: str


def approval_emails(notifications: list[Any]) -> list[ApprovalEmail]:
    """The approval requests among SNS messages (``Notification``), oldest first."""
    emails = []
    for notification in notifications:
        if notification.attributes.get("event") != "APPROVAL_REQUESTED":
            continue
        approve = re.search(r"^Approve the cutover: (\S+)$", notification.message, re.MULTILINE)
        reject = re.search(r"^Reject the cutover:\s+(\S+)$", notification.message, re.MULTILINE)
        if approve is None or reject is None:
            raise ValueError(f"approval e-mail without links: {notification.message!r}")
        emails.append(
            ApprovalEmail(notification.subject, notification.message, approve[1], reject[1])
        )
    return emails
