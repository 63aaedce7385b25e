//! Cross-site request forgery: a request that changes state must come from our own pages.
//!
//! Every request other than GET, HEAD and OPTIONS is checked, pages and server functions
//! alike, before the session is even read:
//! 1. `Sec-Fetch-Site` (sent by every current browser): only `same-origin`, or `none` (the
//!    user acting directly), passes; `same-site` does not, since a sibling subdomain is not
//!    this site.
//! 2. Without it, `Origin` must be our public origin (`null` never is).
//! 3. Without either, the `Referer`'s origin must be ours.
//! 4. With none of the three, the request does not come from a browser page (curl, a
//!    script): it carries no victim's ambient cookie, so it passes.
//!
//! SameSite=Lax already keeps the cookie off cross-site POSTs; this check also stops what
//! Lax does not cover: login CSRF (signing a victim into the attacker's account), and
//! requests from a same-site but foreign origin.

use std::sync::Arc;

use app::error::AppError;
use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, Method},
    middleware::Next,
    response::Response,
};
use url::{Origin, Url};

use crate::api::error_response;

/// Our public origin, as the browser sees it.
#[derive(Clone, Debug)]
pub struct PublicOrigin(pub Arc<Url>);

pub async fn refuse_cross_site(
    State(PublicOrigin(ours)): State<PublicOrigin>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || comes_from(request.headers(), &ours.origin()) {
        return next.run(request).await;
    }
    tracing::warn!(method = %request.method(), "cross-site request refused");
    error_response(&AppError::CrossSite {})
}

/// Whether the browser's own signals say the request comes from a page of `ours`. A signal
/// that is present but unreadable, or repeated, counts against the request: browsers send
/// each once and in ASCII.
fn comes_from(headers: &HeaderMap, ours: &Origin) -> bool {
    let only = |name: &str| -> Option<Result<&str, ()>> {
        let mut values = headers.get_all(name).iter();
        let first = values.next()?;
        if values.next().is_some() {
            return Some(Err(()));
        }
        Some(first.to_str().map_err(|_| ()))
    };
    let same_origin = |text: &str| Url::parse(text).is_ok_and(|url| url.origin() == *ours);

    if let Some(site) = only("sec-fetch-site") {
        return site.is_ok_and(|site| matches!(site, "same-origin" | "none"));
    }
    if let Some(origin) = only(header::ORIGIN.as_str()) {
        return origin.is_ok_and(same_origin);
    }
    if let Some(referer) = only(header::REFERER.as_str()) {
        return referer.is_ok_and(same_origin);
    }
    true
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn from(pairs: &[(&'static str, &'static str)]) -> bool {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        let ours = Url::parse("https://sesame.example.test").expect("a URL").origin();
        comes_from(&headers, &ours)
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(from(&[("sec-fetch-site", "same-origin")]));
        assert!(from(&[("sec-fetch-site", "none")]));
        assert!(!from(&[("sec-fetch-site", "same-site")]));
        assert!(!from(&[("sec-fetch-site", "cross-site")]));
        let lying_origin =
            [("sec-fetch-site", "cross-site"), ("origin", "https://sesame.example.test")];
        assert!(!from(&lying_origin));
    }

    #[test]
    fn origin_then_referer_decide_without_fetch_metadata() {
        assert!(from(&[("origin", "https://sesame.example.test")]));
        assert!(!from(&[("origin", "https://evil.example")]));
        assert!(!from(&[("origin", "http://sesame.example.test")]), "another scheme");
        assert!(!from(&[("origin", "null")]));
        assert!(from(&[("referer", "https://sesame.example.test/login?next=%2F")]));
        assert!(!from(&[("referer", "https://sesame.example.test.evil.example/")]));
    }

    #[test]
    fn unreadable_or_repeated_signals_count_against_the_request() {
        let mut headers = HeaderMap::new();
        headers.insert("origin", HeaderValue::from_bytes(b"\xff").expect("a header value"));
        let ours = Url::parse("https://sesame.example.test").expect("a URL").origin();
        assert!(!comes_from(&headers, &ours));

        let mut headers = HeaderMap::new();
        headers.append("sec-fetch-site", HeaderValue::from_static("same-origin"));
        headers.append("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!comes_from(&headers, &ours));
    }

    #[test]
    fn a_request_with_no_browser_signal_is_not_from_a_page() {
        assert!(from(&[]));
    }
}
