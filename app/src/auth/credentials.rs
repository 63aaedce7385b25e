//! Checking a password, throttled: the step that login and password change share.

use super::{
    audit::{Entry, Event},
    password,
    rules::{check_username, Password},
    throttle::{self, Attempt, Bucket},
    users::{self, User},
};
use crate::{
    client::Client,
    error::{echo_if_username, AppError},
    state::AppState,
};

/// The user with this username and password, or [`AppError::WrongCredentials`] — the same
/// answer, after the same work, whether the username exists or not.
///
/// Refused before any hashing once this username, or this network, has failed too often
/// recently. A success forgets the username's failures from this network, and upgrades a
/// password hash made with older parameters.
pub async fn authenticate(
    state: &AppState,
    username: &str,
    password: Password,
    client: &Client,
) -> Result<User, AppError> {
    let per_user = Bucket::login(username, client);
    let per_ip = Bucket::login_from(client);
    let limits = state.throttle;
    let buckets = [(&per_user, limits.login_per_user_and_ip), (&per_ip, limits.login_per_ip)];
    let attempt = match Attempt::begin(&state.db, &buckets).await {
        Ok(attempt) => attempt,
        Err(throttled) => return Err(note_throttling(state, username, client, throttled).await?),
    };

    let user = users::find_by_username(&state.db, username).await?;
    let stored = user.as_ref().map(|user| user.password_hash.clone());
    let verified = state.passwords.verify(password.clone(), stored).await?;

    let account = user.as_ref().map(|user| user.id);
    let Some(user) = user.filter(|_| verified) else {
        // The attempt stays counted. A failure against an existing account is the
        // account's history too; a "username" that could be a mistyped password is not kept.
        let mut entry = Entry::new(Event::LoginFailed, client);
        entry.user_id = account;
        if check_username(username).is_ok() {
            entry.username = Some(username);
        }
        entry.record(&state.db).await?;
        return Err(AppError::WrongCredentials { username: echo_if_username(username) });
    };
    attempt.succeeded(&state.db).await?;

    if !user.disabled {
        throttle::clear(&state.db, &per_user).await?;
    }
    if password::needs_rehash(&user.password_hash) {
        let upgraded = state.passwords.hash(password).await?;
        users::upgrade_hash(&state.db, user.id, &user.password_hash, &upgraded).await?;
        tracing::info!(user_id = %user.id, "password hash upgraded to current parameters");
    }
    Ok(user)
}

/// Whether `password` is `user`'s current password, counted like a login attempt: someone
/// holding a stolen session cannot guess the password faster through this door.
pub async fn is_current_password(
    state: &AppState,
    user: &User,
    password: Password,
    client: &Client,
) -> Result<bool, AppError> {
    let per_user = Bucket::login(&user.username, client);
    let per_ip = Bucket::login_from(client);
    let limits = state.throttle;
    let buckets = [(&per_user, limits.login_per_user_and_ip), (&per_ip, limits.login_per_ip)];
    let attempt = match Attempt::begin(&state.db, &buckets).await {
        Ok(attempt) => attempt,
        Err(throttled) => {
            return Err(note_throttling(state, &user.username, client, throttled).await?)
        }
    };

    let matches = state.passwords.verify(password, Some(user.password_hash.clone())).await?;
    if matches {
        attempt.succeeded(&state.db).await?;
    } else {
        let entry = Entry::new(Event::PasswordChangeFailed, client).user(user.id, &user.username);
        entry.detail("wrong current password").record(&state.db).await?;
    }
    Ok(matches)
}

/// Notes a throttled attempt in the audit trail once per window and client, whatever the
/// username (a flood of them, with ever new usernames, must not flood the trail), and hands
/// the refusal back.
async fn note_throttling(
    state: &AppState,
    username: &str,
    client: &Client,
    throttled: AppError,
) -> Result<AppError, AppError> {
    let once = throttle::Limit { max: 1, window: state.throttle.login_per_user_and_ip.window };
    let marker = Bucket::login_from(client).noted();
    if let Ok(noted) = Attempt::begin(&state.db, &[(&marker, once)]).await {
        let mut entry = Entry::new(Event::LoginThrottled, client);
        if check_username(username).is_ok() {
            entry.username = Some(username);
        }
        entry.record(&state.db).await?;
        drop(noted); // stays counted: the next refusal in this window is not noted again
    }
    Ok(throttled)
}
