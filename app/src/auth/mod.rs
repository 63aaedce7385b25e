//! Who is signed in, and how one signs in, up and out.
//!
//! - [`login`], [`signup`], [`logout`]: each page or button with its server function.
//! - [`session`]: what a signed-in session holds (server only).
//! - [`password`], [`users`]: hashing and the users table (server only).
//! - [`rules`]: what a valid username and password look like (both sides).
//!
//! Every page reads the signed-in user through [`Auth`], one resource per page load that is
//! fetched again whenever a sign-in or sign-out happens in this tab.

pub mod login;
pub mod logout;
pub mod rules;
pub mod signup;

#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod users;

use leptos::{either::Either, prelude::*};
#[cfg(not(feature = "ssr"))]
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{error::AppError, next::login_url_returning_to};

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

/// The user this request's session belongs to, or `None` for an anonymous visitor.
///
/// A session whose user no longer exists is ended on the spot. Reading counts as activity:
/// at most once a minute it pushes the session's idle timeout forward.
#[server(endpoint = "current_user", prefix = "/api")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    use self::session::AuthSession;
    use crate::state::AppState;

    let session = AuthSession::current().await?;
    let Some(signed_in) = session.signed_in().await? else {
        return Ok(None);
    };

    let state = AppState::current()?;
    let Some(user) = users::find_by_id(&state.db, signed_in.user_id).await? else {
        tracing::info!(user_id = %signed_in.user_id, "session of a deleted user ended");
        session.end().await?;
        return Ok(None);
    };
    tracing::Span::current().record("user_id", tracing::field::display(user.id));

    session.touch().await?;
    Ok(Some(CurrentUser {
        id: user.id,
        username: user.username,
        signed_in_at: format_rfc3339(signed_in.signed_in_at),
        signed_in_at_text: format_for_people(signed_in.signed_in_at),
    }))
}

#[cfg(feature = "ssr")]
fn format_rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(feature = "ssr")]
fn format_for_people(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    at.format(&format).unwrap_or_default()
}

/// The signed-in user for every component of the page, from one fetch.
#[derive(Clone, Copy)]
pub struct Auth {
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
    changes: RwSignal<u32>,
}

impl Auth {
    /// Creates the shared state; call once, inside the router.
    pub fn provide() -> Self {
        let changes = RwSignal::new(0);
        let user = Resource::new(move || changes.get(), |_| get_current_user());
        let auth = Self { user, changes };
        provide_context(auth);
        auth
    }

    pub fn get() -> Self {
        expect_context::<Self>()
    }

    /// Someone signed in or out in this tab: fetch the user again.
    pub fn changed(&self) {
        self.changes.update(|n| *n = n.wrapping_add(1));
    }
}

/// Renders `children` for a signed-in user; sends anyone else to the login page, which
/// brings them back here afterwards. Nothing protected is rendered before the check.
#[component]
pub fn RequireUser<F, V>(children: F) -> impl IntoView
where
    F: Fn(CurrentUser) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let auth = Auth::get();
    let location = use_location();

    view! {
        <Suspense>
            {move || {
                let children = children.clone();
                let here = format!("{}{}", location.pathname.get(), search_part(location.search.get()));
                Suspend::new(async move {
                    match auth.user.await {
                        Ok(Some(user)) => Either::Left(children(user)),
                        Ok(None) => Either::Right(Either::Left(send_to_login(here))),
                        Err(err) => Either::Right(Either::Right(view! { <ErrorPanel error=err/> })),
                    }
                })
            }}
        </Suspense>
    }
}

fn search_part(search: String) -> String {
    if search.is_empty() {
        search
    } else {
        format!("?{search}")
    }
}

fn send_to_login(here: String) -> impl IntoView {
    let target = login_url_returning_to(&here);

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
            AppError::Unavailable {} => http::StatusCode::SERVICE_UNAVAILABLE,
            _ => http::StatusCode::INTERNAL_SERVER_ERROR,
        };
        response.set_status(status);
    }
    view! { <p class="alert" role="alert">{error.to_string()}</p> }
}
