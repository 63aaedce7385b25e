//! Page requests: find out who is signed in, then render the app for that user.
//!
//! The session is checked here, once and before any rendering, so that every component
//! reads the result synchronously: a protected page redirects before a byte of it is
//! rendered, and server and browser render from the same value.

use app::auth::{resolve, session::AuthSession, RequestUser};
use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderValue, Request},
    response::Response,
};
use leptos::{nonce::Nonce, prelude::provide_context};
use tower_sessions::Session;

use crate::{headers, startup::ServerState};

pub async fn render(State(state): State<ServerState>, request: Request<Body>) -> Response {
    let user = match request.extensions().get::<Session>() {
        Some(session) => resolve(&AuthSession::new(session.clone()), &state.app).await,
        None => {
            tracing::error!("no session on a page request: is the session layer installed?");
            Err(app::error::AppError::Internal {})
        }
    };

    // Our own nonce replaces the one Leptos would make, so the policy can name it.
    let nonce = Nonce::new();
    let policy = HeaderValue::from_str(&headers::page_policy(&nonce));

    let app_state = state.app.clone();
    let leptos = state.leptos.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(app_state.clone());
            provide_context(RequestUser(user.clone()));
            provide_context(nonce.clone());
        },
        move || app::shell(leptos.clone()),
    );
    let mut response = render(request).await;

    if let Ok(policy) = policy {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}
