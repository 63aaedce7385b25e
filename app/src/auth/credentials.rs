//! Checking a password, throttled: the step that login and password change share.

use super::{
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
    throttle::check(
        &state.db,
        &[(&per_user, limits.login_per_user_and_ip), (&per_ip, limits.login_per_ip)],
    )
    .await?;

    let user = users::find_by_username(&state.db, username).await?;
    let stored = user.as_ref().map(|user| user.password_hash.clone());
    let verified = state.passwords.verify(password.clone(), stored).await?;

    let Some(user) = user.filter(|_| verified) else {
        throttle::record(&state.db, &[&per_user, &per_ip]).await?;
        tracing::info!(%ip, "login failed: wrong username or password");
        return Err(AppError::WrongCredentials { username: echo(username) });
    };
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
    throttle::check(&state.db, &[(&per_user, state.throttle.login_per_user_and_ip)]).await?;

    let matches = state.passwords.verify(password, Some(user.password_hash.clone())).await?;
    if !matches {
        throttle::record(&state.db, &[&per_user]).await?;
    }
    Ok(matches)
}
