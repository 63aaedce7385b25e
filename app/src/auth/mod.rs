//! Who is signed in, and how one signs in, up and out.
//!
//! - [`login`], [`signup`], [`logout`]: each page or button with its server function.
//! - [`session`]: what a signed-in session holds (server only).
//! - [`password`], [`users`]: hashing and the users table (server only).
//! - [`throttle`]: limits on failed attempts (server only).
//! - [`audit`]: the record of what happened to accounts and sessions (server only).
//! - [`rules`]: what a valid username and password look like (both sides).
//!
//! The server works out who is signed in once per page request, before rendering (see
//! [`resolve`]), and every component reads it synchronously through [`Auth`]: no resource,
//! no suspense, so a page renders the same on both sides and redirects before any content.
//! After that the browser keeps it current itself: a login or logout in this tab sets it.

pub mod change_password;
pub mod login;
pub mod logout;
pub mod rules;
pub mod signup;

#[cfg(feature = "ssr")]
pub mod audit;
#[cfg(feature = "ssr")]
pub mod credentials;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod throttle;
#[cfg(feature = "ssr")]
pub mod users;

use leptos::{either::EitherOf3, prelude::*, server::SharedValue};
#[cfg(not(feature = "ssr"))]
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    error::AppError,
    next::{login_url_after_session_end, login_url_returning_to, without_form_error},
};

/// The signed-in user as pages see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: Uuid,
    pub username: String,
    /// When this session signed in, as RFC 3339 (for `<time datetime>`).
    pub signed_in_at: String,
    /// The same moment for people, formatted on the server so both sides render it alike.
    pub signed_in_at_text: String,
}

/// What a successful login or sign-up answers: who is signed in now, and where to go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    pub user: CurrentUser,
    /// A path on this site: the `next` that was asked for, or the account page.
    pub next: String,
}

/// Who is signed in on this request: `Ok(None)` for an anonymous visitor, `Err` when the
/// session cannot be checked (the store is down): that is never taken for "signed out".
pub type UserState = Result<Option<CurrentUser>, AppError>;

/// The user this request's session belongs to, or `None` for an anonymous visitor.
///
/// Endpoint: `POST /api/current_user`, no fields.
#[server(endpoint = "current_user", prefix = "/api")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    let session = session::AuthSession::current().await?;
    resolve(&session, &crate::state::AppState::current()?).await
}

/// Looks up the user of `session`. Reading counts as activity: at most about once a minute
/// it pushes the session's idle timeout forward. A session whose user no longer exists is
/// ended on the spot.
#[cfg(feature = "ssr")]
pub async fn resolve(
    session: &session::AuthSession,
    state: &crate::state::AppState,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(signed_in) = session.signed_in().await? else {
        return Ok(None);
    };
    // The user must still exist, be enabled, and have the password the session began with.
    let user = users::find_by_id(&state.db, signed_in.user_id).await?;
    let current = |user: &users::User| {
        !user.disabled && user.credential_version == signed_in.credential_version
    };
    let Some(user) = user.filter(current) else {
        let user_id = signed_in.user_id;
        tracing::info!(%user_id, "session ended: user gone or disabled, or password changed");
        session.end().await?;
        return Ok(None);
    };
    crate::request_span::record_user(user.id);

    session.touch(&state.sessions).await?;
    Ok(Some(CurrentUser::new(user.id, user.username, signed_in.signed_in_at)))
}

#[cfg(feature = "ssr")]
impl CurrentUser {
    pub fn new(id: Uuid, username: String, signed_in_at: time::OffsetDateTime) -> Self {
        Self {
            id,
            username,
            signed_in_at: format_rfc3339(signed_in_at),
            signed_in_at_text: format_for_people(signed_in_at),
        }
    }
}

/// Put into the Leptos context by the server's page handler, after [`resolve`].
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct RequestUser {
    pub state: UserState,
    /// The request carried a session cookie whose session is over (signed out elsewhere,
    /// expired, ended by a password change): the login page says so.
    pub session_ended: bool,
}

#[cfg(feature = "ssr")]
fn format_rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// A moment as the pages show it: `2026-12-04 17:03 UTC`.
#[cfg(feature = "ssr")]
pub fn format_for_people(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    at.format(&format).unwrap_or_default()
}

/// The signed-in user, for every component of the page.
///
/// It starts from what the server found for this page and follows what happens in this
/// browser: a login or logout in this tab sets it, and tells the other tabs (see
/// `crate::tabs`), whose state follows without a reload.
#[derive(Clone, Copy)]
pub struct Auth {
    user: RwSignal<UserState>,
    session_ended: bool,
}

