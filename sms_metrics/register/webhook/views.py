"""POST /api/v1/webhooks/alertmanager: 2xx only after commit; 400/401/413/422 write nothing;
503 when the database is busy (Alertmanager retries 5xx, never 4xx)."""

from __future__ import annotations

import hmac
import inspect
import json
import logging
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import ValidationError

from sms_metrics.catalogue.yamlsource import format_loc
from sms_metrics.register.webhook.schema import WebhookPayload

log = logging.getLogger(__name__)


def bearer_ok(request: Request, expected: str | None) -> bool:
    if not expected:
        return False
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected.encode())


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body of {int(declared)} bytes is over the {limit}-byte limit")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"body is over the {limit}-byte limit")
    return bytes(body)


PATH = "/api/v1/webhooks/alertmanager"


def webhook_router(endpoint) -> APIRouter:
    """The route as the API documents it (the app serves it through ``FastPath``, see there)."""
    router = APIRouter()
    router.add_api_route(PATH, endpoint, methods=["POST"], summary="Alertmanager webhook (v4)")
    return router


class FastPath:
    """Serves the webhook ahead of FastAPI's routing layers, with the route's own endpoint.

    The exception, routing, dependency and serialisation layers between the server and an endpoint cost
    about as much CPU as a single-alert delivery itself, and the webhook is the one route that takes
    thousands of requests a second. Its endpoint takes a ``Request`` and returns a ``Response``, so it
    needs none of them: this middleware calls it directly for ``POST`` on its path and maps its
    exceptions with the app's own handlers (the same statuses and bodies as through the router). Every
    other request goes on to the app."""

    def __init__(self, app, *, path: str, endpoint, handlers: dict):
        self.app, self.path, self.endpoint, self.handlers = app, path, endpoint, handlers

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        request = Request(scope, receive, send)
        try:
            response = await self.endpoint(request)
        except Exception as exc:
            handler = next((self.handlers[c] for c in type(exc).__mro__ if c in self.handlers), None)
            if handler is None:
                raise  # a 500 from the server's error middleware, as through the router
            response = handler(request, exc)
            if inspect.isawaitable(response):
                response = await response
        await response(scope, receive, send)


def webhook_endpoint(state):
    """POST /api/v1/webhooks/alertmanager (see the module)."""

    async def alertmanager(request: Request) -> Response:
        if not bearer_ok(request, state.settings.webhook_token):
            state.metrics.deliveries.labels("unauthorized").inc()
            raise HTTPException(
                401,
                "missing or wrong bearer token"
                if state.settings.webhook_token
                else "SMS_WEBHOOK_TOKEN is not set: the webhook refuses every delivery",
            )
        body = await read_limited(request, state.settings.webhook_max_bytes)
        try:
            payload = WebhookPayload.model_validate_json(body)  # parsed and validated in one pass
        except ValidationError as exc:
            try:  # the reason in Python's words, as the 400 has always given it
                json.loads(body)
            except (json.JSONDecodeError, UnicodeDecodeError) as bad:
                state.metrics.deliveries.labels("malformed").inc()
                raise HTTPException(400, f"malformed JSON: {bad}") from None
            state.metrics.deliveries.labels("invalid").inc()
            problems = [
                f"{format_loc(tuple(e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()[:20]
            ]
            raise HTTPException(
                422, {"error": "not an Alertmanager v4 webhook payload", "problems": problems}
            ) from None
        now = datetime.now(UTC)
        if state.settings.webhook_skip_write:
            return _answer(payload, {"skipped": 1})
        if state.writer.pending >= state.settings.webhook_max_pending:
            state.metrics.deliveries.labels("overloaded").inc()
            raise HTTPException(
                503,
                f"overloaded: {state.writer.pending} deliveries are waiting to be written; Alertmanager will retry",
                headers={"Retry-After": "1"},
            )

        actions = await state.writer.write(payload, body, now)
        state.metrics.deliveries.labels("ok").inc()
        if payload.truncatedAlerts:
            log.warning(
                "delivery %s: %d alerts truncated by Alertmanager; they are left as they are",
                payload.groupKey,
                payload.truncatedAlerts,
            )
        return _answer(payload, actions)

    return alertmanager


def _answer(payload: WebhookPayload, actions: dict[str, int]) -> Response:
    """The 200's body, encoded here (FastAPI's encoder walks a returned dict value by value)."""
    body = {"received": len(payload.alerts), "truncated": payload.truncatedAlerts, "actions": dict(actions)}
    return Response(json.dumps(body, separators=(",", ":")), media_type="application/json")
