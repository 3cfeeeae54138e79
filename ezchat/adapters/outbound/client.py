"""``OutboundHttp``: every request the server makes to a URL it was given goes through here.

- Addresses: the host is resolved by ``GuardedResolver``, which hands Tornado's connector only
  the addresses the policy allows (``addresses.refused``), so the address connected to is one
  that was checked: a name that resolves to a public address for the check and to a private
  one for the connection (DNS rebinding) cannot happen, there is one resolution. Redirects are
  never followed here: a caller that follows them (the link previewer) makes each hop a request
  of its own, checked the same way.
- Answers: at most ``max_answer_bytes`` of a body is read (a larger one ends the request; its
  status line, already read, still counts), headers at most 16 KiB.
- Times: ``timeout_s`` bounds the whole request, waiting for a place included.
- Fairness: each target (scheme, host and port) has at most ``per_target`` requests open;
  the others wait for that target alone, never for another's. A slow or hostile endpoint
  costs only the deliveries to it."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from tornado.httpclient import HTTPRequest, HTTPResponse
from tornado.httputil import HTTPHeaders
from tornado.netutil import DefaultLoopResolver, Resolver
from tornado.simple_httpclient import SimpleAsyncHTTPClient

from ezchat.domain.addresses import refused

MAX_ANSWER_BYTES = 4096
MAX_HEADER_BYTES = 16 * 1024
PER_TARGET = 4
MAX_CONNECTIONS = 256


class OutboundRefused(OSError):
    """The URL's host has no address the policy allows."""


Policy = Callable[[str], "str | None"]  # why an IP address is refused, or None


class GuardedResolver(Resolver):
    def initialize(self, *, policy: Policy) -> None:
        self._inner = DefaultLoopResolver()
        self._policy = policy

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        found = await self._inner.resolve(host, port, family)
        allowed = [a for a in found if self._policy(a[1][0]) is None]
        if not allowed:
            why = self._policy(found[0][1][0]) if found else None
            raise OutboundRefused(f"{host}: {why or 'no address'}")
        return allowed


@dataclass(frozen=True)
class Answer:
    """How a request went: ``code`` is the HTTP status (None: no answer at all)."""

    code: int | None
    headers: HTTPHeaders = field(default_factory=HTTPHeaders)
    error: str | None = None
    refused: bool = False  # the address policy refused the target: trying again cannot help


class _Target:
    __slots__ = ("open", "users")

    def __init__(self, per_target: int) -> None:
        self.open = asyncio.Semaphore(per_target)
        self.users = 0


class OutboundHttp:
    def __init__(
        self,
        *,
        allow_private: bool,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        per_target: int = PER_TARGET,
        max_connections: int = MAX_CONNECTIONS,
        policy: Policy | None = None,
    ) -> None:
        """``policy``: which addresses may be connected to; by default ``addresses.refused``
        with ``allow_private`` (tests narrow it to tell two loopback addresses apart)."""
        if policy is None:
            policy = partial(refused, allow_private=allow_private)
        self._max_answer = max_answer_bytes
        self._per_target = per_target
        self._targets: dict[str, _Target] = {}
        self._http = SimpleAsyncHTTPClient(
            force_instance=True,
            max_clients=max_connections,
            resolver=GuardedResolver(policy=policy),
            max_buffer_size=max(64 * 1024, max_answer_bytes),
            max_header_size=MAX_HEADER_BYTES,
            max_body_size=max_answer_bytes,
        )

    @property
    def targets_waited_on(self) -> int:
        """Targets with a request open or waiting (for tests and figures)."""
        return len(self._targets)

    async def post(
        self, url: str, *, body: bytes, headers: dict[str, str], timeout_s: float
    ) -> Answer:
        return (await self._request("POST", url, body, headers, timeout_s, keep=False))[0]

    async def post_reading(
        self, url: str, *, body: bytes, headers: dict[str, str], timeout_s: float
    ) -> tuple[Answer, bytes]:
        """A POST whose answer's body is kept (capped as for ``get``): a hook's verdict."""
        return await self._request("POST", url, body, headers, timeout_s, keep=True)

    async def get(
        self, url: str, *, timeout_s: float, headers: dict[str, str] | None = None
    ) -> tuple[Answer, bytes]:
        """A GET whose body is kept (at most ``max_answer_bytes``; a longer one is cut off and
        answers with no body): what a key set (JWKS) and a linked page are read with."""
        return await self._request("GET", url, None, headers or {}, timeout_s, keep=True)

    async def _request(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        timeout_s: float,
        *,
        keep: bool,
    ) -> tuple[Answer, bytes]:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc.lower()}"
        target = self._targets.get(key)
        if target is None:
            target = self._targets[key] = _Target(self._per_target)
        target.users += 1
        deadline = time.monotonic() + timeout_s
        try:
            try:
                await asyncio.wait_for(target.open.acquire(), timeout_s)
            except TimeoutError:
                return Answer(None, error=f"timed out waiting for {key}"), b""
            try:
                left = deadline - time.monotonic()
                return await self._send(method, url, body, headers, left, keep=keep)
            finally:
                target.open.release()
        finally:
            target.users -= 1
            if target.users == 0:
                del self._targets[key]

    async def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        left_s: float,
        *,
        keep: bool,
    ) -> tuple[Answer, bytes]:
        status: list[int] = []
        kept: list[bytes] = []

        def header_line(line: str) -> None:
            if not status and line.startswith("HTTP/"):
                code = line.split(" ", 2)[1:2]
                if code and code[0].isdigit():
                    status.append(int(code[0]))

        left_s = max(left_s, 0.001)
        request = HTTPRequest(
            url,
            method=method,
            body=body,
            headers=headers,
            connect_timeout=left_s,
            request_timeout=left_s,
            follow_redirects=False,
            decompress_response=False,
            header_callback=header_line,
            # The body is kept only when asked for, and never past the size limit.
            streaming_callback=kept.append if keep else lambda chunk: None,
        )
        try:
            resp: HTTPResponse = await self._http.fetch(request, raise_error=False)
        except Exception as exc:  # no HTTP answer came whole (raise_error covers only those)
            return _unanswered(exc, status), b""
        if resp.code == 599:
            return _unanswered(resp.error, status), b""
        return Answer(resp.code, resp.headers), b"".join(kept)

    def close(self) -> None:
        self._http.close()


def _unanswered(exc: BaseException | None, status: list[int]) -> Answer:
    if isinstance(exc, OutboundRefused):
        return Answer(None, error=str(exc), refused=True)
    if status:  # the status line came, then the body was too long or cut off: it counts
        return Answer(status[0])
    # Refused, reset, timed out, TLS: the receiver is not there.
    return Answer(None, error=f"{type(exc).__name__}: {exc}"[:300])
