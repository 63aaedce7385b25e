//! Changing the password, from the account page: `POST /api/change_password`.
//!
//! A password change ends every other session of the user (a thief who had one is out),
//! and moves this session to a new id.

use leptos::{either::Either, prelude::*};
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::rules::Password;
use crate::{
    components::{field_error, FormAlert, LabeledInput},
    error::{AppError, Field},
};

/// What a password change answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChanged {
    /// How many other sessions of the user were signed out.
    pub other_sessions_ended: u64,
}

/// Changes the signed-in user's password.
///
/// Endpoint: `POST /api/change_password`, form-encoded fields `current_password`,
/// `password` and `password_confirm`.
#[server(endpoint = "change_password", prefix = "/api")]
pub async fn change_password(
    #[server(default)] current_password: Password,
    #[server(default)] password: Password,
    #[server(default)] password_confirm: Password,
) -> Result<PasswordChanged, AppError> {
    use super::{
        audit::{Entry, Event},
        credentials, resolve,
        rules::check_new_password_twice,
        session::AuthSession,
        users,
    };
    use crate::{client::Client, error::FieldProblem, form_post, state::AppState};

    let state = AppState::current()?;
    let session = AuthSession::current().await?;
    let signed_in = resolve(&session, &state).await?.ok_or(AppError::SignInRequired {})?;
    let user =
        users::find_by_id(&state.db, signed_in.id).await?.ok_or(AppError::SignInRequired {})?;

    // Cheap checks first, then the current password (throttled like a login), and only
    // then the costly judging of the new one: nobody without the password can make the
    // server judge passwords at will.
    let mut fields =
        check_new_password_twice(&password, &password_confirm, state.min_password_chars);
    if current_password.expose().is_empty() {
        fields.current_password = Some(FieldProblem::Missing);
    } else if current_password.expose() == password.expose() {
        fields.password = Some(FieldProblem::Unchanged);
    }
    if !fields.is_empty() {
        return Err(AppError::Invalid { fields, username: String::new() });
    }
    let client = Client::current();
    if !credentials::is_current_password(&state, &user, current_password, &client).await? {
        let fields = crate::error::FieldErrors {
            current_password: Some(FieldProblem::Wrong),
            ..Default::default()
        };
        return Err(AppError::Invalid { fields, username: String::new() });
    }
    if let Err(problem) = state.passwords.judge(password.clone(), user.username.clone()).await? {
        let fields = crate::error::FieldErrors { password: Some(problem), ..Default::default() };
        return Err(AppError::Invalid { fields, username: String::new() });
    }

    let hash = state.passwords.hash(password).await?;
    let version = users::change_password_hash(&state.db, user.id, &hash).await?;
    let other_sessions_ended = state.user_sessions.end_all_but(user.id, session.id()).await?;
    // A logout of this very session may have raced the change; it stays logged out.
    if still_exists(&state, &session, user.id).await? {
        session.renew_after_password_change(version).await?;
        session.reauthenticated().await?;
    } else {
        session.end().await?;
    }
    let entry = Entry::new(Event::PasswordChanged, &client).user(user.id, &user.username);
    let detail = format!("other_sessions_ended={other_sessions_ended}");
    entry.detail(detail).record(&state.db).await?;

    form_post::see_other(&format!("/account?password_changed={other_sessions_ended}"));
    Ok(PasswordChanged { other_sessions_ended })
}

/// Whether the session's record is still in the store.
#[cfg(feature = "ssr")]
async fn still_exists(
    state: &crate::state::AppState,
    session: &super::session::AuthSession,
    user_id: uuid::Uuid,
) -> Result<bool, AppError> {
    let Some(id) = session.id() else {
        return Ok(false);
    };
    let handle = state.user_sessions.handle(&id);
    Ok(state.user_sessions.list(user_id).await?.iter().any(|listed| listed.handle == handle))
}

/// The form on the account page, with the outcome of the last change above it.
#[component]
pub fn ChangePasswordForm() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let query = use_query_map();

    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    // With JavaScript the answer arrives here; without, the redirect puts it in the URL.
    let ended = move || match action.value().get() {
        Some(Ok(changed)) => Some(changed.other_sessions_ended),
        Some(Err(_)) => None,
        None => query.read().get("password_changed").and_then(|n| n.parse::<u64>().ok()),
    };

    view! {
        <section class="card" aria-labelledby="change-password">
            <h2 id="change-password">"Change your password"</h2>
            {move || ended().map(|ended| view! {
                <p class="success" role="status">
                    "Your password was changed. " {signed_out_sentence(ended)}
                </p>
            })}
            <ActionForm action=action attr:class="form">
                <FormAlert error/>
                <LabeledInput
                    label="Current password"
                    name="current_password"
                    kind="password"
                    autocomplete="current-password"
                    error=field_error(error, Field::CurrentPassword)
                />
                <LabeledInput
                    label="New password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    hint=super::signup::PASSWORD_HINT
                    error=field_error(error, Field::Password)
                />
                <LabeledInput
                    label="Confirm new password"
                    name="password_confirm"
                    kind="password"
                    autocomplete="new-password"
                    error=field_error(error, Field::PasswordConfirm)
                />
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    "Change password"
                </button>
            </ActionForm>
        </section>
    }
}

fn signed_out_sentence(ended: u64) -> impl IntoView {
    match ended {
        0 => Either::Left("No other session was signed in."),
        1 => Either::Right("1 other session was signed out.".to_owned()),
        n => Either::Right(format!("{n} other sessions were signed out.")),
    }
}
