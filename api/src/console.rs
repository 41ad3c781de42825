//! The web console, compiled into the binary from `console/dist` (built from `console/` and
//! committed): `/assets/*` are content-hashed files served for a year, with the gzip or brotli
//! copy made at build time when the browser accepts it; any other page a browser asks for (`/`,
//! `/requests/…`, every client-side route) gets `index.html`, which is never cached. Nothing is
//! loaded from anywhere else: the content security policy says so to the browser.

use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../console/dist"]
struct Assets;

/// What the console's pages may load and connect to: this server only. Inline styles are
/// allowed for the chart library, which positions its elements with them.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

/// The media type of a console file, from its extension.
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The encodings the client accepts (`br`, `gzip`), by `Accept-Encoding` (q=0 refuses).
fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            name.eq_ignore_ascii_case(coding) && !refused
        })
}

/// The file at `path` (relative to `dist`), in the smallest encoding the client accepts.
fn file(path: &str, headers: &HeaderMap, cache: &'static str) -> Option<Response> {
    let plain = Assets::get(path)?;
    let (data, encoding) = [("br", ".br"), ("gzip", ".gz")]
        .iter()
        .filter(|(coding, _)| accepts(headers, coding))
        .find_map(|(coding, ext)| {
            Assets::get(&format!("{path}{ext}")).map(|f| (f.data, Some(*coding)))
        })
        .unwrap_or((plain.data, None));
    let mut response = Response::new(Body::from(data.into_owned()));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(path)),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(coding) = encoding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    Some(response)
}

/// `GET /assets/{*path}`: a built, content-hashed file.
pub async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    file(
        &format!("assets/{path}"),
        &headers,
        "public, max-age=31536000, immutable",
    )
    .unwrap_or_else(|| (StatusCode::NOT_FOUND, "no such console asset\n").into_response())
}

/// Every route the server does not know: the console's page for a browser (`GET` or `HEAD`
/// accepting HTML), a plain 404 for anything else, so API clients never get a page back.
pub async fn page(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let wants_html = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/html"));
    if !(method == Method::GET || method == Method::HEAD) || !wants_html {
        return (
            StatusCode::NOT_FOUND,
            format!("nothing at {} {}\n", method, uri.path()),
        )
            .into_response();
    }
    let Some(mut response) = file("index.html", &headers, "no-cache") else {
        return (StatusCode::NOT_FOUND, "the console is not built\n").into_response();
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// `GET /graphiql`: the console's own query page replaced GraphiQL (whose assets came from a CDN).
pub async fn graphiql() -> Redirect {
    Redirect::permanent("/query")
}

/// The embedded files and their sizes: (path, bytes) for every plain file, sorted.
#[cfg(test)]
fn inventory() -> Vec<(String, usize)> {
    let mut files: Vec<(String, usize)> = Assets::iter()
        .filter(|p| !p.ends_with(".gz") && !p.ends_with(".br"))
        .filter_map(|p| Assets::get(&p).map(|f| (p.to_string(), f.data.len())))
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate, br;q=0"),
        );
        assert!(accepts(&h, "gzip"));
        assert!(!accepts(&h, "br"));
        assert!(!accepts(&HeaderMap::new(), "gzip"));
    }

    #[test]
    fn the_console_is_embedded_with_its_compressed_copies() {
        let files = inventory();
        assert!(files.iter().any(|(p, _)| p == "index.html"), "{files:?}");
        for (path, _) in &files {
            assert!(Assets::get(&format!("{path}.gz")).is_some(), "{path}.gz");
            assert!(Assets::get(&format!("{path}.br")).is_some(), "{path}.br");
        }
    }
}
