#!/usr/bin/env python3
"""The refund agent again, this time through Countersign's MCP server, as a model host would call it.

    python3 -m pip install -r examples/requirements.txt   # the official MCP Python SDK
    export COUNTERSIGN_URL=http://127.0.0.1:8080          # the default; the MCP endpoint is $COUNTERSIGN_URL/mcp
    export COUNTERSIGN_TOKEN=...                          # an agent's JWT or API key (cs_...)
    python3 examples/mcp_agent.py --amount 80.00

It lists the server's tools, calls `submit_action`, then `wait_for_decision` while the request
is PENDING, and `report_execution` once it is APPROVED. Each milestone is one JSON line on
stdout (tools, submitted, decided, reported | not_executed | gave_up | tool_error | error).
Exit status: 0 done, 1 a tool or connection error, 2 usage, 3 gave up waiting.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time
import uuid
from typing import Any, NoReturn

import httpx2
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.types import INTERNAL_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, CallToolResult, TextContent

if sys.version_info < (3, 11):
    from exceptiongroup import BaseExceptionGroup  # a dependency of anyio before 3.11

JSON = dict[str, Any]

DEFAULT_URL = "http://127.0.0.1:8080"
WAIT_SECONDS = 30  # one wait_for_decision call
DONT_EXECUTE = {"REJECTED", "EXPIRED", "CANCELLED"}
HTTP_STAND_INS = {INTERNAL_ERROR, METHOD_NOT_FOUND, INVALID_REQUEST}  # the SDK's codes for an HTTP error status


class ToolError(Exception):
    """A tool result with `isError: true`; its structured content is `{code, message}`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def emit(event: str, **fields: Any) -> None:
    """Print one milestone as a JSON line; a harness reads these as they come."""
    print(json.dumps({"event": event, **fields}), flush=True)


def text_of(result: CallToolResult) -> str:
    """The result's first text block: the sentence the server wrote for a model (a second block
    repeats the structured content as JSON, for clients that read only text)."""
    return next((block.text for block in result.content if isinstance(block, TextContent)), "")


async def call(client: Client, tool: str, arguments: JSON) -> tuple[JSON, str]:
    """Call a tool; return its structured content and text, or raise ToolError."""
    result = await client.call_tool(tool, arguments)
    structured = result.structured_content or {}
    text = text_of(result)
    if result.is_error:
        raise ToolError(str(structured.get("code", "TOOL_ERROR")), str(structured.get("message", text)))
    return structured, text


async def tool_names(client: Client) -> list[str]:
    names: list[str] = []
    cursor: str | None = None
    while True:
        page = await client.list_tools(cursor=cursor)
        names.extend(tool.name for tool in page.tools)
        cursor = page.next_cursor
        if cursor is None:
            return sorted(names)


async def submit(client: Client, workflow: str, amount: str) -> tuple[JSON, str]:
    return await call(
        client,
        "submit_action",
        {
            "workflowKey": workflow,
            "idempotencyKey": str(uuid.uuid4()),
            "actionType": "refund.issue",
            "title": f"Refund {amount} EUR to customer c-2002",
            "action": {"customer": "c-2002", "amount": amount, "currency": "EUR", "reason": "Item never arrived"},
            "amount": amount,  # money is a decimal string, never a JSON number
            "currency": "EUR",
            "confidence": 0.9,
            "correlation": {"run": str(uuid.uuid4())},
        },
    )


async def wait(client: Client, request: JSON, text: str, max_wait: float) -> tuple[JSON, str] | None:
    """Call wait_for_decision until the request leaves PENDING; None when max_wait ran out."""
    deadline = time.monotonic() + max_wait
    while request["status"] == "PENDING":
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        timeout = max(1, min(WAIT_SECONDS, math.ceil(remaining)))
        request, text = await call(
            client, "wait_for_decision", {"requestId": request["requestId"], "timeoutSeconds": timeout}
        )
    return request, text


