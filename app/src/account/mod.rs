//! `/account`: the signed-in user's own page, and the proof that the server owns the
//! session: every session of the user is listed there, and each can be ended.
//!
//! - [`sessions`]: the list of sessions, signing one or all others out;
//! - [`activity`]: the last security events of the account;
//! - [`delete`]: deleting the account;
//! - the password form lives with the other sign-in pieces (`auth::change_password`).
//!
//! The server loads the page's data before rendering it (see [`load`]); the browser then
//! keeps it current from the answers of the page's own actions.

pub mod activity;
pub mod delete;
#[cfg(feature = "ssr")]
pub mod device;
pub mod sessions;

use leptos::{prelude::*, server::SharedValue};
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use self::{activity::RecentActivity, delete::DeleteAccount, sessions::SessionList};
use crate::auth::{change_password::ChangePasswordForm, CurrentUser, RequireUser};

/// Where the account page is.
pub const PATH: &str = "/account";

/// What the account page shows besides the user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountData {
    pub sessions: Vec<sessions::SessionView>,
    pub activity: Vec<activity::ActivityView>,
    /// Whether the user proved who they are recently enough for sensitive changes.
    pub recently_authenticated: bool,
}

/// The data of the account page, loaded by the server's page handler for `/account`.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct ServerAccountData(pub AccountData);

/// Loads the account page's data for the signed-in user of `session`.
#[cfg(feature = "ssr")]
pub async fn load(
    session: &crate::auth::session::AuthSession,
    state: &crate::state::AppState,
    user: &CurrentUser,
) -> Result<AccountData, crate::error::AppError> {
    Ok(AccountData {
        sessions: sessions::list(session, state, user.id).await?,
        activity: activity::recent(&state.db, user.id).await?,
        recently_authenticated: session.authenticated_within(state.sudo_window).await?,
    })
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let data = SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        let data = use_context::<ServerAccountData>().map(|ServerAccountData(data)| data);
        #[cfg(not(feature = "ssr"))]
        let data = None::<AccountData>;
        data.unwrap_or_default()
    })
    .into_inner();
    let data = RwSignal::new(data);

    view! {
        <RequireUser children=move |user: CurrentUser| view! {
            <Title text="Your account · Sesame"/>
            <section class="card">
                <h1>"Your account"</h1>
                <dl class="facts">
                    <dt>"Username"</dt>
                    <dd data-testid="username">{user.username}</dd>
                    <dt>"Signed in"</dt>
                    <dd>
                        <time datetime=user.signed_in_at>{user.signed_in_at_text}</time>
                    </dd>
                </dl>
            </section>
            {view! {
                <SessionList data/>
                <ChangePasswordForm/>
                <RecentActivity data/>
                <DeleteAccount data/>
            }.into_any()}
        }/>
    }
}
