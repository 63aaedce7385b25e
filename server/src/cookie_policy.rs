//! The session cookie: its name and every attribute, chosen on purpose.
//!
//! - `HttpOnly`: page scripts (and so an XSS payload) cannot read the session id.
//! - `SameSite=Lax`: the browser withholds the cookie from cross-site POSTs and subrequests,
//!   yet a user who follows a link from another site arrives signed in. `Strict` would make
//!   them look signed out on that first visit. Every state change here is a POST.
//! - `Path=/` and no `Domain`: sent to this host only, never to sibling subdomains.
//! - `Secure` and the `__Host-` prefix when the public origin is https; the prefix makes the
//!   browser refuse the cookie unless it is Secure, host-only and on `/`. Over plain http
//!   (development on loopback) a Secure cookie would be dropped, so neither is used there.
//! - No `Max-Age`: the cookie ends with the browser session, unless the user asked to be
//!   kept signed in; then `Max-Age` runs to the session's end and moves with it. Either way
//!   the server enforces the session's idle and absolute limits on its side.

use tower_sessions::{cookie::SameSite, Expiry, SessionManagerLayer};
use url::Url;

use crate::session_store::SqlSessionStore;

/// The cookie's name over plain http (development).
pub const DEV_COOKIE_NAME: &str = "sesame";
/// The cookie's name over https.
pub const SECURE_COOKIE_NAME: &str = "__Host-sesame";

/// The name the cookie has for a server reached at `origin`.
pub fn cookie_name(origin: &Url) -> &'static str {
    if origin.scheme() == "https" {
        SECURE_COOKIE_NAME
    } else {
        DEV_COOKIE_NAME
    }
}

/// The tower-sessions layer that reads and sets the session cookie. How long the cookie
/// lives is decided per session (see `app::auth::session`).
pub fn session_layer(store: SqlSessionStore, origin: &Url) -> SessionManagerLayer<SqlSessionStore> {
    SessionManagerLayer::new(store)
        .with_name(cookie_name(origin))
        .with_secure(origin.scheme() == "https")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnSessionEnd)
}

/// Gives the cookie that deletes the session cookie the same attributes as the cookie itself.
///
/// tower-sessions 0.15.0 sends the removal cookie without `Secure`, `HttpOnly` and
/// `SameSite`. Browsers reject a `__Host-` cookie without `Secure`, so over https logout
/// would leave the (dead) cookie in the browser.
// TODO: remove once a tower-sessions release carries the upstream fix (merged after 0.15.0).
pub async fn complete_removal_cookie(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{header::SET_COOKIE, HeaderValue};
    use tower_sessions::cookie::Cookie;

    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(SET_COOKIE) {
        return response;
    }

    let completed: Vec<HeaderValue> = headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|value| {
            let removal =
                value.to_str().ok().and_then(|text| Cookie::parse(text.to_owned()).ok()).filter(
                    |cookie| {
                        [DEV_COOKIE_NAME, SECURE_COOKIE_NAME].contains(&cookie.name())
                            && cookie.max_age() == Some(time::Duration::ZERO)
                    },
                );
            match removal {
                Some(mut cookie) => {
                    cookie.set_secure(cookie.name() == SECURE_COOKIE_NAME);
                    cookie.set_http_only(true);
                    cookie.set_same_site(SameSite::Lax);
                    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| value.clone())
                }
                None => value.clone(),
            }
        })
        .collect();

    headers.remove(SET_COOKIE);
    for value in completed {
        headers.append(SET_COOKIE, value);
    }
    response
}

/// Largest `Cookie` header accepted. Browsers cap one cookie at 4 KiB; ours is 30 bytes.
pub const MAX_COOKIE_HEADER_BYTES: usize = 8 * 1024;

/// Refuses requests whose cookies are larger than any browser would legitimately send us.
pub async fn refuse_oversized_cookies(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::{http::header::COOKIE, http::StatusCode, response::IntoResponse};

    let size: usize = request.headers().get_all(COOKIE).iter().map(|value| value.len()).sum();
    if size > MAX_COOKIE_HEADER_BYTES {
        tracing::warn!(size, "request with oversized cookies refused");
        let message = "This request carries more than 8 KiB of cookies for this site. \
                       Clear this site's cookies in your browser and try again.\n";
        return (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, message).into_response();
    }
    next.run(request).await
}
