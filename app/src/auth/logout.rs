//! Logging out: the button in the header and `POST /api/logout`.
//!
//! The session record is deleted on the server, so a copy of the cookie is worthless from
//! this moment on; the response also tells the browser to drop the cookie.

use leptos::prelude::*;

use super::Auth;
use crate::{components::go_to, error::AppError};

/// Ends the current session (if any).
///
/// Endpoint: `POST /api/logout`, no fields. A plain form post is sent to the home page.
#[server(endpoint = "logout", prefix = "/api")]
pub async fn logout() -> Result<(), AppError> {
    use super::{
        audit::{Entry, Event},
        session::AuthSession,
        users,
    };
    use crate::{client::Client, form_post, state::AppState};

    let state = AppState::current()?;
    let session = AuthSession::current().await?;
    if let Some(signed_in) = session.signed_in().await? {
        let client = Client::current();
        let user = users::find_by_id(&state.db, signed_in.user_id).await?;
        let mut entry = Entry::new(Event::LoggedOut, &client);
        entry.user_id = Some(signed_in.user_id);
        entry.username = user.as_ref().map(|user| user.username.as_str());
        entry.record(&state.db).await?;
    }
    session.end().await?;
    forget_in_browser();

    form_post::see_other("/");
    Ok(())
}

/// Asks the browser to drop what it cached or stored for this site. Not "cookies": that
/// clears every cookie of the whole registrable domain (say, all of example.com), not only
/// this app's; the response removes the session cookie by itself.
#[cfg(feature = "ssr")]
fn forget_in_browser() {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            http::HeaderName::from_static("clear-site-data"),
            http::HeaderValue::from_static("\"cache\", \"storage\""),
        );
    }
}

#[component]
pub fn LogoutButton() -> impl IntoView {
    let action = ServerAction::<Logout>::new();
    let auth = Auth::get();
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            auth.signed_out();
            go_to("/");
        }
    });

    let error = move || action.value().get().and_then(Result::err).map(|err| err.user_message());

    view! {
        <ActionForm action=action attr:class="logout">
            <button type="submit" disabled=move || action.pending().get()>"Log out"</button>
            <span class="alert" role="alert">{error}</span>
        </ActionForm>
    }
}
