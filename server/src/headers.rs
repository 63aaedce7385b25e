//! Security headers on every response, and the Content-Security-Policy of pages.
//!
//! - Pages get a policy with a fresh nonce per response: scripts run only if they carry it
//!   (the hydration script does) or come from this origin (the WASM bundle's loader); no
//!   `unsafe-inline`. `wasm-unsafe-eval` lets the bundle compile; nothing else is eval'd.
//! - Every other response (JSON, files) gets a policy that allows nothing at all.
//! - Nothing personal is cached: `no-store` on pages and `/api`; static files revalidate.
//! - `frame-ancestors 'none'` (and `X-Frame-Options` for old browsers) against
//!   clickjacking, `nosniff`, a `same-origin` referrer policy, and HSTS over https.

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};

/// Whether the public origin is https (then browsers are told to use nothing else).
#[derive(Clone, Copy, Debug)]
pub struct Https(pub bool);

/// The policy of a page whose inline scripts carry `nonce`.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// What a response that is not a page may do: nothing.
const LOCKED_DOWN: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

pub async fn secure(State(Https(https)): State<Https>, request: Request, next: Next) -> Response {
    let cacheable =
        request.uri().path().starts_with("/pkg/") || request.uri().path().starts_with("/favicon.");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();

    set_default(headers, header::CONTENT_SECURITY_POLICY, LOCKED_DOWN);
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(headers, HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    set(headers, header::CACHE_CONTROL, if cacheable { "no-cache" } else { "no-store" });
    if https {
        set(headers, header::STRICT_TRANSPORT_SECURITY, "max-age=63072000; includeSubDomains");
    }
    response
}

fn set(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    headers.insert(name, HeaderValue::from_static(value));
}

fn set_default(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    headers.entry(name).or_insert(HeaderValue::from_static(value));
}