impl Auth {
    /// Creates the shared state from what the server resolved; call once, in the app's frame.
    /// The server's value travels with the page, so hydration starts from the same state.
    pub fn provide() -> Self {
        let (state, session_ended) = SharedValue::new(|| {
            #[cfg(feature = "ssr")]
            let found = use_context::<RequestUser>()
                .map(|found| (found.state, found.session_ended))
                .unwrap_or((Err(AppError::Internal {}), false));
            #[cfg(not(feature = "ssr"))]
            let found = (Ok(None), false);
            found
        })
        .into_inner();
        let auth = Self { user: RwSignal::new(state), session_ended };
        provide_context(auth);
        crate::tabs::follow(auth);
        auth
    }

    pub fn get() -> Self {
        expect_context::<Self>()
    }

    /// Who is signed in (tracked: a view that reads it follows sign-ins and sign-outs).
    pub fn state(&self) -> UserState {
        self.user.get()
    }

    /// The signed-in user, if any and known.
    pub fn user(&self) -> Option<CurrentUser> {
        self.user.get().ok().flatten()
    }

    /// Someone signed in in this tab: show them, and tell the other tabs.
    pub fn signed_in(&self, user: CurrentUser) {
        crate::tabs::tell(&crate::tabs::Message::SignedIn(user.clone()));
        self.user.set(Ok(Some(user)));
    }

    /// The session ended in this tab: show it, and tell the other tabs.
    pub fn signed_out(&self) {
        crate::tabs::tell(&crate::tabs::Message::SignedOut);
        self.user.set(Ok(None));
    }

    /// What another tab said happened.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub(crate) fn heard(&self, message: crate::tabs::Message) {
        match message {
            crate::tabs::Message::SignedIn(user) => self.user.set(Ok(Some(user))),
            crate::tabs::Message::SignedOut => self.user.set(Ok(None)),
        }
    }
}

/// Renders `children` for a signed-in user; sends anyone else to the login page, which
/// brings them back here afterwards. Nothing protected is rendered before the check.
///
/// Whether the page may be shown is decided as it is entered (by the server, for every
/// page). Later, if the user signs out in this tab or another one, the protected content
/// gives way to a note that says so, without a reload.
#[component]
pub fn RequireUser<F, V>(children: F) -> impl IntoView
where
    F: Fn(CurrentUser) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let auth = Auth::get();
    let location = use_location();
    let here = format!("{}?{}", location.pathname.get_untracked(), location.search.get_untracked());

    match auth.user.get_untracked() {
        Ok(Some(user)) => EitherOf3::A(view! {
            <Show when=move || auth.user().is_some() fallback=|| view! { <SignedOutHere/> }>
                {children(user.clone()).into_any()}
            </Show>
        }),
        Ok(None) => EitherOf3::B(send_to_login(here, auth.session_ended)),
        Err(error) => EitherOf3::C(view! { <ErrorPanel error/> }),
    }
}

/// What a protected page shows once its user has signed out (here or in another tab).
#[component]
fn SignedOutHere() -> impl IntoView {
    view! {
        <section class="card" role="status">
            <h1>"You are signed out"</h1>
            <p>"This browser signed out. " <a href="/login" rel="external">"Log in again"</a></p>
        </section>
    }
}

fn send_to_login(here: String, session_ended: bool) -> impl IntoView {
    let target = if session_ended {
        login_url_after_session_end(&here)
    } else {
        login_url_returning_to(&without_form_error(&here))
    };

    // On the server the answer is a real "303 See Other" before any protected content;
    // `<Redirect/>` would answer 302, the status for a resource that moved.
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(location) = http::HeaderValue::from_str(&target) {
            response.insert_header(http::header::LOCATION, location);
            response.set_status(http::StatusCode::SEE_OTHER);
        }
    }
    #[cfg(feature = "ssr")]
    let _ = target;

    #[cfg(not(feature = "ssr"))]
    view! { <Redirect path=target/> }
}

/// A failure the user can do nothing about but retry, with the right status on the server.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        let status = match error {
            AppError::Unavailable {} | AppError::SignedUpNotSignedIn {} => {
                http::StatusCode::SERVICE_UNAVAILABLE
            }
            _ => http::StatusCode::INTERNAL_SERVER_ERROR,
        };
        response.set_status(status);
    }
    view! { <p class="alert" role="alert">{error.user_message()}</p> }
}
