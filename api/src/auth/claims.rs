//! Finding a claim by a configured name: identity providers put the roles and the tenant in
//! claims of their own (`realm_access.roles`, `https://example.com/tenant`, `cognito:groups`).

use serde_json::{Map, Value};

/// The claim at `path`. The whole path is tried as a key first; then it is read as a dotted path
/// into nested objects, where at each level the longest key that fits wins. So a key containing
/// dots needs no escaping: `https://example.com/tenant` is one key, `realm_access.roles` is
/// `roles` inside `realm_access`, and `https://example.com.roles` finds `roles` inside the object
/// under `https://example.com`.
pub fn lookup<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(path) {
        return Some(value);
    }
    path.rmatch_indices('.')
        .find_map(|(dot, _)| match claims.get(&path[..dot]) {
            Some(Value::Object(inner)) => lookup(inner, &path[dot + 1..]),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn plain_keys_nested_paths_and_keys_with_dots() {
        let c = claims(json!({
            "roles": ["admin"],
            "realm_access": { "roles": ["agent"] },
            "https://countersign.dev/tenant": "acme",
            "https://countersign.dev": { "claims": { "roles": ["auditor"] } },
            "a": { "b": 1 },
            "a.b": 2,
        }));
        assert_eq!(lookup(&c, "roles"), Some(&json!(["admin"])));
        assert_eq!(lookup(&c, "realm_access.roles"), Some(&json!(["agent"])));
        assert_eq!(
            lookup(&c, "https://countersign.dev/tenant"),
            Some(&json!("acme"))
        );
        assert_eq!(
            lookup(&c, "https://countersign.dev.claims.roles"),
            Some(&json!(["auditor"]))
        );
        // the whole name wins over a path
        assert_eq!(lookup(&c, "a.b"), Some(&json!(2)));
        assert_eq!(lookup(&c, "realm_access.groups"), None);
        assert_eq!(lookup(&c, "roles.x"), None);
        assert_eq!(lookup(&c, "tenant"), None);
    }
}
