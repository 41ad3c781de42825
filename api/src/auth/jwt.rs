//! JWT verification and minting. The algorithm is fixed by configuration, never read from the
//! token header; `sub`, the tenant, the roles and `exp` are required; `nbf` is enforced;
//! `iss`/`aud` are checked when configured. `exp` and `nbf` allow 60 s of clock skew. Keys come
//! from a shared secret, a PEM public key, or an identity provider's key set (JWKS).

use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::claims::lookup;
use super::jwks::{KeySet, shown};
use super::{Credential, Principal, normalize_roles, valid_identifier};
use crate::config::{Settings, secret_file_for};

/// Seconds of clock skew allowed on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 60;

/// The claims Countersign reads, with the tenant and roles under their default names.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Principal id.
    pub sub: String,
    /// Tenant.
    pub tenant: String,
    /// Roles.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Audience.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

/// Where verification keys come from.
enum Keys {
    /// A shared secret or a PEM public key.
    Fixed(DecodingKey),
    /// An identity provider's key set, chosen by `kid`.
    Jwks(Arc<KeySet>),
}

/// Verifies (and, with a shared secret, mints) tokens.
pub struct TokenVerifier {
    keys: Keys,
    encoding: Option<EncodingKey>,
    validation: Validation,
    algorithm: Algorithm,
    issuer: Option<String>,
    audience: Option<String>,
    roles_claim: String,
    tenant_claim: String,
    /// What to tell a caller whose token's signature does not match.
    mismatch: String,
}

