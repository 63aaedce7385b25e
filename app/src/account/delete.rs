//! Deleting the account: every session ends, the user and their audit trail are removed,
//! and the username is free again. When the user last proved who they are longer ago than
//! the "sudo" window (10 minutes by default), the password is asked again.

use leptos::prelude::*;

use super::AccountData;
use crate::{
    auth::rules::Password,
    components::{field_error, leave_when_signed_out, FormAlert, LabeledInput},
    error::{AppError, Field},
};

/// Deletes the signed-in user's account.
///
/// Endpoint: `POST /api/delete_account`, field `current_password` (needed unless the user
/// signed in or confirmed their password within the sudo window).
#[server(endpoint = "delete_account", prefix = "/api")]
pub async fn delete_account(#[server(default)] current_password: Password) -> Result<(), AppError> {
    use crate::{
        auth::{credentials, users},
        client::Client,
        error::{FieldErrors, FieldProblem},
    };

    let (state, session, signed_in) = super::sessions::signed_in().await?;
    let user =
        users::find_by_id(&state.db, signed_in.id).await?.ok_or(AppError::SignInRequired {})?;

    // Within the sudo window the password may be left out; a password that is given is
    // checked all the same.
    let given = !current_password.expose().is_empty();
    if given || !session.authenticated_within(state.sudo_window).await? {
        let problem = if !given {
            Some(FieldProblem::Missing)
        } else if !credentials::is_current_password(
            &state,
            &user,
            current_password,
            &Client::current(),
        )
        .await?
        {
            Some(FieldProblem::Wrong)
        } else {
            None
        };
        if let Some(problem) = problem {
            let fields = FieldErrors { current_password: Some(problem), ..FieldErrors::default() };
            return Err(AppError::Invalid { fields, username: String::new() });
        }
    }

    state.user_sessions.end_all_but(user.id, None).await?;
    users::delete(&state.db, user.id).await?;
    session.end().await?;
    tracing::info!(user_id = %user.id, "account deleted");

    crate::form_post::see_other("/?deleted=1");
    Ok(())
}

#[component]
pub fn DeleteAccount(data: RwSignal<AccountData>) -> impl IntoView {
    let action = ServerAction::<DeleteAccount>::new();
    leave_when_signed_out(action);
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            crate::components::go_to("/?deleted=1");
        }
    });

    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    // The password is asked when the last proof is old, or when the server asked for it.
    let ask_password = move || {
        !data.with(|data| data.recently_authenticated)
            || error.get().is_some_and(|err| err.field_message(Field::CurrentPassword).is_some())
    };

    view! {
        <section class="card danger" aria-labelledby="delete-heading">
            <h2 id="delete-heading">"Delete your account"</h2>
            <p>
                "This signs out every session, removes your account and its history, and "
                "frees your username. It cannot be undone."
            </p>
            <ActionForm action=action attr:class="form">
                <FormAlert error/>
                {move || ask_password().then(|| view! {
                    <LabeledInput
                        label="Your password, to confirm it is you"
                        name="current_password"
                        id="delete-password"
                        kind="password"
                        autocomplete="current-password"
                        error=field_error(error, Field::CurrentPassword)
                    />
                })}
                <button type="submit" class="destructive" disabled=move || action.pending().get()>
                    "Delete my account"
                </button>
            </ActionForm>
        </section>
    }
}
