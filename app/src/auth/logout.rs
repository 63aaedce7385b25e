//! Logging out: the button in the header and `POST /api/logout`.
//!
//! The session record is deleted on the server, so a copy of the cookie is worthless from
//! this moment on; the response also tells the browser to drop the cookie.

use leptos::prelude::*;

use crate::{components::go_on_success, error::AppError};

/// Ends the current session (if any). Answers the path to go to next: the home page.
///
/// Endpoint: `POST /api/logout`, no fields.
#[server(endpoint = "logout", prefix = "/api")]
pub async fn logout() -> Result<String, AppError> {
    use super::session::AuthSession;
    use crate::form_post;

    let session = AuthSession::current().await?;
    if let Some(signed_in) = session.signed_in().await? {
        tracing::info!(user_id = %signed_in.user_id, "signed out");
    }
    session.end().await?;

    form_post::see_other("/");
    Ok("/".to_owned())
}

#[component]
pub fn LogoutButton() -> impl IntoView {
    let action = ServerAction::<Logout>::new();
    go_on_success(action);

    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|err| err.to_string())
    };

    view! {
        <ActionForm action=action attr:class="logout">
            <button type="submit" disabled=move || action.pending().get()>"Log out"</button>
            <span class="alert" role="alert">{error}</span>
        </ActionForm>
    }
}