impl TokenVerifier {
    /// Builds the verifier from settings and the resolved secret. Nothing is fetched here: with
    /// a key set, [`TokenVerifier::start`] loads it.
    pub fn new(
        settings: &Settings,
        secret: Option<&SecretString>,
    ) -> anyhow::Result<TokenVerifier> {
        let algorithm = settings.algorithm()?;
        let hmac = matches!(
            algorithm,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
        );
        if settings.jwt_jwks_url.is_some() {
            if hmac {
                anyhow::bail!(
                    "COUNTERSIGN_JWT_JWKS_URL needs a public-key algorithm (COUNTERSIGN_JWT_ALGORITHM=RS256, ES256, …), not {algorithm:?}"
                );
            }
            if settings.jwt_public_key_file.is_some() {
                anyhow::bail!(
                    "set either COUNTERSIGN_JWT_JWKS_URL or COUNTERSIGN_JWT_PUBLIC_KEY_FILE, not both"
                );
            }
        }
        for (name, path) in [
            ("COUNTERSIGN_JWT_ROLES_CLAIM", &settings.jwt_roles_claim),
            ("COUNTERSIGN_JWT_TENANT_CLAIM", &settings.jwt_tenant_claim),
        ] {
            if path.trim().is_empty() {
                anyhow::bail!("{name} must name a claim");
            }
        }
        let (keys, encoding, mismatch) = match (algorithm, &settings.jwt_jwks_url) {
            (Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512, _) => {
                let secret = secret.ok_or_else(|| {
                    anyhow::anyhow!("no JWT secret: set COUNTERSIGN_JWT_SECRET (at least 32 bytes)")
                })?;
                let bytes = secret.expose_secret().as_bytes();
                if bytes.len() < 32 {
                    anyhow::bail!("COUNTERSIGN_JWT_SECRET must be at least 32 bytes");
                }
                (
                    Keys::Fixed(DecodingKey::from_secret(bytes)),
                    Some(EncodingKey::from_secret(bytes)),
                    secret_mismatch(settings),
                )
            }
            (_, Some(url)) => (
                Keys::Jwks(Arc::new(KeySet::new(
                    url,
                    algorithm,
                    Duration::from_secs(settings.jwt_jwks_refresh_secs),
                    Duration::from_secs(settings.jwt_jwks_min_refresh_secs),
                )?)),
                None,
                String::new(),
            ),
            (
                Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512,
                None,
            ) => (
                Keys::Fixed(DecodingKey::from_rsa_pem(&read_pem(settings)?)?),
                None,
                PEM_MISMATCH.to_owned(),
            ),
            (Algorithm::ES256 | Algorithm::ES384, None) => (
                Keys::Fixed(DecodingKey::from_ec_pem(&read_pem(settings)?)?),
                None,
                PEM_MISMATCH.to_owned(),
            ),
            (Algorithm::EdDSA, None) => (
                Keys::Fixed(DecodingKey::from_ed_pem(&read_pem(settings)?)?),
                None,
                PEM_MISMATCH.to_owned(),
            ),
            (other, None) => anyhow::bail!("JWT algorithm {other:?} is not supported"),
        };
        let mut validation = Validation::new(algorithm);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        match &settings.jwt_issuer {
            Some(iss) => {
                validation.set_issuer(&[iss]);
                validation.required_spec_claims.insert("iss".into());
            }
            None => validation.iss = None,
        }
        match &settings.jwt_audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                validation.required_spec_claims.insert("aud".into());
            }
            None => validation.validate_aud = false,
        }
        Ok(TokenVerifier {
            keys,
            encoding,
            validation,
            algorithm,
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
            roles_claim: settings.jwt_roles_claim.trim().to_owned(),
            tenant_claim: settings.jwt_tenant_claim.trim().to_owned(),
            mismatch,
        })
    }

    /// With a key set: fetches it once (a provider that cannot be reached is logged and retried,
    /// never fatal) and starts the periodic refresh, whose task is returned.
    pub async fn start(&self) -> Option<tokio::task::JoinHandle<()>> {
        match &self.keys {
            Keys::Fixed(_) => None,
            Keys::Jwks(set) => {
                set.load().await;
                Some(set.spawn_refresher())
            }
        }
    }

    /// Verifies a token and returns the principal, or why it was refused (for the caller: what
    /// is wrong and what to do).
    pub async fn verify(&self, token: &str) -> Result<Principal, String> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            "invalid token: not a JWT (three base64url parts separated by dots)".to_owned()
        })?;
        if header.alg != self.algorithm {
            return Err(format!(
                "invalid token: it is signed with {:?}, but this server accepts only {:?} tokens (COUNTERSIGN_JWT_ALGORITHM)",
                header.alg, self.algorithm
            ));
        }
        let decoded = match &self.keys {
            Keys::Fixed(key) => decode::<Map<String, Value>>(token, key, &self.validation)
                .map_err(|e| self.explain(e.kind(), token, None)),
            Keys::Jwks(set) => {
                let kid = header.kid.as_deref().ok_or_else(|| {
                    "invalid token: its header names no key (kid); this server verifies tokens with the identity provider's key set, so every token must name its key".to_owned()
                })?;
                let key = set.key(kid).await?;
                decode::<Map<String, Value>>(token, &key, &self.validation)
                    .map_err(|e| self.explain(e.kind(), token, Some(kid)))
            }
        }?;
        self.principal(&decoded.claims)
    }

    /// The principal from verified claims; the tenant and roles are read where configured.
    fn principal(&self, claims: &Map<String, Value>) -> Result<Principal, String> {
        let sub = claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or_else(|| missing("sub", None))?;
        let tenant = match lookup(claims, &self.tenant_claim) {
            None | Some(Value::Null) => {
                return Err(missing(
                    &self.tenant_claim,
                    Some("COUNTERSIGN_JWT_TENANT_CLAIM"),
                ));
            }
            Some(Value::String(t)) => t,
            Some(_) => {
                return Err(format!(
                    "invalid token: the claim `{}` (the tenant) must be a string",
                    self.tenant_claim
                ));
            }
        };
        let roles = match lookup(claims, &self.roles_claim) {
            None | Some(Value::Null) => {
                return Err(missing(
                    &self.roles_claim,
                    Some("COUNTERSIGN_JWT_ROLES_CLAIM"),
                ));
            }
            Some(Value::Array(items)) => items
                .iter()
                .map(|r| r.as_str().map(str::to_owned))
                .collect::<Option<Vec<String>>>(),
            Some(_) => None,
        }
        .ok_or_else(|| {
            format!(
                "invalid token: the claim `{}` (the roles) must be an array of strings",
                self.roles_claim
            )
        })?;
        if !valid_identifier(tenant) {
            return Err("invalid token: the tenant must be 1-128 characters of letters, digits, '_', '.', '@', ':' or '-'".into());
        }
        if !valid_identifier(sub) {
            return Err("invalid token: sub must be 1-128 characters of letters, digits, '_', '.', '@', ':' or '-'".into());
        }
        let roles = normalize_roles(roles).map_err(|e| format!("invalid token: {e}"))?;
        Ok(Principal {
            subject: sub.to_owned(),
            tenant: tenant.clone(),
            roles,
            name: claims
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned),
            credential: Credential::Jwt,
        })
    }

    /// Why `decode` refused a token, in words a person can act on.
    fn explain(&self, kind: &ErrorKind, token: &str, kid: Option<&str>) -> String {
        // Only reached after the signature matched (jsonwebtoken checks it before the claims),
        // so reading the times back from the payload is safe.
        let payload =
            || jsonwebtoken::dangerous::insecure_decode_claims::<Map<String, Value>>(token).ok();
        let time = |claim: &str| {
            payload()
                .and_then(|c| c.get(claim).and_then(Value::as_i64))
                .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
                .map_or_else(
                    || "?".to_owned(),
                    |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                )
        };
        match kind {
            ErrorKind::InvalidSignature => match kid.map(shown) {
                Some(kid) => format!(
                    "invalid token: the signature does not match key {kid:?} of the identity provider's key set (COUNTERSIGN_JWT_JWKS_URL); was it issued by another provider?"
                ),
                None => self.mismatch.clone(),
            },
            ErrorKind::ExpiredSignature => format!(
                "invalid token: it expired at {} (exp; {LEEWAY_SECS} s of clock skew are allowed); get a new token",
                time("exp")
            ),
            ErrorKind::ImmatureSignature => format!(
                "invalid token: it is not valid before {} (nbf; {LEEWAY_SECS} s of clock skew are allowed); check the clocks of the issuer and this server",
                time("nbf")
            ),
            // jsonwebtoken calls a claim of the wrong type missing; say which it is.
            ErrorKind::MissingRequiredClaim(claim)
                if payload().is_some_and(|c| c.get(claim).is_some_and(|v| !v.is_null())) =>
            {
                wrong_type(claim)
            }
            ErrorKind::MissingRequiredClaim(claim) => missing(claim, None),
            ErrorKind::InvalidClaimFormat(claim) => wrong_type(claim),
            ErrorKind::InvalidIssuer => "invalid token: its issuer (iss) is not the one this server trusts (COUNTERSIGN_JWT_ISSUER)".into(),
            ErrorKind::InvalidAudience => "invalid token: its audience (aud) is not this server (COUNTERSIGN_JWT_AUDIENCE)".into(),
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidEddsaKey | ErrorKind::InvalidKeyFormat => format!(
                "invalid token: it cannot be verified as a {:?} token with this server's key",
                self.algorithm
            ),
            _ => "invalid token: not a well-formed JWT (its header or claims are not base64url JSON)".into(),
        }
    }

    /// Mints a token (shared-secret algorithms only): for development and scripts. The tenant and
    /// roles are written under the configured claim names.
    pub fn mint(
        &self,
        tenant: &str,
        subject: &str,
        roles: &[String],
        ttl: chrono::Duration,
    ) -> anyhow::Result<String> {
        let key = self.encoding.as_ref().ok_or_else(|| {
            anyhow::anyhow!("tokens for {:?} come from your identity provider; countersign can only mint HS* tokens", self.algorithm)
        })?;
        if !valid_identifier(tenant) || !valid_identifier(subject) {
            anyhow::bail!(
                "tenant and sub must be 1-128 characters of letters, digits, '_', '.', '@', ':' or '-'"
            );
        }
        let roles = normalize_roles(roles.iter().cloned()).map_err(|e| anyhow::anyhow!(e))?;
        let now = chrono::Utc::now();
        // The whole configured name as one key: claim lookup tries that first.
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(subject));
        claims.insert(self.tenant_claim.clone(), json!(tenant));
        claims.insert(self.roles_claim.clone(), json!(roles));
        claims.insert("exp".into(), json!((now + ttl).timestamp()));
        claims.insert("iat".into(), json!(now.timestamp()));
        if let Some(iss) = &self.issuer {
            claims.insert("iss".into(), json!(iss));
        }
        if let Some(aud) = &self.audience {
            claims.insert("aud".into(), json!(aud));
        }
        Ok(encode(&Header::new(self.algorithm), &claims, key)?)
    }
}

