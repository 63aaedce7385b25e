//! The request's tracing span, reachable from server functions and page renders alike.
//!
//! Leptos may run parts of a page render on other tasks, outside the span the request
//! started in, so the server puts that span into the request's extensions and this module
//! finds it there.

use http::request::Parts;
use leptos::prelude::use_context;
use tracing::Span;
use uuid::Uuid;

/// Put into every request's extensions by the server, inside the request span.
#[derive(Clone, Debug)]
pub struct RequestSpan(pub Span);

/// Names the signed-in user on the request's span: every later log line of the request,
/// and the request's closing line, carry it.
pub fn record_user(user_id: Uuid) {
    let span = use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<RequestSpan>().cloned())
        .map_or_else(Span::current, |RequestSpan(span)| span);
    span.record("user_id", tracing::field::display(user_id));
}
