//! Logging in: the form at `/login` and `POST /api/login`.
//!
//! The flow: look the user up, verify the password (a dummy hash stands in for unknown
//! users, so both failures cost the same and read the same), then start a brand-new
//! session for them and send them to `next` (a local path) or to their account.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{rules::Password, Auth, SignedIn};
use crate::{
    components::{field_error, go_on_success, FormAlert, LabeledInput},
    error::{AppError, Field},
};

/// Signs in with a username and password. Answers who is signed in and where to go next.
///
/// Endpoint: `POST /api/login`, form-encoded fields `username`, `password`, and optional
/// `next` and `remember` (a checkbox: any value but `false`, `0` or `off` means checked).
#[server(endpoint = "login", prefix = "/api")]
pub async fn login(
    #[server(default)] username: String,
    #[server(default)] password: Password,
    #[server(default)] next: Option<String>,
    #[server(default)] remember: Option<String>,
) -> Result<SignedIn, AppError> {
    use super::{
        audit::{Entry, Event},
        credentials,
        session::{AuthSession, NewSession},
        CurrentUser,
    };
    use crate::{
        client::Client,
        error::{echo_if_username, FieldErrors, FieldProblem},
        form_post,
        next::after_sign_in,
        state::AppState,
    };

    let state = AppState::current()?;
    let username = username.trim().to_owned();

    let missing = |empty: bool| empty.then_some(FieldProblem::Missing);
    let fields = FieldErrors {
        username: missing(username.is_empty()),
        password: missing(password.expose().is_empty()),
        ..FieldErrors::default()
    };
    if !fields.is_empty() {
        return Err(AppError::Invalid { fields, username: echo_if_username(&username) });
    }

    let client = Client::current();
    let user = credentials::authenticate(&state, &username, password, &client).await?;
    if user.disabled {
        let entry = Entry::new(Event::LoginRefusedDisabled, &client).user(user.id, &user.username);
        entry.record(&state.db).await?;
        return Err(AppError::AccountDisabled {});
    }

    let new = NewSession {
        user_id: user.id,
        credential_version: user.credential_version,
        remember: checked(remember.as_deref()),
        client: &client,
    };
    let session = AuthSession::current().await?.begin(new, &state.sessions).await?;
    crate::request_span::record_user(user.id);
    let entry = Entry::new(Event::LoginSucceeded, &client).user(user.id, &user.username);
    entry.record(&state.db).await?;

    let next = after_sign_in(next.as_deref()).to_owned();
    form_post::see_other(&next);
    Ok(SignedIn { user: CurrentUser::new(user.id, user.username, session.signed_in_at), next })
}

/// Whether a checkbox field was ticked: browsers send it (as `on`) only when it is.
#[cfg(feature = "ssr")]
fn checked(value: Option<&str>) -> bool {
    value.is_some_and(|value| !matches!(value, "" | "false" | "0" | "off"))
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    go_on_success(action);

    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let signup_href = move || match query.read().get("next") {
        Some(next) => format!(
            "/signup?next={}",
            form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        ),
        None => "/signup".to_owned(),
    };

    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let entered = Signal::derive(move || {
        error.get().and_then(|err| err.entered_username().map(str::to_owned)).unwrap_or_default()
    });

    view! {
        <Title text="Log in · Sesame"/>
        <section class="card">
            <h1>"Log in"</h1>
            {move || query.read().get("ended").map(|_| view! {
                <p class="note" role="status">
                    "Your session has ended: it was signed out from elsewhere, or expired. "
                    "Please log in again."
                </p>
            })}
            <AlreadySignedIn/>
            <ActionForm action=action attr:class="form">
                <FormAlert error/>
                <input type="hidden" name="next" value=next/>
                <LabeledInput
                    label="Username"
                    name="username"
                    autocomplete="username"
                    value=entered
                    error=field_error(error, Field::Username)
                />
                <LabeledInput
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    error=field_error(error, Field::Password)
                />
                <label class="check">
                    <input type="checkbox" name="remember"/>
                    " Keep me signed in on this device"
                </label>
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    "Log in"
                </button>
            </ActionForm>
            <p class="aside">
                "New to Sesame? " <a href=signup_href rel="external">"Create an account"</a>
            </p>
        </section>
    }
}

/// A note for someone who opens the login page while signed in: logging in again
/// switches to the other account (on a new session).
#[component]
fn AlreadySignedIn() -> impl IntoView {
    let auth = Auth::get();
    move || {
        auth.user().map(|user| {
            view! {
                <p class="note">
                    "You are signed in as " <strong>{user.username}</strong>
                    ". Logging in here switches accounts."
                </p>
            }
        })
    }
}