const PEM_MISMATCH: &str = "invalid token: the signature does not match the public key in COUNTERSIGN_JWT_PUBLIC_KEY_FILE; was it issued by another identity provider, or signed with another key?";

/// A required claim is absent; `setting` names where its name is configured.
fn missing(claim: &str, setting: Option<&str>) -> String {
    match setting {
        Some(setting) => format!(
            "invalid token: the claim `{claim}` is missing (its name is configured by {setting})"
        ),
        None => format!("invalid token: the claim `{claim}` is missing"),
    }
}

/// A registered claim of the wrong JSON type.
fn wrong_type(claim: &str) -> String {
    match claim {
        "exp" | "nbf" | "iat" => format!(
            "invalid token: the claim `{claim}` must be a number of seconds since 1970-01-01T00:00:00Z"
        ),
        "aud" => "invalid token: the claim `aud` must be a string or an array of strings".into(),
        _ => format!("invalid token: the claim `{claim}` must be a string"),
    }
}

/// What a caller with a shared-secret token whose signature does not match should check.
fn secret_mismatch(settings: &Settings) -> String {
    const ASK: &str =
        "invalid token: the signature does not match; was it minted with another secret?";
    if settings.jwt_secret.is_some() {
        return format!(
            "{ASK} This server verifies with COUNTERSIGN_JWT_SECRET; `countersign token` signs with it when run with the same setting."
        );
    }
    match settings.sqlite_file() {
        Some(db) => {
            let name = |p: &Path| {
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            };
            format!(
                "{ASK} Without COUNTERSIGN_JWT_SECRET, `countersign token` reads the secret from {} next to the database {} (a relative database path is relative to the working directory): run it from the server's working directory with the server's DATABASE_URL.",
                name(&secret_file_for(&db)),
                name(&db)
            )
        }
        None => format!("{ASK} Check COUNTERSIGN_JWT_SECRET."),
    }
}

