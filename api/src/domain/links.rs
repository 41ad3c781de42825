//! Decision links in notification emails. A link is bound to one request, its version, one step,
//! one reviewer (a directory entry) and one decision; it expires (with the step's due time, or
//! 72 hours) and works once (`used_links`, written in the deciding transaction). It is signed
//! with the server's link key (HMAC-SHA256): `<base64url claims>.<base64url MAC>`.
//!
//! Opening a link never decides: it shows a confirmation page, and only the POST from that page
//! decides (see `pages`). Mail scanners that fetch every link therefore approve nothing.

use std::fs;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use countersign_entity::enums::DecisionKind;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::config::Settings;

/// How long a link lives when its step has no due time.
pub const DEFAULT_LIFETIME: Duration = Duration::hours(72);

/// What a link says, signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkClaims {
    /// The link's own id: recorded when used, so it works once.
    pub id: Uuid,
    /// Tenant.
    pub tenant: String,
    /// Request.
    pub request: Uuid,
    /// The request's version when the link was made.
    pub version: i32,
    /// The step it decides.
    pub step: i32,
    /// The directory entry that may use it.
    pub subject: String,
    /// APPROVE or REJECT.
    pub decision: DecisionKind,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
}

impl LinkClaims {
    /// When it stops working.
    pub fn expires_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.exp, 0).unwrap_or_default()
    }
}

/// Why a link was refused before anything was looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError {
    /// Not a link this server made (or altered on the way).
    Invalid,
    /// Past its expiry.
    Expired(DateTime<Utc>),
}

/// Signs and checks links.
#[derive(Clone)]
pub struct LinkSigner {
    key: SecretString,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(<redacted>)")
    }
}

type HmacSha256 = Hmac<Sha256>;

impl LinkSigner {
    /// A signer with `key` (at least 32 bytes).
    pub fn new(key: SecretString) -> anyhow::Result<LinkSigner> {
        if key.expose_secret().len() < 32 {
            anyhow::bail!("COUNTERSIGN_LINK_SIGNING_KEY must be at least 32 bytes");
        }
        Ok(LinkSigner { key })
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes a key of any length.
        #[allow(clippy::expect_used)]
        HmacSha256::new_from_slice(self.key.expose_secret().as_bytes()).expect("any key length")
    }

    /// The token for `claims`.
    pub fn sign(&self, claims: &LinkClaims) -> String {
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        let tag = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{body}.{tag}")
    }

    /// The claims of a token this server signed, if it has not expired at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<LinkClaims, LinkError> {
        let (body, tag) = token.split_once('.').ok_or(LinkError::Invalid)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| LinkError::Invalid)?;
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        mac.verify_slice(&tag).map_err(|_| LinkError::Invalid)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| LinkError::Invalid)?;
        let claims: LinkClaims = serde_json::from_slice(&bytes).map_err(|_| LinkError::Invalid)?;
        if claims.expires_at() <= now {
            return Err(LinkError::Expired(claims.expires_at()));
        }
        Ok(claims)
    }
}

/// The file next to a SQLite database that holds its generated link key.
pub fn key_file_for(db_file: &Path) -> std::path::PathBuf {
    let stem = db_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "countersign".into());
    db_file.with_file_name(format!("{stem}.link-key"))
}

/// The link key: `COUNTERSIGN_LINK_SIGNING_KEY`, or the one kept next to a SQLite database
/// (generated on first use); none on PostgreSQL without the setting.
pub fn resolve_key(settings: &Settings) -> anyhow::Result<Option<SecretString>> {
    if let Some(key) = &settings.link_signing_key {
        return Ok(Some(key.clone()));
    }
    let Some(db_file) = settings.sqlite_file() else {
        return Ok(None);
    };
    let path = key_file_for(&db_file);
    if let Ok(text) = fs::read_to_string(&path) {
        return Ok(Some(SecretString::from(text.trim().to_owned())));
    }
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    crate::auth::write_private(&path, &URL_SAFE_NO_PAD.encode(bytes))?;
    // Read back: if another process won the race to create the file, its key is the one.
    Ok(Some(SecretString::from(
        fs::read_to_string(&path)?.trim().to_owned(),
    )))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn claims(exp: i64) -> LinkClaims {
        LinkClaims {
            id: Uuid::now_v7(),
            tenant: "acme".into(),
            request: Uuid::now_v7(),
            version: 3,
            step: 0,
            subject: "rita".into(),
            decision: DecisionKind::Approve,
            exp,
        }
    }

    #[test]
    fn a_signed_link_verifies_and_any_change_breaks_it() {
        let signer = LinkSigner::new(SecretString::from("k".repeat(32))).unwrap();
        let now = Utc::now();
        let c = claims(now.timestamp() + 60);
        let token = signer.sign(&c);
        assert_eq!(signer.verify(&token, now), Ok(c.clone()));

        // Another decision, another reviewer: a new body the MAC does not cover.
        let mut forged = c.clone();
        forged.decision = DecisionKind::Reject;
        let forged_body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        let tag = token.split_once('.').unwrap().1;
        assert_eq!(
            signer.verify(&format!("{forged_body}.{tag}"), now),
            Err(LinkError::Invalid)
        );
        let other = LinkSigner::new(SecretString::from("x".repeat(32))).unwrap();
        assert_eq!(other.verify(&token, now), Err(LinkError::Invalid));
        assert_eq!(signer.verify("garbage", now), Err(LinkError::Invalid));

        let late = now + Duration::seconds(61);
        assert!(matches!(
            signer.verify(&token, late),
            Err(LinkError::Expired(_))
        ));
    }
}
