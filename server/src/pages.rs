//! Page requests: find out who is signed in, then render the app for that user.
//!
//! The session is checked here, once and before any rendering, so that every component
//! reads the result synchronously: a protected page redirects before a byte of it is
//! rendered, and server and browser render from the same value.

use app::{
    account::{self, ServerAccountData},
    auth::{resolve, session::AuthSession, RequestUser},
    error::AppError,
};
use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderValue, Request},
    response::Response,
};
use leptos::{nonce::Nonce, prelude::provide_context};
use tower_sessions::Session;

use crate::{
    api::{error_response, status_for},
    headers,
    startup::ServerState,
};

pub async fn render(State(state): State<ServerState>, request: Request<Body>) -> Response {
    let Some(session) = request.extensions().get::<Session>().cloned().map(AuthSession::new) else {
        tracing::error!("no session on a page request: is the session layer installed?");
        return error_response(&AppError::Internal {});
    };
    let mut user = resolve(&session, &state.app).await;
    let session_ended = matches!(user, Ok(None)) && carries_cookie(&request, state.cookie_name);

    // The account page's own data, loaded here like the user, so the page renders whole.
    let mut account = None;
    if let (Ok(Some(signed_in)), account::PATH) = (&user, request.uri().path()) {
        match account::load(&session, &state.app, signed_in).await {
            Ok(data) => account = Some(ServerAccountData(data)),
            Err(err) => user = Err(err),
        }
    }

    // A page that could not learn who is asking (the store is away, say) still renders,
    // saying so, under the error's status: never as if nobody were signed in.
    let failed = user.as_ref().err().map(status_for);

    // Our own nonce replaces the one Leptos would make, so the policy can name it.
    let nonce = Nonce::new();
    let policy = HeaderValue::from_str(&headers::page_policy(&nonce));

    let app_state = state.app.clone();
    let leptos = state.leptos.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(app_state.clone());
            provide_context(RequestUser { state: user.clone(), session_ended });
            provide_context(nonce.clone());
            if let Some(account) = account.clone() {
                provide_context(account);
            }
        },
        move || app::shell(leptos.clone()),
    );
    let mut response = render(request).await;

    if let Ok(policy) = policy {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    if let Some(status) = failed {
        *response.status_mut() = status;
    }
    response
}

/// Whether the request came with a session cookie at all (valid or not).
fn carries_cookie(request: &Request<Body>, name: &str) -> bool {
    request.headers().get_all(header::COOKIE).iter().any(|value| {
        value.as_bytes().split(|byte| *byte == b';').any(|pair| {
            pair.trim_ascii_start()
                .strip_prefix(name.as_bytes())
                .is_some_and(|rest| rest.first() == Some(&b'='))
        })
    })
}