fn read_pem(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    let path = settings.jwt_public_key_file.as_ref().ok_or_else(|| {
        anyhow::anyhow!(
            "{} needs COUNTERSIGN_JWT_PUBLIC_KEY_FILE (a PEM public key)",
            settings.jwt_algorithm
        )
    })?;
    fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
}

/// The HS* secret: the configured one, else (for a SQLite file database) one generated once and
/// kept with 0600 permissions next to the database. Never a guessable default.
pub fn resolve_jwt_secret(settings: &Settings) -> anyhow::Result<Option<SecretString>> {
    if let Some(secret) = &settings.jwt_secret {
        return Ok(Some(secret.clone()));
    }
    if !matches!(
        settings.algorithm()?,
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
    ) {
        return Ok(None);
    }
    let Some(db_file) = settings.sqlite_file() else {
        anyhow::bail!(
            "no JWT secret configured: set COUNTERSIGN_JWT_SECRET (at least 32 random bytes), or COUNTERSIGN_JWT_ALGORITHM=RS256/ES256 with COUNTERSIGN_JWT_PUBLIC_KEY_FILE"
        );
    };
    let path = secret_file_for(&db_file);
    if let Ok(text) = fs::read_to_string(&path) {
        return Ok(Some(SecretString::from(text.trim().to_owned())));
    }
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    write_private(&path, &secret)?;
    // Read back: if another process won the race to create the file, its secret is the one.
    let secret = fs::read_to_string(&path)?.trim().to_owned();
    tracing::warn!(
        path = %path.display(),
        "no COUNTERSIGN_JWT_SECRET set: generated one and stored it next to the database; mint a token with `countersign token --tenant T --sub S --roles admin`"
    );
    Ok(Some(SecretString::from(secret)))
}

pub(crate) fn write_private(path: &Path, secret: &str) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(secret.as_bytes())?;
            file.write_all(b"\n")?;
            Ok(())
        }
        // Another process created it first: theirs wins, and both read the same file.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(anyhow::anyhow!("cannot write {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A throwaway P-256 key pair, generated for these tests only.
    const EC_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQglzrGfOVUPhHz35l+
tpfWBvXUUwX38QXwWlYYrcIo+JqhRANCAATlswbdS1p9eV+DKqlBCU3q/c8f6oIy
KpFQLo8eMK8M8t890Uob5i3/ZBdk4mWhhLUMmoJU8uWzFYPrQsv8+Z5x
-----END PRIVATE KEY-----
";
    const EC_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE5bMG3UtafXlfgyqpQQlN6v3PH+qC
