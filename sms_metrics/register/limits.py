"""A size bound on every request body (ASGI middleware): a body over the limit is refused with 413
before the application reads it, whether its length is declared or it arrives in chunks."""

from __future__ import annotations

import json


class BodyLimit:
    def __init__(self, app, *, limit: int, skip: frozenset[str] = frozenset()):
        self.app, self.limit, self.skip = app, limit, skip

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in self.skip:  # (the webhook checks its token first)
            return await self.app(scope, receive, send)
        limit = self.limit
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _too_large(send, int(declared), limit)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send, seen, limit)


class _TooLarge(Exception):
    pass


async def _too_large(send, size: int, limit: int) -> None:
    body = json.dumps({"detail": f"body of {size} bytes or more is over the {limit}-byte limit"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
