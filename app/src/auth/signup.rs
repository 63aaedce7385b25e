//! Signing up: the form at `/signup` and `POST /api/signup`. A new account is signed in
//! straight away, on a brand-new session.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{rules::Password, SignedIn};
use crate::{
    components::{field_error, go_on_success, FormAlert, LabeledInput},
    error::{AppError, Field},
};

/// Creates an account and signs it in. Answers the path to go to next.
///
/// Endpoint: `POST /api/signup`, form-encoded fields `username`, `password`,
/// `password_confirm` and optional `next`.
#[server(endpoint = "signup", prefix = "/api")]
pub async fn signup(
    #[server(default)] username: String,
    #[server(default)] password: Password,
    #[server(default)] password_confirm: Password,
    #[server(default)] next: Option<String>,
) -> Result<SignedIn, AppError> {
    use super::{
        audit::{Entry, Event},
        rules::check_sign_up,
        session::{AuthSession, NewSession},
        throttle::{Attempt, Bucket, Limit},
        users, CurrentUser,
    };
    use crate::{
        client::Client,
        error::{echo, FieldErrors, FieldProblem},
        form_post,
        next::after_sign_in,
        state::AppState,
    };

    let state = AppState::current()?;
    let username = username.trim().to_owned();

    let fields = check_sign_up(&username, &password, &password_confirm, state.min_password_chars);
    if !fields.is_empty() {
        return Err(AppError::Invalid { fields, username: echo(&username) });
    }

    // Sign-ups per network are limited. Every attempt that passes the cheap checks above
    // counts, before the costly ones below, so that neither probing for taken usernames
    // nor making the server judge and hash passwords goes unlimited.
    let client = Client::current();
    let per_ip = Bucket::signup_from(&client);
    let counted = Attempt::begin(&state.db, &[(&per_ip, state.throttle.signup_per_ip)]).await;
    if let Err(throttled) = counted {
        // Noted in the audit trail once per hour and network, however often it repeats.
        let once = Limit { max: 1, window: state.throttle.signup_per_ip.window };
        if let Ok(noted) = Attempt::begin(&state.db, &[(&per_ip.noted(), once)]).await {
            Entry::new(Event::SignupThrottled, &client).record(&state.db).await?;
            drop(noted);
        }
        return Err(throttled);
    }

    if let Err(problem) = state.passwords.judge(password.clone(), username.clone()).await? {
        let fields = FieldErrors { password: Some(problem), ..FieldErrors::default() };
        return Err(AppError::Invalid { fields, username: echo(&username) });
    }

    let taken = |username: String| AppError::Invalid {
        fields: FieldErrors { username: Some(FieldProblem::Taken), ..FieldErrors::default() },
        username,
    };
    // Checked before hashing to spare the work; the unique index has the final word below.
    if users::find_by_username(&state.db, &username).await?.is_some() {
        return Err(taken(username));
    }

    let hash = state.passwords.hash(password).await?;
    let user_id = match users::create(&state.db, &username, &hash).await? {
        users::Created::Yes(id) => id,
        users::Created::UsernameTaken => return Err(taken(username)),
    };

    // The account exists from here on, whether or not a session can be started for it: the
    // trail says so first, and a session store failing now gets an answer that says the
    // account is there (signing up again would only find the name taken).
    crate::request_span::record_user(user_id);
    Entry::new(Event::SignedUp, &client).user(user_id, &username).record(&state.db).await?;
    let new = NewSession { user_id, credential_version: 0, remember: false, client: &client };
    let session = match AuthSession::current().await?.begin(new, &state.sessions).await {
        Err(AppError::Unavailable {}) => return Err(AppError::SignedUpNotSignedIn {}),
        started => started?,
    };

    let next = after_sign_in(next.as_deref()).to_owned();
    form_post::see_other(&next);
    Ok(SignedIn { user: CurrentUser::new(user_id, username, session.signed_in_at), next })
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<Signup>::new();
    go_on_success(action);

    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();

    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let field = move |field: Field| field_error(error, field);
    let entered = Signal::derive(move || {
        error.get().and_then(|err| err.entered_username().map(str::to_owned)).unwrap_or_default()
    });

    view! {
        <Title text="Sign up · Sesame"/>
        <section class="card">
            <h1>"Create your account"</h1>
            <ActionForm action=action attr:class="form">
                <FormAlert error/>
                <input type="hidden" name="next" value=next/>
                <LabeledInput
                    label="Username"
                    name="username"
                    autocomplete="username"
                    hint="3 to 32 letters, digits, dots, dashes or underscores."
                    value=entered
                    error=field(Field::Username)
                />
                <LabeledInput
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    hint=PASSWORD_HINT
                    error=field(Field::Password)
                />
                <LabeledInput
                    label="Confirm password"
                    name="password_confirm"
                    kind="password"
                    autocomplete="new-password"
                    error=field(Field::PasswordConfirm)
                />
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    "Sign up"
                </button>
            </ActionForm>
            <p class="aside">
                "Already have an account? " <a href="/login" rel="external">"Log in"</a>
            </p>
        </section>
    }
}

/// Keep in step with `PASSWORD_MIN_CHARS` (the test below checks).
pub const PASSWORD_HINT: &str =
    "At least 12 characters, and not a common or predictable one. A few unrelated words work well.";

#[cfg(test)]
mod tests {
    #[test]
    fn the_hint_states_the_minimum_length() {
        assert!(super::PASSWORD_HINT.contains(&crate::auth::rules::PASSWORD_MIN_CHARS.to_string()));
    }
}
