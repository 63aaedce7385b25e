//! Logging: one span per request (method, route, request id, and the user once known).
//!
//! Nothing secret is ever a field: no session id, cookie, password or hash, and the
//! request's query string stays out of the span.

use axum::http::Request;
use tower_http::{request_id::RequestId, trace::MakeSpan};
use tracing::Span;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `filter` is a tracing directive such as `info`.
pub fn init(filter: &str) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(filter)
        .map_err(|err| anyhow::anyhow!("SESAME_LOG is not a valid filter ({filter}): {err}"))?;
    let colors = std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(colors)
        .try_init()
        .map_err(|err| anyhow::anyhow!("logging was already set up: {err}"))
}

/// Logging for a one-off command: warnings and errors, on standard error, so that the
/// command's own output stays clean.
pub fn init_for_commands() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new("warn"))
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init()
        .map_err(|err| anyhow::anyhow!("logging was already set up: {err}"))
}

/// Makes the span every request runs in; `user_id` is filled in once the session is read.
#[derive(Clone, Copy, Debug)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .and_then(|id| id.header_value().to_str().ok())
            .unwrap_or_default();

        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.uri().path(),
            request_id,
            user_id = tracing::field::Empty,
        )
    }
}

/// Makes the request span findable from page renders and server functions, which Leptos
/// may run outside it (see `app::request_span`). Must run inside the trace layer.
pub async fn remember_span(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    request.extensions_mut().insert(app::request_span::RequestSpan(Span::current()));
    next.run(request).await
}

/// Request ids are ours alone: one sent by the client is dropped, so that nobody can make
/// their requests share an id with someone else's in the logs.
pub async fn drop_client_request_id(mut request: axum::extract::Request) -> axum::extract::Request {
    request.headers_mut().remove("x-request-id");
    request
}
