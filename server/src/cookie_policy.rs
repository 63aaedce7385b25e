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

use app::error::AppError;
use axum::{
    extract::{Request, State},
    http::{
        header::{COOKIE, SET_COOKIE},
        HeaderValue,
    },
    middleware::Next,
    response::Response,
};
use tower_sessions::{
    cookie::{Cookie, SameSite},
    session::Id,
    Expiry, SessionManagerLayer,
};
use url::Url;

use crate::{api::error_response, session_store::Store};

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
pub fn session_layer(store: Store, origin: &Url) -> SessionManagerLayer<Store> {
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
pub async fn complete_removal_cookie(request: Request, next: Next) -> Response {
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
/// Largest sum of all request headers accepted.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Refuses requests whose headers or cookies are larger than any browser would send us,
/// and requests whose session cookie is not one we could have issued: two of them, or a
/// value that is not a session id. Those get a 400 that also deletes the cookie, so the
/// browser's next request is clean. (A well-formed id that is unknown or expired is simply
/// anonymous: that is what an old cookie looks like.)
///
/// A cookie whose name only *decodes* to ours (`%5F%5FHost-sesame`, `sesame%20`) is dropped
/// from the request before the session layer sees it: the cookie library would read it as
/// ours, so another site on the domain could otherwise plant one past the `__Host-` prefix.
pub async fn check_request_cookies(
    State(name): State<&'static str>,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let total: usize = headers.iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    let cookies: usize = headers.get_all(COOKIE).iter().map(|value| value.len()).sum();
    if total > MAX_HEADER_BYTES || cookies > MAX_COOKIE_HEADER_BYTES {
        tracing::warn!(total, cookies, "request with oversized headers refused");
        return error_response(&AppError::HeadersTooLarge {});
    }

    let pairs: Vec<(Vec<u8>, Vec<u8>)> = headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|value| value.as_bytes().split(|byte| *byte == b';'))
        .filter_map(|pair| {
            let at = pair.iter().position(|byte| *byte == b'=')?;
            Some((pair[..at].trim_ascii_start().to_vec(), pair[at + 1..].to_vec()))
        })
        .collect();
    let impostors: Vec<&[u8]> = pairs
        .iter()
        .filter(|(raw, _)| raw.as_slice() != name.as_bytes() && decodes_to(raw, name))
        .map(|(raw, _)| raw.as_slice())
        .collect();
    let ours: Vec<&[u8]> =
        pairs.iter().filter(|(raw, _)| raw == name.as_bytes()).map(|(_, v)| v.as_slice()).collect();

    let problem = match ours.as_slice() {
        [] => None,
        [value] if is_session_id(value.trim_ascii()) => None,
        [_] => Some("The session cookie is malformed"),
        _ => Some("The request carries two session cookies"),
    };
    if let Some(problem) = problem {
        tracing::warn!(problem, "request with a bad session cookie refused");
        let message = format!("{problem}; it has been removed. Reload the page to continue.");
        let mut response = error_response(&AppError::bad_request(message));
        append_removal(&mut response, removal_cookie(name).to_string());
        return response;
    }
    // Pairs the cookie library would misread are left out: impostors of our cookie, and
    // pairs that are not UTF-8 (the library skips a whole header line for one of those,
    // our cookie with it, so a planted one would sign the user out).
    let readable = |(raw, value): &&(Vec<u8>, Vec<u8>)| {
        std::str::from_utf8(raw).is_ok() && std::str::from_utf8(value).is_ok()
    };
    let kept: Vec<&(Vec<u8>, Vec<u8>)> = pairs
        .iter()
        .filter(|(raw, _)| raw.as_slice() == name.as_bytes() || !decodes_to(raw, name))
        .filter(readable)
        .collect();
    if kept.len() == pairs.len() {
        return next.run(request).await;
    }

    tracing::warn!("cookies that would be misread were left out of the request");
    let removals: Vec<String> =
        impostors.iter().map(|raw| removal_of_literal(&String::from_utf8_lossy(raw))).collect();
    let kept = kept
        .iter()
        .map(|(raw, value)| [raw.as_slice(), b"=", value.as_slice()].concat())
        .collect::<Vec<_>>()
        .join(&b"; "[..]);
    let headers = request.headers_mut();
    headers.remove(COOKIE);
    if let Ok(kept) = HeaderValue::from_bytes(&kept) {
        headers.insert(COOKIE, kept);
    }

    let mut response = next.run(request).await;
    for removal in removals {
        append_removal(&mut response, removal);
    }
    response
}

/// Whether a raw cookie name reads as `name` once percent-decoded and trimmed, the way the
/// cookie library reads names.
fn decodes_to(raw: &[u8], name: &str) -> bool {
    percent_encoding::percent_decode(raw).decode_utf8_lossy().trim() == name
}

/// A removal for a cookie stored under a literal (odd) name, on the root path.
fn removal_of_literal(raw_name: &str) -> String {
    format!("{raw_name}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
}

fn append_removal(response: &mut Response, cookie: String) {
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

fn is_session_id(value: &[u8]) -> bool {
    std::str::from_utf8(value).is_ok_and(|value| value.parse::<Id>().is_ok())
}

/// A cookie that deletes ours: same name, path and attributes, expired.
fn removal_cookie(name: &'static str) -> Cookie<'static> {
    let mut cookie = Cookie::build((name, ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(name == SECURE_COOKIE_NAME)
        .build();
    cookie.make_removal();
    cookie
}
