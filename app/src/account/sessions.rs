//! The user's sessions: where each is signed in, since when, last used when; signing one
//! other session out, or all of them.
//!
//! Sessions are named by a handle (a hash of the id), never by the id in the cookie, and
//! every change is confined to the signed-in user's own sessions: a handle of someone
//! else's session matches nothing.

use leptos::{either::Either, prelude::*};
use serde::{Deserialize, Serialize};

use super::AccountData;
use crate::{components::leave_when_signed_out, error::AppError};

/// One session as the account page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub handle: String,
    /// "Chrome on Linux".
    pub device: String,
    pub ip: String,
    pub signed_in_at: String,
    pub last_active_at: String,
    /// The session this page was loaded with.
    pub this_device: bool,
}

/// What signing sessions out answers: how many ended, and the sessions left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionsLeft {
    pub ended: u64,
    pub sessions: Vec<SessionView>,
}

/// The live sessions of `user_id`, most recently active first.
#[cfg(feature = "ssr")]
pub async fn list(
    session: &crate::auth::session::AuthSession,
    state: &crate::state::AppState,
    user_id: uuid::Uuid,
) -> Result<Vec<SessionView>, AppError> {
    use crate::auth::{format_for_people, session::SessionFacts};

    let this = session.id().map(|id| state.user_sessions.handle(&id));
    let mut facts: Vec<SessionFacts> =
        state.user_sessions.list(user_id).await?.into_iter().map(SessionFacts::from).collect();
    facts.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(b.signed_in_at.cmp(&a.signed_in_at)));

    Ok(facts
        .into_iter()
        .map(|facts| SessionView {
            this_device: this.as_deref() == Some(facts.handle.as_str()),
            device: super::device::describe(&facts.user_agent),
            ip: if facts.ip.is_empty() { "unknown".into() } else { facts.ip },
            signed_in_at: format_for_people(at(facts.signed_in_at)),
            last_active_at: format_for_people(at(facts.last_seen)),
            handle: facts.handle,
        })
        .collect())
}

#[cfg(feature = "ssr")]
fn at(unix: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// The signed-in user's sessions, most recently active first.
///
/// Endpoint: `POST /api/list_sessions`, no fields.
#[server(endpoint = "list_sessions", prefix = "/api")]
pub async fn list_sessions() -> Result<Vec<SessionView>, AppError> {
    let (state, session, user) = signed_in().await?;
    list(&session, &state, user.id).await
}

/// Signs out one other session of the signed-in user.
///
/// Endpoint: `POST /api/revoke_session`, field `handle` (from the list). The session in use
/// is not signed out this way (that is `/api/logout`).
#[server(endpoint = "revoke_session", prefix = "/api")]
pub async fn revoke_session(#[server(default)] handle: String) -> Result<SessionsLeft, AppError> {
    use crate::auth::audit::{Entry, Event};

    let (state, session, user) = signed_in().await?;
    if session.id().is_some_and(|id| state.user_sessions.handle(&id) == handle) {
        return Err(AppError::bad_request("This is the session you are using: log out instead."));
    }
    if !state.user_sessions.end(user.id, &handle).await? {
        return Err(AppError::NotFound {});
    }

    let client = crate::client::Client::current();
    let entry = Entry::new(Event::SessionsRevoked, &client).user(user.id, &user.username);
    entry.detail("one other session").record(&state.db).await?;
    crate::form_post::see_other("/account");
    Ok(SessionsLeft { ended: 1, sessions: list(&session, &state, user.id).await? })
}

/// Signs out every session of the signed-in user but the one in use.
///
/// Endpoint: `POST /api/revoke_other_sessions`, no fields.
#[server(endpoint = "revoke_other_sessions", prefix = "/api")]
pub async fn revoke_other_sessions() -> Result<SessionsLeft, AppError> {
    use crate::auth::audit::{Entry, Event};

    let (state, session, user) = signed_in().await?;
    let ended = state.user_sessions.end_all_but(user.id, session.id()).await?;

    let client = crate::client::Client::current();
    let entry = Entry::new(Event::SessionsRevoked, &client).user(user.id, &user.username);
    entry.detail(format!("all other sessions: {ended}")).record(&state.db).await?;
    crate::form_post::see_other("/account");
    Ok(SessionsLeft { ended, sessions: list(&session, &state, user.id).await? })
}

/// The state, the session and its user, or [`AppError::SignInRequired`].
#[cfg(feature = "ssr")]
pub(crate) async fn signed_in() -> Result<
    (crate::state::AppState, crate::auth::session::AuthSession, crate::auth::CurrentUser),
    AppError,
> {
    let state = crate::state::AppState::current()?;
    let session = crate::auth::session::AuthSession::current().await?;
    let user = crate::auth::resolve(&session, &state).await?.ok_or(AppError::SignInRequired {})?;
    Ok((state, session, user))
}

#[component]
pub fn SessionList(data: RwSignal<AccountData>) -> impl IntoView {
    let revoke = ServerAction::<RevokeSession>::new();
    let revoke_others = ServerAction::<RevokeOtherSessions>::new();
    leave_when_signed_out(revoke);
    leave_when_signed_out(revoke_others);
    for action in [revoke.value(), revoke_others.value()] {
        Effect::new(move |_| {
            if let Some(Ok(left)) = action.get() {
                data.update(|data| data.sessions = left.sessions);
            }
        });
    }
    let error = move || {
        let failed = |value: Option<Result<SessionsLeft, AppError>>| value.and_then(Result::err);
        failed(revoke.value().get()).or_else(|| failed(revoke_others.value().get()))
    };
    let others = move || data.with(|data| data.sessions.iter().filter(|s| !s.this_device).count());

    view! {
        <section class="card" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Where you are signed in"</h2>
            <p class="alert" role="alert">{move || error().map(|err| err.user_message())}</p>
            <ul class="sessions">
                <For
                    each=move || data.get().sessions
                    key=|session| session.handle.clone()
                    children=move |session| view! { <SessionItem session revoke/> }
                />
            </ul>
            {move || (others() > 0).then(|| view! {
                <ActionForm action=revoke_others attr:class="inline">
                    <button type="submit" disabled=move || revoke_others.pending().get()>
                        "Sign out all other sessions"
                    </button>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
fn SessionItem(session: SessionView, revoke: ServerAction<RevokeSession>) -> impl IntoView {
    let label = format!("Sign out {} ({})", session.device, session.ip);
    view! {
        <li class="session" class:current=session.this_device>
            <div>
                <strong>{session.device.clone()}</strong>
                {session.this_device.then(|| view! { <span class="badge">"This device"</span> })}
                <br/>
                <span class="muted">
                    {session.ip.clone()} " · signed in " {session.signed_in_at.clone()}
                    " · last active " {session.last_active_at.clone()}
                </span>
            </div>
            {if session.this_device {
                Either::Left(())
            } else {
                Either::Right(view! {
                    <ActionForm action=revoke attr:class="inline">
                        <input type="hidden" name="handle" value=session.handle.clone()/>
                        <button type="submit" aria-label=label>"Sign out"</button>
                    </ActionForm>
                })
            }}
        </li>
    }
}
