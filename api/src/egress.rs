//! Outbound HTTP: the one guarded client every URL that leaves the process goes through
//! (execution webhooks today). A destination must be a public address unless the operator's
//! allow-list (`COUNTERSIGN_WEBHOOK_ALLOWED_HOSTS`) names its host; the address is checked where
//! the connection is made (a resolver that resolves and filters, so DNS rebinding cannot swap
//! in a private address after validation), redirects are never followed, and failures are
//! reported as coarse kinds that say nothing about what answered on a private network.

use std::error::Error as StdError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use ipnet::{Ipv4Net, Ipv6Net};
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::error::{AppError, AppResult};

/// Longest outbound URL.
pub const MAX_URL_LEN: usize = 2048;

/// The setting that names hosts outbound requests may go to, for messages.
pub const ALLOWED_HOSTS_SETTING: &str = "COUNTERSIGN_WEBHOOK_ALLOWED_HOSTS";

/// Why an address is not a public destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// `0.0.0.0/8`, `::`.
    Unspecified,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// `169.254.0.0/16` (cloud metadata lives here), `fe80::/10`.
    LinkLocal,
    /// RFC 1918, CGNAT `100.64.0.0/10`, unique-local `fc00::/7`, site-local `fec0::/10`.
    Private,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255` and the rest of `240.0.0.0/4`.
    Reserved,
    /// Documentation and benchmarking ranges.
    Documentation,
    /// Protocol assignments, discard-only, translation, tunnelling and other special ranges.
    Special,
}

impl Blocked {
    /// A short name for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Blocked::Unspecified => "unspecified",
            Blocked::Loopback => "loopback",
            Blocked::LinkLocal => "link-local",
            Blocked::Private => "private",
            Blocked::Multicast => "multicast",
            Blocked::Reserved => "reserved/broadcast",
            Blocked::Documentation => "documentation",
            Blocked::Special => "special-purpose",
        }
    }
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

const fn v6(segments: [u16; 8], len: u8) -> Ipv6Net {
    let [a, b, c, d, e, f, g, h] = segments;
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), len)
}

/// IPv4 ranges that are not globally reachable (IANA special-purpose address registry).
const V4_BLOCKED: &[(Ipv4Net, Blocked)] = &[
    (v4(0, 0, 0, 0, 8), Blocked::Unspecified),
    (v4(10, 0, 0, 0, 8), Blocked::Private),
    (v4(100, 64, 0, 0, 10), Blocked::Private),
    (v4(127, 0, 0, 0, 8), Blocked::Loopback),
    (v4(169, 254, 0, 0, 16), Blocked::LinkLocal),
    (v4(172, 16, 0, 0, 12), Blocked::Private),
    (v4(192, 0, 0, 0, 24), Blocked::Special),
    (v4(192, 0, 2, 0, 24), Blocked::Documentation),
    (v4(192, 88, 99, 0, 24), Blocked::Special),
    (v4(192, 168, 0, 0, 16), Blocked::Private),
    (v4(198, 18, 0, 0, 15), Blocked::Documentation),
    (v4(198, 51, 100, 0, 24), Blocked::Documentation),
    (v4(203, 0, 113, 0, 24), Blocked::Documentation),
    (v4(224, 0, 0, 0, 4), Blocked::Multicast),
    (v4(240, 0, 0, 0, 4), Blocked::Reserved),
];

/// IPv6 ranges inside global unicast (`2000::/3`) that are not globally reachable.
const V6_BLOCKED_IN_GLOBAL: &[(Ipv6Net, Blocked)] = &[
    // Teredo, benchmarking, ORCHID and other protocol assignments.
    (v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), Blocked::Special),
    (
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32),
        Blocked::Documentation,
    ),
    (
        v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20),
        Blocked::Documentation,
    ),
];

const V6_GLOBAL_UNICAST: Ipv6Net = v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3);
const V6_MAPPED: Ipv6Net = v6([0, 0, 0, 0, 0, 0xffff, 0, 0], 96);
const V6_NAT64: Ipv6Net = v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96);
const V6_6TO4: Ipv6Net = v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16);
const V6_LINK_LOCAL: Ipv6Net = v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10);
const V6_SITE_LOCAL: Ipv6Net = v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10);
const V6_UNIQUE_LOCAL: Ipv6Net = v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7);
const V6_MULTICAST: Ipv6Net = v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8);

/// `Ok` when `ip` is a public (globally reachable) address; otherwise why not. IPv6 forms that
/// carry an IPv4 address (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4
/// `2002:aabb:ccdd::`) are judged by that address.
pub fn check_public(ip: IpAddr) -> Result<(), Blocked> {
    match ip {
        IpAddr::V4(ip) => check_v4(ip),
        IpAddr::V6(ip) => check_v6(ip),
    }
}

fn check_v4(ip: Ipv4Addr) -> Result<(), Blocked> {
    match V4_BLOCKED.iter().find(|(net, _)| net.contains(&ip)) {
        Some((_, why)) => Err(*why),
        None => Ok(()),
    }
}

fn embedded_v4(bits: u128, shift: u32) -> Ipv4Addr {
    // Truncation keeps exactly the 32 bits that hold the IPv4 address.
    Ipv4Addr::from((bits >> shift) as u32)
}

fn check_v6(ip: Ipv6Addr) -> Result<(), Blocked> {
    let bits = u128::from(ip);
    if ip.is_unspecified() {
        return Err(Blocked::Unspecified);
    }
    if ip.is_loopback() {
        return Err(Blocked::Loopback);
    }
    if V6_MAPPED.contains(&ip) || V6_NAT64.contains(&ip) {
        return check_v4(embedded_v4(bits, 0));
    }
    if V6_6TO4.contains(&ip) {
        return check_v4(embedded_v4(bits, 80));
    }
    if V6_GLOBAL_UNICAST.contains(&ip) {
        return match V6_BLOCKED_IN_GLOBAL
            .iter()
            .find(|(net, _)| net.contains(&ip))
        {
            Some((_, why)) => Err(*why),
            None => Ok(()),
        };
    }
    Err(if V6_LINK_LOCAL.contains(&ip) {
        Blocked::LinkLocal
    } else if V6_UNIQUE_LOCAL.contains(&ip) || V6_SITE_LOCAL.contains(&ip) {
        Blocked::Private
    } else if V6_MULTICAST.contains(&ip) {
        Blocked::Multicast
    } else {
        // IPv4-compatible (`::a.b.c.d`, deprecated), local-use NAT64, discard-only, SRv6 and
        // everything else outside global unicast.
        Blocked::Special
    })
}

/// Where outbound requests may go: any public address, and the hosts the operator names
/// (which may then resolve to private addresses: on-premises targets, tests).
#[derive(Debug, Clone, Default)]
pub struct EgressPolicy {
    /// Listed hosts, lower case, IPv6 without brackets; empty when no list is configured.
    listed: Vec<String>,
}

fn bare_host(host: &str) -> String {
    host.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

impl EgressPolicy {
    /// From the comma-separated allow-list; unset or blank lists no host.
    pub fn new(allowed_hosts: Option<&str>) -> EgressPolicy {
        let listed = allowed_hosts
            .unwrap_or_default()
            .split(',')
            .map(bare_host)
            .filter(|h| !h.is_empty())
            .collect();
        EgressPolicy { listed }
    }

    /// True when an allow-list is configured: then only its hosts are destinations.
    pub fn restricts_hosts(&self) -> bool {
        !self.listed.is_empty()
    }

    /// True when the allow-list names `host` (case-insensitive, brackets and a final dot
    /// ignored).
    pub fn lists(&self, host: &str) -> bool {
        let host = bare_host(host);
        self.listed.contains(&host)
    }

    /// Why `url` may not be requested before any name is resolved: a host outside a configured
    /// allow-list, or an IP literal that is not public and not listed.
    fn refuse(&self, url: &Url) -> Option<Refusal> {
        let host = url.host_str()?;
        if self.lists(host) {
            return None;
        }
        if self.restricts_hosts() {
            return Some(Refusal::NotListed);
        }
        // The URL parser has already turned every IPv4 spelling (`2130706433`, `0x7f.1`) into
        // dotted form, so a host that parses as an address is an IP literal.
        let ip: IpAddr = bare_host(host).parse().ok()?;
        check_public(ip).err().map(Refusal::Address)
    }

    /// Parses an outbound URL given by a user: http(s) only, a host, no credentials, at most
    /// 2048 characters, a host from the allow-list when one is configured, and not an IP literal
    /// of a non-public address unless listed. Names are checked again where they resolve.
    pub fn parse_url(&self, text: &str, path: &str) -> AppResult<Url> {
        if text.len() > MAX_URL_LEN {
            return Err(AppError::bad_input(
                path,
                format!("must be at most {MAX_URL_LEN} characters"),
            ));
        }
        let url = Url::parse(text.trim())
            .map_err(|e| AppError::bad_input(path, format!("is not a valid URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(AppError::bad_input(path, "must be an http or https URL"));
        }
        let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
            return Err(AppError::bad_input(path, "must name a host"));
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(AppError::bad_input(
                path,
                "must not carry credentials; authenticate receivers by the signature",
            ));
        }
        match self.refuse(&url) {
            None => Ok(url),
            Some(Refusal::NotListed) => Err(AppError::bad_input(
                path,
                format!("host {host:?} is not in {ALLOWED_HOSTS_SETTING}"),
            )),
            Some(Refusal::Address(why)) => Err(AppError::bad_input(
                path,
                format!(
                    "points at a {} address; outbound requests go to public addresses only, \
                     unless {ALLOWED_HOSTS_SETTING} names the host",
                    why.describe()
                ),
            )),
        }
    }

    /// The guarded client: `timeout` per request, no redirects, no proxy, and a resolver that
    /// connects only to addresses this policy allows.
    pub fn client(&self, timeout: Duration) -> anyhow::Result<EgressClient> {
        let policy = Arc::new(self.clone());
        let inner = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            // A redirect could lead anywhere; a 3xx is an answer like any other non-2xx.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve the destination itself, past the resolver's check.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                policy: policy.clone(),
            }))
            .user_agent(concat!("Countersign/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("cannot build the outbound HTTP client")?;
        Ok(EgressClient { inner, policy })
    }
}

#[derive(Debug, Clone, Copy)]
enum Refusal {
    NotListed,
    Address(Blocked),
}

/// The resolver of the guarded client: resolves with the system resolver, then keeps only the
/// addresses the policy allows, so the address connected to is the one checked.
struct GuardedResolver {
    policy: Arc<EgressPolicy>,
}

/// A destination refused by the egress policy (the resolver's error).
#[derive(Debug)]
pub struct AddressNotAllowed;

impl std::fmt::Display for AddressNotAllowed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("destination address not allowed (private, loopback, link-local or reserved)")
    }
}

impl StdError for AddressNotAllowed {}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let listed = policy.lists(&host);
            if !listed && policy.restricts_hosts() {
                return Err(Box::new(AddressNotAllowed) as _);
            }
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|addr| listed || check_public(addr.ip()).is_ok())
                .collect();
            if allowed.is_empty() {
                tracing::warn!(host = %host, "outbound request refused: no allowed address");
                return Err(Box::new(AddressNotAllowed) as _);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The HTTP client every outbound request uses (see the module comment).
#[derive(Clone)]
pub struct EgressClient {
    inner: reqwest::Client,
    policy: Arc<EgressPolicy>,
}

impl std::fmt::Debug for EgressClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EgressClient")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl EgressClient {
    /// The policy the client enforces.
    pub fn policy(&self) -> &EgressPolicy {
        &self.policy
    }

    /// A POST to `url`, refused before anything is sent when the URL's host is not allowed (an
    /// IP literal never reaches the resolver, so it is checked here).
    pub fn post(&self, url: Url) -> Result<reqwest::RequestBuilder, FailureKind> {
        if self.policy.refuse(&url).is_some() {
            return Err(FailureKind::AddressNotAllowed);
        }
        Ok(self.inner.post(url))
    }
}

/// Why an outbound request got no usable answer, coarse on purpose: recorded where tenants can
/// read it, it must not tell a closed port from an open one on a network they cannot reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The destination is not a public address and the allow-list does not name it.
    AddressNotAllowed,
    /// No answer in time.
    Timeout,
    /// No connection (refused, unreachable, or the name did not resolve).
    Connect,
    /// The answer was a redirect, which is not followed.
    Redirect,
    /// Anything else that went wrong on the way.
    Request,
}

impl FailureKind {
    /// The stable name recorded in the outbox and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::AddressNotAllowed => "address_not_allowed",
            FailureKind::Timeout => "timeout",
            FailureKind::Connect => "connect",
            FailureKind::Redirect => "redirect_not_followed",
            FailureKind::Request => "request",
        }
    }

    /// The kind of a failed request.
    pub fn of(error: &reqwest::Error) -> FailureKind {
        let mut source: Option<&(dyn StdError + 'static)> = Some(error);
        while let Some(e) = source {
            if e.is::<AddressNotAllowed>() {
                return FailureKind::AddressNotAllowed;
            }
            source = e.source();
        }
        if error.is_timeout() {
            FailureKind::Timeout
        } else if error.is_connect() {
            FailureKind::Connect
        } else {
            FailureKind::Request
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn public_addresses_pass() {
        for text in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",  // just below CGNAT
            "100.128.0.0",     // just above CGNAT
            "172.15.255.255",  // just below 172.16/12
            "172.32.0.0",      // just above
            "192.169.0.1",     // beside 192.168/16
            "169.253.255.255", // beside link-local
            "223.255.255.255", // below multicast
            "2606:4700:4700::1111",
            "2a00:1450:4001:82b::200e",
            "::ffff:8.8.8.8",     // mapped public
            "64:ff9b::808:808",   // NAT64 of 8.8.8.8
            "2002:808:808::1",    // 6to4 of 8.8.8.8
            "2001:4860:4860::88", // Google, outside 2001::/23
        ] {
            assert_eq!(check_public(ip(text)), Ok(()), "{text}");
        }
    }

    #[test]
    fn non_public_addresses_are_refused_with_their_reason() {
        use Blocked::*;
        for (text, why) in [
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("169.254.169.254", LinkLocal), // cloud metadata
            ("169.254.0.1", LinkLocal),
            ("10.0.0.1", Private),
            ("10.255.255.255", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("100.64.0.1", Private), // CGNAT
            ("100.127.255.255", Private),
            ("192.0.0.8", Special),
            ("192.88.99.1", Special),
            ("192.0.2.1", Documentation),
            ("198.51.100.7", Documentation),
            ("203.0.113.9", Documentation),
            ("198.18.0.1", Documentation),
            ("198.19.255.255", Documentation),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("240.0.0.1", Reserved),
            ("255.255.255.255", Reserved), // broadcast
            ("::", Unspecified),
            ("::1", Loopback),
            ("fe80::1", LinkLocal),
            ("febf::1", LinkLocal),
            ("fc00::1", Private),
            ("fd12:3456::1", Private),
            ("fec0::1", Private),
            ("ff02::1", Multicast),
            ("ff0e::1", Multicast),
            ("::ffff:127.0.0.1", Loopback), // IPv4-mapped
            ("::ffff:169.254.169.254", LinkLocal),
            ("::ffff:10.0.0.1", Private),
            ("::ffff:0.0.0.0", Unspecified),
            ("::127.0.0.1", Special), // IPv4-compatible (deprecated)
            ("::8.8.8.8", Special),
            ("64:ff9b::7f00:1", Loopback),     // NAT64 of 127.0.0.1
            ("64:ff9b::a9fe:a9fe", LinkLocal), // NAT64 of 169.254.169.254
            ("64:ff9b::c0a8:101", Private),
            ("64:ff9b:1::1", Special),    // local-use NAT64
            ("2002:7f00:1::1", Loopback), // 6to4 of 127.0.0.1
            ("2002:a00:1::", Private),
            ("2001::1", Special),   // Teredo
            ("2001:2::1", Special), // benchmarking
            ("2001:db8::1", Documentation),
            ("3fff::1", Documentation),
            ("100::1", Special), // discard-only
            ("5f00::1", Special),
        ] {
            assert_eq!(check_public(ip(text)), Err(why), "{text}");
        }
    }

    #[test]
    fn ip_literal_urls_are_refused_unless_listed() {
        let open = EgressPolicy::new(None);
        let refused = |p: &EgressPolicy, u: &str| p.parse_url(u, "input.url").is_err();
        for url in [
            "http://127.0.0.1:9000/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/x",
            "http://[::ffff:127.0.0.1]:80/x",
            "http://[::1]/x",
            "http://[fe80::1]/x",
            "http://0.0.0.0/x",
            "http://2130706433/x", // 127.0.0.1 as a number
            "http://0x7f.1/x",     // 127.0.0.1 in hex
            "http://127.1/x",
            "http://[64:ff9b::a9fe:a9fe]/x",
        ] {
            assert!(refused(&open, url), "{url}");
            let err = open.parse_url(url, "input.url").unwrap_err();
            assert_eq!(err.code(), "BAD_USER_INPUT");
            assert!(err.to_string().contains(ALLOWED_HOSTS_SETTING), "{err}");
        }
        for url in [
            "https://hooks.example.com/x",
            "http://8.8.8.8/x",
            "http://[2606:4700:4700::1111]/x",
            // Names are checked where they resolve.
            "http://localhost:9000/x",
        ] {
            assert!(!refused(&open, url), "{url}");
        }
        let listed = EgressPolicy::new(Some(" 127.0.0.1, [::1] ,Hooks.Example.com., localhost"));
        assert!(listed.restricts_hosts());
        for url in [
            "http://127.0.0.1:9000/x",
            "http://[::1]:9000/x",
            "https://hooks.example.com/x",
            "https://HOOKS.EXAMPLE.COM./x",
            "http://localhost/x",
        ] {
            assert!(!refused(&listed, url), "{url}");
        }
        for url in [
            "http://127.0.0.2/x",
            "http://8.8.8.8/x",
            "https://hooks.example.com.evil.net/x",
            "http://[::ffff:127.0.0.1]/x",
        ] {
            assert!(refused(&listed, url), "{url}");
        }
        assert!(!EgressPolicy::new(Some("  , ")).restricts_hosts());
    }

    #[tokio::test]
    async fn the_resolver_drops_non_public_addresses_of_unlisted_names() {
        let open = GuardedResolver {
            policy: Arc::new(EgressPolicy::new(None)),
        };
        let err = open
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .unwrap();
        assert!(err.is::<AddressNotAllowed>(), "{err}");
        let listed = GuardedResolver {
            policy: Arc::new(EgressPolicy::new(Some("localhost"))),
        };
        let addrs: Vec<SocketAddr> = listed
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
        assert!(!addrs.is_empty());
        // With a list, names outside it are not even looked up.
        let other = listed
            .resolve("example.com".parse().unwrap())
            .await
            .err()
            .unwrap();
        assert!(other.is::<AddressNotAllowed>());
    }
}
