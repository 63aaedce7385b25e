//! Checking a password, throttled: the step that login and password change share.

use super::{
    audit::{Entry, Event},
    password,
    rules::Password,
    throttle::{self, Bucket},
    users::{self, User},
};
use crate::{
    client::Client,
    error::{echo, AppError},
    state::AppState,
};

/// The user with this username and password, or [`AppError::WrongCredentials`] — the same
/// answer, after the same work, whether the username exists or not.
///
/// Refused before any hashing once this username, or this address, has failed too often
/// recently. A success forgets the username's failures from this address, and upgrades a
/// password hash made with older parameters.
pub async fn authenticate(
    state: &AppState,
    username: &str,
    password: Password,
    client: &Client,
) -> Result<User, AppError> {
    let ip = client.ip_text();
    let per_user = Bucket::login(username, &ip);
    let per_ip = Bucket::login_from(&ip);
    let limits = state.throttle;
    let buckets = [(&per_user, limits.login_per_user_and_ip), (&per_ip, limits.login_per_ip)];
    if let Err(throttled) = throttle::check(&state.db, &buckets).await {
        Entry::new(Event::LoginThrottled, client).typed(username).record(&state.db).await?;
        return Err(throttled);
    }

    let user = users::find_by_username(&state.db, username).await?;
    let stored = user.as_ref().map(|user| user.password_hash.clone());
    let verified = state.passwords.verify(password.clone(), stored).await?;

    if !verified {
        throttle::record(&state.db, &[&per_user, &per_ip]).await?;
        // A failure against an existing account is the account's history too.
        let mut entry = Entry::new(Event::LoginFailed, client).typed(username);
        entry.user_id = user.map(|user| user.id);
        entry.record(&state.db).await?;
        return Err(AppError::WrongCredentials { username: echo(username) });
    }
    let user = user.ok_or(AppError::Internal {})?;
    throttle::clear(&state.db, &per_user).await?;

    if password::needs_rehash(&user.password_hash) {
        let upgraded = state.passwords.hash(password).await?;
        users::set_password_hash(&state.db, user.id, &upgraded).await?;
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
    let ip = client.ip_text();
    let per_user = Bucket::login(&user.username, &ip);
    let limit = [(&per_user, state.throttle.login_per_user_and_ip)];
    if let Err(throttled) = throttle::check(&state.db, &limit).await {
        let entry = Entry::new(Event::LoginThrottled, client).user(user.id, &user.username);
        entry.record(&state.db).await?;
        return Err(throttled);
    }

    let matches = state.passwords.verify(password, Some(user.password_hash.clone())).await?;
    if !matches {
        throttle::record(&state.db, &[&per_user]).await?;
        let entry = Entry::new(Event::PasswordChangeFailed, client).user(user.id, &user.username);
        entry.detail("wrong current password").record(&state.db).await?;
    }
    Ok(matches)
}