async def run(client: Client, args: argparse.Namespace) -> int:
    emit("tools", names=await tool_names(client))

    request, text = await submit(client, args.workflow, args.amount)
    request_id = request["requestId"]
    emit("submitted", requestId=request_id, status=request["status"], route=request["route"], text=text)

    decided = await wait(client, request, text, args.max_wait)
    if decided is None:
        emit("gave_up", requestId=request_id, status="PENDING", waitedSeconds=args.max_wait)
        return 3
    request, text = decided
    status = request["status"]
    emit("decided", requestId=request_id, status=status, text=text)

    if status == "APPROVED":
        # Execute what was approved: request["request"]["finalAction"] carries a reviewer's edits.
        report, _ = await call(
            client,
            "report_execution",
            {"requestId": request_id, "success": True, "externalRef": f"refund-{request_id}"},
        )
        emit("reported", status=report["status"])
    elif status in DONT_EXECUTE:
        details = request.get("request") or {}
        emit("not_executed", requestId=request_id, status=status, reasonCode=details.get("reasonCode"))
    return 0


class RefusedRequests:
    """An httpx2 response hook that remembers the last HTTP error the server answered.

    The SDK turns an HTTP error without a JSON-RPC body (a 401 for a bad token, a 404 from a
    server without /mcp) into a stand-in JSON-RPC error; this keeps the status and the server's
    own words for the report. A JSON-RPC error body is left to the SDK, which raises it as is.
    """

    def __init__(self) -> None:
        self.last: tuple[str, str] | None = None

    async def __call__(self, response: httpx2.Response) -> None:
        if response.status_code < 400:
            self.last = None
            return
        try:
            raw = await response.aread()
        except httpx2.HTTPError:
            raw = b""
        text = raw[:300].decode(errors="replace").strip()
        code, message = f"HTTP_{response.status_code}", text or response.reason_phrase
        try:
            body = json.loads(raw)
            if "jsonrpc" in body:
                self.last = None
                return
            first = body["errors"][0]  # Countersign's error shape, as on /graphql
            code, message = first["extensions"]["code"], first["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            pass
        self.last = (str(code), str(message))


async def connect_and_run(url: str, token: str, args: argparse.Namespace, refused: RefusedRequests) -> int:
    """Open a Streamable HTTP session to `url` with the bearer token, then run the agent."""
    async with httpx2.AsyncClient(
        headers={"Authorization": f"Bearer {token}"},
        timeout=httpx2.Timeout(30.0, read=300.0),
        follow_redirects=True,
        event_hooks={"response": [refused]},
    ) as http_client:
        transport = streamable_http_client(url, http_client=http_client)
        async with Client(transport) as client:
            return await run(client, args)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Submit a refund through Countersign's MCP server.")
    parser.add_argument("--workflow", default="refunds", help="workflow key (default: refunds)")
    parser.add_argument("--amount", default="80.00", help='decimal string, e.g. "80.00" (default: 80.00)')
    parser.add_argument(
        "--max-wait", type=float, default=600, help="seconds to wait for a decision before giving up (default: 600)"
    )
    return parser.parse_args(argv)


def fail_usage(message: str) -> NoReturn:
    emit("error", code="USAGE", message=message)
    sys.exit(2)


def first_error(error: BaseException) -> BaseException:
    """The first leaf of an exception group (task groups wrap what failed inside them)."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    token = os.environ.get("COUNTERSIGN_TOKEN", "").strip()
    if not token:
        fail_usage("set COUNTERSIGN_TOKEN to an agent's JWT or API key")
    if args.max_wait < 0:
        fail_usage("--max-wait must not be negative")
    url = (os.environ.get("COUNTERSIGN_URL") or DEFAULT_URL).rstrip("/") + "/mcp"
    refused = RefusedRequests()
    try:
        return asyncio.run(connect_and_run(url, token, args, refused))
    except KeyboardInterrupt:
        return 130
    except Exception as raised:  # noqa: BLE001 - every failure becomes one JSON line, never a traceback
        error = first_error(raised)
        if isinstance(error, ToolError):
            emit("tool_error", code=error.code, message=error.message)
        elif isinstance(error, MCPError) and error.code in HTTP_STAND_INS and refused.last is not None:
            code, message = refused.last
            emit("error", code=code, message=message)
        elif isinstance(error, MCPError):
            emit("error", code=error.code, message=error.message)
        elif isinstance(error, httpx2.HTTPError):
            emit("error", code="NETWORK", message=f"{url}: {error}")
        else:
            emit("error", code=type(error).__name__, message=str(error))
        return 1


if __name__ == "__main__":
    sys.exit(main())
