"""Schemathesis hooks for Countersign's CI run (loaded through SCHEMATHESIS_HOOKS).

One check: no response is a 5xx, and no GraphQL error carries `extensions.code = INTERNAL`.
Everything else a fuzzer provokes (BAD_USER_INPUT, NOT_FOUND, FORBIDDEN, CONFLICT, a 4xx from
the HTTP layer, ...) is the server refusing bad input, which is what it should do.

And a strategy for the `JSON` scalar (policy documents, actions, contexts): arbitrary JSON mixed
with documents shaped like real ones, so the fuzzer reaches the policy compiler and the
submission path instead of stopping at the first shape check.
"""

import json

import graphql
import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes


def to_node(value):
    """A GraphQL literal for a JSON value."""
    if value is None:
        return nodes.Null
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([to_node(v) for v in value])
    return nodes.Object(
        [
            graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=to_node(v))
            for k, v in value.items()
        ]
    )


KEYS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["0.30000000000000004", "20.00", "-1", "1e400", "USD", ""]),
)
ANY_JSON = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=5)
    ),
    max_leaves=12,
)
CEL = st.one_of(
    st.sampled_from(
        [
            "amount < 50.0",
            "amount >= 1000.0 && confidence > 0.5",
            "has(context.country) && context.country in ['XX']",
            "size(risk_flags) == 0",
            "action.amount == '20'",
            "true",
            "1",
            "amount +",
            "[1,2,3].all(x, x > 0)",
        ]
    ),
    st.text(max_size=60),
)
STEP = st.fixed_dictionaries(
    {"role": st.sampled_from(["support_agent", "finance", "admin", "", "x" * 70])},
    optional={"quorum": st.integers(min_value=-2, max_value=5)},
)
RULE = st.fixed_dictionaries(
    {
        "name": st.one_of(st.sampled_from(["small", "large", "r-1"]), st.text(max_size=20)),
        "when": CEL,
        "route": st.sampled_from(["AUTO", "HUMAN", "REJECT", "MAYBE"]),
    },
    optional={
        "steps": st.lists(STEP, max_size=3),
        "reasonCode": st.sampled_from(["sanctions", ""]),
    },
)
POLICY = st.fixed_dictionaries(
    {
        "rules": st.lists(RULE, max_size=4),
        "default": st.fixed_dictionaries(
            {"route": st.sampled_from(["HUMAN", "AUTO", "REJECT"])},
            optional={"steps": st.lists(STEP, min_size=1, max_size=2)},
        ),
    }
)
ACTION = st.fixed_dictionaries(
    {"order": st.text(max_size=10), "amount": st.sampled_from(["20", "200", "0.1"])},
    optional={"note": st.text(max_size=30)},
)

schemathesis.graphql.scalar(
    "JSON", st.one_of(POLICY, ACTION, ANY_JSON).map(to_node)
)


def _errors(body):
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list):
            return [e for e in errors if isinstance(e, dict)]
    return []


@schemathesis.check
def no_server_error_or_internal(ctx, response, case):
    """Fail on any 5xx status and on any error coded INTERNAL."""
    if response.status_code >= 500:
        raise AssertionError(
            f"HTTP {response.status_code}: {response.text[:2000]}"
        )
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None
    for error in _errors(body):
        extensions = error.get("extensions")
        if isinstance(extensions, dict) and extensions.get("code") == "INTERNAL":
            raise AssertionError(
                f"INTERNAL error: {json.dumps(error)[:2000]}"
            )
    return None
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=4).map(lambda d: nodes.String(str(d))),
        st.sampled_from(["20.00", "0.30000000000000004", "-5", "1e9", "abc", "", "NaN"]).map(nodes.String),
        st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
        st.integers(min_value=-(2**63), max_value=2**63).map(nodes.Int),
    ),
)
schemathesis.graphql.scalar(
    "Duration",
    st.one_of(
        st.sampled_from(["PT1H", "P1D", "PT30M", "30m", "1h", "7d", "P1000Y", "PT0S", "-PT1H", "x"]),
        st.text(max_size=12),
    ).map(nodes.String),
)
schemathesis.graphql.scalar(
    "DateTime",
    st.one_of(
        st.datetimes().map(lambda t: t.isoformat() + "Z"),
        st.sampled_from(["2026-11-01T00:00:00Z", "2999-01-01T00:00:00+02:00", "yesterday", ""]),
    ).map(nodes.String),
)
