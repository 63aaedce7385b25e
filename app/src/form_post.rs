//! Server functions answering plain HTML forms, for browsers without JavaScript.
//!
//! A form post asks for `text/html`; a call from the WASM client asks for data. Only the
//! former gets a redirect to the next page: the client navigates by itself, and a real
//! redirect would make its `fetch` follow it and read a page instead of the answer.

use http::{header, request::Parts, HeaderValue, StatusCode};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// Whether the current request is a plain form submission.
pub fn is_plain_form_post() -> bool {
    use_context::<Parts>()
        .and_then(|parts| parts.headers.get(header::ACCEPT)?.to_str().ok().map(str::to_owned))
        .is_some_and(|accept| accept.contains("text/html"))
}

/// Sends a plain form post on to `path` with "303 See Other"; no-op for client calls.
///
/// `path` must already be a checked local path (see `crate::next`); one that is not a
/// valid header value is dropped with a log line rather than panicking.
pub fn see_other(path: &str) {
    if !is_plain_form_post() {
        return;
    }
    let (Some(response), Ok(location)) =
        (use_context::<ResponseOptions>(), HeaderValue::from_str(path))
    else {
        tracing::error!("cannot redirect a form post");
        return;
    };
    response.insert_header(header::LOCATION, location);
    response.set_status(StatusCode::SEE_OTHER);
}
