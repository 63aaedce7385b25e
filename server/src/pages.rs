//! Page requests: find out who is signed in, then render the app for that user.
//!
//! The session is checked here, once and before any rendering, so that every component
//! reads the result synchronously: a protected page redirects before a byte of it is
//! rendered, and server and browser render from the same value.

use app::auth::{resolve, session::AuthSession, RequestUser};
use axum::{body::Body, extract::State, http::Request, response::Response};
use leptos::prelude::provide_context;
use tower_sessions::Session;

use crate::startup::ServerState;

pub async fn render(State(state): State<ServerState>, request: Request<Body>) -> Response {
    let user = match request.extensions().get::<Session>() {
        Some(session) => resolve(&AuthSession::new(session.clone()), &state.app).await,
        None => {
            tracing::error!("no session on a page request: is the session layer installed?");
            Err(app::error::AppError::Internal {})
        }
    };

    let app_state = state.app.clone();
    let leptos = state.leptos.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(app_state.clone());
            provide_context(RequestUser(user.clone()));
        },
        move || app::shell(leptos.clone()),
    );
    render(request).await
}
