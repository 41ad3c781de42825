#!/usr/bin/env python3
"""A refund agent that asks Countersign before it pays, then acts on the human decision.

    export COUNTERSIGN_URL=http://127.0.0.1:8080      # the default
    export COUNTERSIGN_TOKEN=...                      # an agent's JWT or API key (cs_...)
    python3 examples/agent_refunds.py --amount 120.00 --customer c-1001

It submits a `refund.issue` action with `submitAction`, waits with `awaitDecision` while the
request is PENDING, and, once approved, "executes" the final action (a reviewer's edits
included) and reports it with `reportExecution`. Each milestone is one JSON line on stdout
(submitted, decided, executed | not_executed | gave_up | error); notes for people go to stderr.
Exit status: 0 executed or not to be executed, 1 API or network error, 2 usage, 3 gave up waiting.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any, NoReturn

JSON = dict[str, Any]

DEFAULT_URL = "http://127.0.0.1:8080"
WAIT_SECONDS = 25  # one awaitDecision call; the server allows 1-60
HTTP_TIMEOUT = WAIT_SECONDS + 35  # the server holds awaitDecision open for up to WAIT_SECONDS
DONT_EXECUTE = {"REJECTED", "EXPIRED", "CANCELLED"}

SUBMIT = """
mutation Submit($input: SubmitActionInput!) {
  submitAction(input: $input) {
    created
    route
    request { id status route version dueAt correlation }
  }
}"""

AWAIT = """
query Await($id: ID!, $timeout: Int!) {
  awaitDecision(id: $id, timeoutSeconds: $timeout) {
    id status version reasonCode finalAction correlation externalRef
    decisions { actor decision reasonCode comment }
  }
}"""

REPORT = """
mutation Report($input: ReportExecutionInput!) {
  reportExecution(input: $input) { id status externalRef }
}"""


class ApiError(Exception):
    """A GraphQL error (`extensions.code`) or an HTTP or network failure."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Countersign:
    """A minimal GraphQL-over-HTTP client for one credential."""

    def __init__(self, url: str, token: str) -> None:
        self.endpoint = url.rstrip("/") + "/graphql"
        self.token = token

    def execute(self, query: str, variables: JSON) -> JSON:
        """Run one operation and return its `data`; raise ApiError on any error."""
        request = urllib.request.Request(
            self.endpoint,
            data=json.dumps({"query": query, "variables": variables}).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/graphql-response+json, application/json;q=0.9",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
                body = _parse_body(response.read(), response.status)
        except urllib.error.HTTPError as error:  # 4xx/5xx: the body still says why
            with error:
                body = _parse_body(error.read(), error.code)
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise ApiError("NETWORK", f"cannot reach {self.endpoint}: {reason}") from None
        errors = body.get("errors")
        if errors:
            first = errors[0]
            code = (first.get("extensions") or {}).get("code", "UNKNOWN")
            raise ApiError(code, first.get("message", ""))
        data = body.get("data")
        if not isinstance(data, dict):
            raise ApiError("BAD_RESPONSE", "the answer has neither data nor errors")
        return data


def _parse_body(raw: bytes, status: int) -> JSON:
    """Decode a GraphQL response body; anything else becomes an ApiError naming the status."""
    try:
        body = json.loads(raw)
    except ValueError:
        snippet = raw[:200].decode(errors="replace").strip()
        raise ApiError(f"HTTP_{status}", snippet or f"HTTP {status} without a body") from None
    if not isinstance(body, dict):
        raise ApiError(f"HTTP_{status}", "the answer is not a JSON object")
    return body


def emit(event: str, **fields: Any) -> None:
    """Print one milestone as a JSON line; a harness reads these as they come."""
    print(json.dumps({"event": event, **fields}), flush=True)


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def submit_refund(api: Countersign, workflow: str, customer: str, amount: str) -> JSON:
    """Propose the refund; a fresh idempotency key makes every run a new request."""
    action = {
        "customer": customer,
        "amount": amount,
        "currency": "EUR",
        "reason": "Parcel arrived damaged",
    }
    payload = {
        "workflowKey": workflow,
        "idempotencyKey": str(uuid.uuid4()),
        "actionType": "refund.issue",
        "title": f"Refund {amount} EUR to customer {customer}",
        "action": action,
        "amount": amount,  # money is a decimal string, never a JSON number
        "currency": "EUR",
        "confidence": 0.82,
        "correlation": {"run": str(uuid.uuid4()), "step": "refund"},
    }
    result = api.execute(SUBMIT, {"input": payload})["submitAction"]
    return {**result["request"], "route": result["route"]}


def await_decision(api: Countersign, request_id: str, max_wait: float) -> JSON | None:
    """Wait until the request is no longer PENDING; None when max_wait ran out first.

    The first call always happens (it answers at once for an AUTO or REJECT route), so the
    caller gets the final action and decisions whichever way the request was routed.
    """
    deadline = time.monotonic() + max_wait
    while True:
        remaining = deadline - time.monotonic()
        timeout = max(1, min(WAIT_SECONDS, math.ceil(remaining)))
        request: JSON = api.execute(AWAIT, {"id": request_id, "timeout": timeout})["awaitDecision"]
        if request["status"] != "PENDING":
            return request
        if time.monotonic() >= deadline:
            return None
        note(f"{request_id}: still pending, waiting again")


def execute_refund(request: JSON) -> str:
    """Pretend to pay the refund as approved and return the payment system's reference.

    `finalAction` is what the reviewers approved, with their edits; the draft we submitted
    may differ (a smaller amount, say), so never pay from the draft.
    """
    final = request["finalAction"]
    note(f"paying {final.get('amount')} {final.get('currency')} to {final.get('customer')}")
    return f"refund-{request['id']}"


def report_execution(api: Countersign, request_id: str, external_ref: str) -> JSON:
    payload = {"requestId": request_id, "success": True, "externalRef": external_ref}
    reported: JSON = api.execute(REPORT, {"input": payload})["reportExecution"]
    return reported


def run(api: Countersign, args: argparse.Namespace) -> int:
    submitted = submit_refund(api, args.workflow, args.customer, args.amount)
    request_id = submitted["id"]
    emit("submitted", requestId=request_id, status=submitted["status"], route=submitted["route"])

    request = await_decision(api, request_id, args.max_wait)
    if request is None:
        emit("gave_up", requestId=request_id, status="PENDING", waitedSeconds=args.max_wait)
        return 3
    status = request["status"]
    emit(
        "decided",
        requestId=request_id,
        status=status,
        finalAction=request["finalAction"],
        correlation=request["correlation"],
        decisions=request["decisions"],
    )

    if status == "APPROVED":
        external_ref = execute_refund(request)
        reported = report_execution(api, request_id, external_ref)
        emit(
            "executed",
            requestId=request_id,
            status=reported["status"],
            externalRef=external_ref,
            amount=request["finalAction"].get("amount"),
        )
        return 0
    if status == "EXECUTED":  # the workflow's webhook already delivered it: nothing to do here
        emit("executed", requestId=request_id, status=status, externalRef=request["externalRef"], via="webhook")
        return 0
    if status in DONT_EXECUTE:
        emit("not_executed", requestId=request_id, status=status, reasonCode=request["reasonCode"])
        return 0
    emit("error", code="UNEXPECTED_STATUS", message=f"request {request_id} is {status}")
    return 1


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Submit a refund to Countersign and act on the decision.")
    parser.add_argument("--workflow", default="refunds", help="workflow key (default: refunds)")
    parser.add_argument("--amount", default="120.00", help='decimal string, e.g. "120.00" (default: 120.00)')
    parser.add_argument("--customer", default="c-1001", help="customer id (default: c-1001)")
    parser.add_argument(
        "--max-wait", type=float, default=600, help="seconds to wait for a decision before giving up (default: 600)"
    )
    return parser.parse_args(argv)


def fail_usage(message: str) -> NoReturn:
    emit("error", code="USAGE", message=message)
    sys.exit(2)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    token = os.environ.get("COUNTERSIGN_TOKEN", "").strip()
    if not token:
        fail_usage("set COUNTERSIGN_TOKEN to an agent's JWT or API key")
    if args.max_wait < 0:
        fail_usage("--max-wait must not be negative")
    api = Countersign(os.environ.get("COUNTERSIGN_URL") or DEFAULT_URL, token)
    try:
        return run(api, args)
    except ApiError as error:
        emit("error", code=error.code, message=error.message)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
