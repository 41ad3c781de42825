//! An identity provider's JSON Web Key Set (`COUNTERSIGN_JWT_JWKS_URL`): fetched at start, kept
//! in memory by key id, fetched again periodically and when a token names a key id we do not know
//! (at most once per minimum interval, so a flood of made-up `kid`s cannot hammer the provider).
//! Only keys that fit the configured algorithm are used; the token header never chooses it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

/// A key set larger than this is refused: real ones hold a handful of keys.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The cached key set and when it was last fetched.
pub struct KeySet {
    url: reqwest::Url,
    algorithm: Algorithm,
    client: reqwest::Client,
    refresh_every: Duration,
    min_refresh: Duration,
    cache: RwLock<Cache>,
    // One fetch at a time; tokens with an unknown kid wait for the fetch in flight.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Cache {
    /// Usable keys by `kid`.
    keys: HashMap<String, Arc<DecodingKey>>,
    /// Keys of the set that do not fit the configured algorithm, by `kid`, with the reason.
    unusable: HashMap<String, String>,
    /// True once a fetch succeeded.
    loaded: bool,
    /// The last fetch attempt, successful or not (the rate limit counts both).
    last_attempt: Option<Instant>,
}

impl KeySet {
    /// Checks the settings; fetches nothing yet (see [`KeySet::load`]).
    pub fn new(
        url: &str,
        algorithm: Algorithm,
        refresh_every: Duration,
        min_refresh: Duration,
    ) -> anyhow::Result<KeySet> {
        let url = reqwest::Url::parse(url)
            .map_err(|e| anyhow::anyhow!("COUNTERSIGN_JWT_JWKS_URL {url:?} is not a URL: {e}"))?;
        let loopback = url.host_str().is_some_and(|host| {
            host.eq_ignore_ascii_case("localhost")
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
        if !(url.scheme() == "https" || url.scheme() == "http" && loopback) {
            anyhow::bail!(
                "COUNTERSIGN_JWT_JWKS_URL must be an https URL (plain http only to a loopback address): whoever can change the key set in transit can sign tokens"
            );
        }
        if refresh_every.is_zero() {
            anyhow::bail!("COUNTERSIGN_JWT_JWKS_REFRESH_SECS must be at least 1");
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(KeySet {
            url,
            algorithm,
            client,
            refresh_every,
            min_refresh,
            cache: RwLock::default(),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// The first fetch, at start. A provider that cannot be reached is logged, not fatal: the
    /// refresher keeps trying and tokens are refused with a clear message meanwhile.
    pub async fn load(&self) {
        let _fetching = self.fetching.lock().await;
        self.fetch_now().await;
    }

    /// Fetches the set again every `refresh_every` (every `min_refresh`, at least 1 s, while it
    /// has never loaded), counted from the last fetch of any kind. Stops when the set is dropped.
    pub fn spawn_refresher(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(wait) = weak.upgrade().map(|set| set.next_refresh_in()) else {
                    return;
                };
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                    continue;
                }
                let Some(set) = weak.upgrade() else { return };
                let _fetching = set.fetching.lock().await;
                // A token with an unknown kid may have fetched it while we waited for the lock.
                if set.next_refresh_in().is_zero() {
                    set.fetch_now().await;
                }
            }
        })
    }

    fn next_refresh_in(&self) -> Duration {
        let cache = self.read();
        let every = if cache.loaded {
            self.refresh_every
        } else {
            self.min_refresh.clamp(
                Duration::from_secs(1),
                self.refresh_every.max(Duration::from_secs(1)),
            )
        };
        cache
            .last_attempt
            .map_or(Duration::ZERO, |at| every.saturating_sub(at.elapsed()))
    }

    /// The key named `kid`, fetching the set again first when it is unknown and the rate limit
    /// allows; otherwise why the token cannot be verified.
    pub async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, String> {
        if let Some(key) = self.cached(kid)? {
            return Ok(key);
        }
        if self.may_fetch() {
            let _fetching = self.fetching.lock().await;
            // A fetch that finished while we waited may have brought the key.
            if let Some(key) = self.cached(kid)? {
                return Ok(key);
            }
            if self.may_fetch() {
                self.fetch_now().await;
                if let Some(key) = self.cached(kid)? {
                    return Ok(key);
                }
            }
        }
        Err(self.unknown(kid))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Cache> {
        self.cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn cached(&self, kid: &str) -> Result<Option<Arc<DecodingKey>>, String> {
        let cache = self.read();
        let kid_shown = shown(kid);
        if let Some(key) = cache.keys.get(kid) {
            return Ok(Some(key.clone()));
        }
        match cache.unusable.get(kid) {
            Some(why) => Err(format!(
                "invalid token: key {kid_shown:?} of the identity provider's key set cannot verify {:?} tokens: {why}",
                self.algorithm
            )),
            None => Ok(None),
        }
    }

    fn may_fetch(&self) -> bool {
        self.read()
            .last_attempt
            .is_none_or(|at| at.elapsed() >= self.min_refresh)
    }

    fn unknown(&self, kid: &str) -> String {
        let cache = self.read();
        if !cache.loaded {
            return "cannot verify the token yet: the identity provider's key set \
                    (COUNTERSIGN_JWT_JWKS_URL) could not be loaded; the server keeps trying, so \
                    try again shortly (its log says why)"
                .into();
        }
        let ago = cache.last_attempt.map_or(0, |at| at.elapsed().as_secs());
        let kid = shown(kid);
        format!(
            "invalid token: unknown key id (kid) {kid:?}: the identity provider's key set (fetched {ago} s ago) has no such key; it is fetched again on an unknown kid at most every {} s",
            self.min_refresh.as_secs()
        )
    }

    /// Fetches and replaces the set; on failure the keys we had stay. Call with `fetching` held.
    async fn fetch_now(&self) {
        self.write().last_attempt = Some(Instant::now());
        match self.fetch().await {
            Ok((keys, unusable)) => {
                tracing::info!(
                    url = %self.url,
                    keys = keys.len(),
                    skipped = unusable.len(),
                    "loaded the identity provider's key set"
                );
                for (kid, why) in &unusable {
                    tracing::debug!(kid, why, "key set entry not used");
                }
                let mut cache = self.write();
                cache.keys = keys;
                cache.unusable = unusable;
                cache.loaded = true;
            }
            Err(e) => {
                tracing::warn!(url = %self.url, error = %e, "cannot load the identity provider's key set (COUNTERSIGN_JWT_JWKS_URL); will retry");
            }
        }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Cache> {
        self.cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn fetch(&self) -> anyhow::Result<(KeyMap, HashMap<String, String>)> {
        let mut resp = self
            .client
            .get(self.url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await?;
        if !resp.status().is_success() {
            anyhow::bail!("HTTP {}", resp.status());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                anyhow::bail!("the key set is larger than {MAX_BODY_BYTES} bytes");
            }
            body.extend_from_slice(&chunk);
        }
        let set: Value = serde_json::from_slice(&body)
            .map_err(|e| anyhow::anyhow!("the key set is not JSON: {e}"))?;
        let Some(entries) = set.get("keys").and_then(Value::as_array) else {
            anyhow::bail!("the key set has no \"keys\" array");
        };
        Ok(usable_keys(entries, self.algorithm))
    }
}

/// A `kid` as messages show it: the caller chose it, so it is cut short.
pub(super) fn shown(kid: &str) -> String {
    const MAX: usize = 64;
    match kid.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &kid[..cut]),
        None => kid.to_owned(),
    }
}

type KeyMap = HashMap<String, Arc<DecodingKey>>;

/// Splits a set's entries into keys that verify `algorithm` and the rest (with why). Entries
/// without a `kid` cannot be chosen and are left out.
fn usable_keys(entries: &[Value], algorithm: Algorithm) -> (KeyMap, HashMap<String, String>) {
    let mut keys = HashMap::new();
    let mut unusable = HashMap::new();
    for entry in entries {
        let Some(kid) = entry.get("kid").and_then(Value::as_str) else {
            continue;
        };
        let checked = serde_json::from_value::<Jwk>(entry.clone())
            .map_err(|e| format!("not a JWK this server reads: {e}"))
            .and_then(|jwk| {
                fits(&jwk, algorithm)?;
                DecodingKey::from_jwk(&jwk).map_err(|e| format!("not a valid key: {e}"))
            });
        match checked {
            Ok(key) => {
                keys.insert(kid.to_owned(), Arc::new(key));
            }
            Err(why) => {
                unusable.insert(kid.to_owned(), why);
            }
        }
    }
    // A kid that appears twice, once usable, is used; the usable entry is the one meant.
    unusable.retain(|kid, _| !keys.contains_key(kid));
    (keys, unusable)
}

/// Whether a JWK may verify `algorithm`: its `use`, `key_ops`, `alg` (when given) and key type
/// and curve must all fit.
fn fits(jwk: &Jwk, algorithm: Algorithm) -> Result<(), String> {
    if let Some(key_use) = &jwk.common.public_key_use
        && *key_use != PublicKeyUse::Signature
    {
        return Err("its \"use\" is not \"sig\"".into());
    }
    if let Some(ops) = &jwk.common.key_operations
        && !ops.contains(&KeyOperations::Verify)
    {
        return Err("its \"key_ops\" do not include \"verify\"".into());
    }
    if let Some(alg) = jwk.common.key_algorithm
        && alg != KeyAlgorithm::from(algorithm)
    {
        return Err(format!("it is published for {alg}"));
    }
    let fits = match (&jwk.algorithm, algorithm) {
        (
            AlgorithmParameters::RSA(_),
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512,
        ) => true,
        (AlgorithmParameters::EllipticCurve(p), Algorithm::ES256) => p.curve == EllipticCurve::P256,
        (AlgorithmParameters::EllipticCurve(p), Algorithm::ES384) => p.curve == EllipticCurve::P384,
        (AlgorithmParameters::OctetKeyPair(p), Algorithm::EdDSA) => {
            p.curve == EllipticCurve::Ed25519
        }
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(format!("it is a {} key", describe(&jwk.algorithm)))
    }
}

fn describe(params: &AlgorithmParameters) -> String {
    match params {
        AlgorithmParameters::RSA(_) => "RSA".into(),
        AlgorithmParameters::EllipticCurve(p) => format!("EC {:?}", p.curve),
        AlgorithmParameters::OctetKey(_) => "symmetric (oct)".into(),
        AlgorithmParameters::OctetKeyPair(p) => format!("OKP {:?}", p.curve),
        _ => "unknown kind of".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_keys_that_fit_the_configured_algorithm_are_used() {
        let ec = json!({ "kty": "EC", "crv": "P-256", "kid": "ec",
            "x": "5bMG3UtafXlfgyqpQQlN6v3PH-qCMiqRUC6PHjCvDPI",
            "y": "3z3RShvmLf9kF2TiZaGEtQyaglTy5bMVg-tCy_z5nnE" });
        let mut ec_for_rs = ec.clone();
        ec_for_rs["kid"] = json!("ec-rs");
        ec_for_rs["alg"] = json!("RS256");
        let mut ec_enc = ec.clone();
        ec_enc["kid"] = json!("ec-enc");
        ec_enc["use"] = json!("enc");
        let oct = json!({ "kty": "oct", "kid": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA" });
        let no_kid = json!({ "kty": "oct", "k": "c2VjcmV0" });
        let strange = json!({ "kty": "XYZ", "kid": "strange" });
        let (keys, unusable) = usable_keys(
            &[ec, ec_for_rs, ec_enc, oct, no_kid, strange],
            Algorithm::ES256,
        );
        assert_eq!(keys.keys().collect::<Vec<_>>(), vec!["ec"]);
        let mut refused: Vec<_> = unusable.keys().map(String::as_str).collect();
        refused.sort_unstable();
        assert_eq!(refused, ["ec-enc", "ec-rs", "oct", "strange"]);
        assert!(unusable["oct"].contains("symmetric"), "{}", unusable["oct"]);
        assert!(unusable["ec-rs"].contains("RS256"), "{}", unusable["ec-rs"]);
        // the same EC key cannot verify RS256
        let (keys, _) = usable_keys(
            &[json!({ "kty": "EC", "crv": "P-256", "kid": "ec",
            "x": "5bMG3UtafXlfgyqpQQlN6v3PH-qCMiqRUC6PHjCvDPI",
            "y": "3z3RShvmLf9kF2TiZaGEtQyaglTy5bMVg-tCy_z5nnE" })],
            Algorithm::RS256,
        );
        assert!(keys.is_empty());
    }

    #[test]
    fn a_long_kid_is_cut_short_in_messages() {
        assert_eq!(shown("k1"), "k1");
        let long = "x".repeat(100_000);
        assert_eq!(shown(&long).chars().count(), 65);
    }

    #[test]
    fn the_key_set_url_is_https_or_loopback_http() {
        let ok = |url: &str| {
            KeySet::new(
                url,
                Algorithm::RS256,
                Duration::from_secs(300),
                Duration::from_secs(30),
            )
            .is_ok()
        };
        assert!(ok("https://idp.example/.well-known/jwks.json"));
        assert!(ok("http://127.0.0.1:8081/jwks"));
        assert!(ok("http://localhost/jwks"));
        assert!(ok("http://[::1]:9000/jwks"));
        assert!(!ok("http://idp.example/jwks"));
        assert!(!ok("ftp://idp.example/jwks"));
        assert!(!ok("not a url"));
    }
}
