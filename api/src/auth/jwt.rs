//! JWT verification and minting. The algorithm is fixed by configuration, never read from the
//! token header; `exp` is required; `iss`/`aud` are checked when configured.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{Credential, Principal, normalize_roles, valid_identifier};
use crate::config::Settings;

/// The claims Countersign reads.
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

/// Verifies (and, with a shared secret, mints) tokens.
pub struct TokenVerifier {
    decoding: DecodingKey,
    encoding: Option<EncodingKey>,
    validation: Validation,
    algorithm: Algorithm,
    issuer: Option<String>,
    audience: Option<String>,
}

impl TokenVerifier {
    /// Builds the verifier from settings and the resolved secret.
    pub fn new(
        settings: &Settings,
        secret: Option<&SecretString>,
    ) -> anyhow::Result<TokenVerifier> {
        let algorithm = settings.algorithm()?;
        let (decoding, encoding) = match algorithm {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
                let secret = secret.ok_or_else(|| {
                    anyhow::anyhow!("no JWT secret: set COUNTERSIGN_JWT_SECRET (at least 32 bytes)")
                })?;
                let bytes = secret.expose_secret().as_bytes();
                if bytes.len() < 32 {
                    anyhow::bail!("COUNTERSIGN_JWT_SECRET must be at least 32 bytes");
                }
                (
                    DecodingKey::from_secret(bytes),
                    Some(EncodingKey::from_secret(bytes)),
                )
            }
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => (DecodingKey::from_rsa_pem(&read_pem(settings)?)?, None),
            Algorithm::ES256 | Algorithm::ES384 => {
                (DecodingKey::from_ec_pem(&read_pem(settings)?)?, None)
            }
            Algorithm::EdDSA => (DecodingKey::from_ed_pem(&read_pem(settings)?)?, None),
            other => anyhow::bail!("JWT algorithm {other:?} is not supported"),
        };
        let mut validation = Validation::new(algorithm);
        validation.set_required_spec_claims(&["exp", "sub"]);
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
            decoding,
            encoding,
            validation,
            algorithm,
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
        })
    }

    /// Verifies a token and returns the principal, or why it was refused.
    pub fn verify(&self, token: &str) -> Result<Principal, String> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| format!("invalid token: {e}"))?;
        let claims = data.claims;
        if !valid_identifier(&claims.tenant) {
            return Err("invalid token: tenant must be 1-128 characters of letters, digits, '_', '.', '@', ':' or '-'".into());
        }
        if !valid_identifier(&claims.sub) {
            return Err("invalid token: sub must be 1-128 characters of letters, digits, '_', '.', '@', ':' or '-'".into());
        }
        let roles = normalize_roles(claims.roles).map_err(|e| format!("invalid token: {e}"))?;
        Ok(Principal {
            subject: claims.sub,
            tenant: claims.tenant,
            roles,
            name: claims.name,
            credential: Credential::Jwt,
        })
    }

    /// Mints a token (shared-secret algorithms only): for development and scripts.
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
        let claims = Claims {
            sub: subject.to_owned(),
            tenant: tenant.to_owned(),
            roles,
            name: None,
            exp: (now + ttl).timestamp(),
            iat: Some(now.timestamp()),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        Ok(encode(&Header::new(self.algorithm), &claims, key)?)
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

/// `countersign.db` → `countersign.jwt-secret` in the same directory.
fn secret_file_for(db_file: &Path) -> PathBuf {
    let stem = db_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "countersign".into());
    db_file.with_file_name(format!("{stem}.jwt-secret"))
}

fn write_private(path: &Path, secret: &str) -> anyhow::Result<()> {
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

    #[test]
    fn es256_tokens_from_an_identity_provider_verify_with_the_public_key() {
        let verifier = TokenVerifier::new(&es256_settings(&std::env::temp_dir()), None).unwrap();
        let key = EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).unwrap();
        let token = encode(
            &Header::new(Algorithm::ES256),
            &claims(Some("https://idp.example"), Some("countersign"), 600),
            &key,
        )
        .unwrap();
        let p = verifier.verify(&token).unwrap();
        assert_eq!((p.subject.as_str(), p.tenant.as_str()), ("alice", "acme"));
        assert_eq!(p.roles, vec!["admin".to_string(), "auditor".to_string()]);

        // wrong issuer, wrong audience, expired: refused
        for c in [
            claims(Some("https://evil.example"), Some("countersign"), 600),
            claims(Some("https://idp.example"), Some("other"), 600),
            claims(Some("https://idp.example"), Some("countersign"), -3600),
        ] {
            let t = encode(&Header::new(Algorithm::ES256), &c, &key).unwrap();
            assert!(verifier.verify(&t).is_err());
        }
        // it cannot mint: the private key lives at the identity provider
        assert!(
            verifier
                .mint("acme", "bob", &[], chrono::Duration::hours(1))
                .is_err()
        );
    }

    #[test]
    fn the_algorithm_comes_from_configuration_not_the_token() {
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
        assert!(verifier.verify(&token).is_err());
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
            verifier.verify(&t).unwrap().roles,
            vec!["agent".to_string()]
        );
        let weak = Settings {
            jwt_secret: Some(SecretString::from("short")),
            ..Settings::default()
        };
        assert!(TokenVerifier::new(&weak, weak.jwt_secret.as_ref()).is_err());
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