MiqRUC6PHjCvDPLfPdFKG+Yt/2QXZOJloYS1DJqCVPLlsxWD60LL/PmecQ==
-----END PUBLIC KEY-----
";
    const SECRET: &str = "0123456789abcdef0123456789abcdef-hs256";

    fn claims(iss: Option<&str>, aud: Option<&str>, exp_in: i64) -> Claims {
        Claims {
            sub: "alice".into(),
            tenant: "acme".into(),
            roles: vec!["admin".into(), "auditor".into()],
            name: Some("Alice".into()),
            exp: chrono::Utc::now().timestamp() + exp_in,
            iat: None,
            iss: iss.map(Into::into),
            aud: aud.map(Into::into),
        }
    }

    fn es256_settings(dir: &Path) -> Settings {
        let key_file = dir.join(format!("ec-{}.pem", uuid::Uuid::now_v7()));
        fs::write(&key_file, EC_PUBLIC).unwrap();
        Settings {
            jwt_algorithm: "ES256".into(),
            jwt_public_key_file: Some(key_file),
            jwt_issuer: Some("https://idp.example".into()),
            jwt_audience: Some("countersign".into()),
            ..Settings::default()
        }
    }

    #[tokio::test]
    async fn es256_tokens_from_an_identity_provider_verify_with_the_public_key() {
        let verifier = TokenVerifier::new(&es256_settings(&std::env::temp_dir()), None).unwrap();
        let key = EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).unwrap();
        let token = encode(
            &Header::new(Algorithm::ES256),
            &claims(Some("https://idp.example"), Some("countersign"), 600),
            &key,
        )
        .unwrap();
        let p = verifier.verify(&token).await.unwrap();
        assert_eq!((p.subject.as_str(), p.tenant.as_str()), ("alice", "acme"));
        assert_eq!(p.roles, vec!["admin".to_string(), "auditor".to_string()]);

        // wrong issuer, wrong audience, expired: refused
        for c in [
            claims(Some("https://evil.example"), Some("countersign"), 600),
            claims(Some("https://idp.example"), Some("other"), 600),
            claims(Some("https://idp.example"), Some("countersign"), -3600),
        ] {
            let t = encode(&Header::new(Algorithm::ES256), &c, &key).unwrap();
            assert!(verifier.verify(&t).await.is_err());
        }
        // it cannot mint: the private key lives at the identity provider
        assert!(
            verifier
                .mint("acme", "bob", &[], chrono::Duration::hours(1))
                .is_err()
        );
    }

    #[tokio::test]
    async fn the_algorithm_comes_from_configuration_not_the_token() {
        let settings = Settings {
            jwt_secret: Some(SecretString::from(SECRET)),
            ..Settings::default()
        };
        let verifier = TokenVerifier::new(&settings, settings.jwt_secret.as_ref()).unwrap();
        // An ES256 token is refused by an HS256 verifier even though its header names ES256.
        let key = EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).unwrap();
        let token = encode(
            &Header::new(Algorithm::ES256),
            &claims(None, None, 600),
            &key,
        )
        .unwrap();
        assert!(verifier.verify(&token).await.is_err());
        // HS256 minted tokens round-trip; a short secret is refused at start.
        let t = verifier
            .mint(
                "acme",
                "bob",
                &["agent".into()],
                chrono::Duration::minutes(5),
            )
            .unwrap();
        assert_eq!(
            verifier.verify(&t).await.unwrap().roles,
            vec!["agent".to_string()]
        );
        let weak = Settings {
            jwt_secret: Some(SecretString::from("short")),
            ..Settings::default()
        };
        assert!(TokenVerifier::new(&weak, weak.jwt_secret.as_ref()).is_err());
    }

    #[test]
    fn a_signature_mismatch_says_where_the_secret_comes_from() {
        // the generated secret: the file name next to the database, never the server's path
        let generated = Settings {
            database_url: "sqlite:///srv/private/data/main.db?mode=rwc".into(),
            ..Settings::default()
        };
        let message = secret_mismatch(&generated);
        assert!(message.contains("minted with another secret?"), "{message}");
        assert!(
            message.contains("`countersign token` reads the secret from main.jwt-secret next to the database main.db"),
            "{message}"
        );
        assert!(message.contains("working directory"), "{message}");
        assert!(!message.contains("/srv/private"), "{message}");
        // the default database: countersign.jwt-secret beside countersign.db
        assert!(
            secret_mismatch(&Settings::default())
                .contains("countersign.jwt-secret next to the database countersign.db")
        );
        // a configured secret
        let configured = Settings {
            jwt_secret: Some(SecretString::from(SECRET)),
            ..Settings::default()
        };
        assert!(secret_mismatch(&configured).contains("COUNTERSIGN_JWT_SECRET"));
    }

    #[test]
    fn a_generated_secret_is_created_once_with_owner_only_permissions() {
        let dir = std::env::temp_dir().join(format!("cs-secret-{}", uuid::Uuid::now_v7()));
        fs::create_dir_all(&dir).unwrap();
        let settings = Settings {
            database_url: format!("sqlite://{}/countersign.db?mode=rwc", dir.display()),
            ..Settings::default()
        };
        let first = resolve_jwt_secret(&settings).unwrap().unwrap();
        let second = resolve_jwt_secret(&settings).unwrap().unwrap();
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert!(first.expose_secret().len() >= 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.join("countersign.jwt-secret"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Without a SQLite file there is no place for a secret: refuse rather than guess.
        let pg = Settings {
            database_url: "postgres://x@localhost/db".into(),
            ..Settings::default()
        };
        assert!(resolve_jwt_secret(&pg).is_err());
        fs::remove_dir_all(&dir).ok();
    }
}
