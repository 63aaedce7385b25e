//! The `users` table: who can sign in.
//!
//! Usernames are unique without regard to case (a unique index on `lower(username)`); the
//! spelling a user chose is kept for display. Queries are plain SQL that SQLite and
//! PostgreSQL both accept, run through sqlx's `Any` driver.

use sqlx::{AnyPool, Row};
use uuid::Uuid;

use crate::{error::AppError, state::db_error};

/// A user as the login flow needs it.
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub password_hash: String,
    /// A disabled user cannot sign in, and their sessions end at their next request.
    pub disabled: bool,
    /// Bumped at every password change; sessions of an older version are over.
    pub credential_version: i64,
}

pub enum Created {
    Yes(Uuid),
    UsernameTaken,
}

fn parse_id(text: &str) -> Result<Uuid, AppError> {
    text.parse().map_err(|err| {
        tracing::error!(error = %err, "a user id in the database is not a UUID");
        AppError::Internal {}
    })
}

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, AppError> {
    let id: String = row.try_get("id").map_err(db_error)?;
    Ok(User {
        id: parse_id(&id)?,
        username: row.try_get("username").map_err(db_error)?,
        password_hash: row.try_get("password_hash").map_err(db_error)?,
        disabled: row.try_get::<Option<i64>, _>("disabled_at").map_err(db_error)?.is_some(),
        credential_version: row.try_get("credential_version").map_err(db_error)?,
    })
}

pub async fn find_by_username(db: &AnyPool, username: &str) -> Result<Option<User>, AppError> {
    let row = sqlx::query(
        "SELECT id, username, password_hash, disabled_at, credential_version FROM users \
         WHERE lower(username) = lower($1)",
    )
    .bind(username)
    .fetch_optional(db)
    .await
    .map_err(db_error)?;

    row.as_ref().map(user_from_row).transpose()
}

pub async fn find_by_id(db: &AnyPool, id: Uuid) -> Result<Option<User>, AppError> {
    let row = sqlx::query(
        "SELECT id, username, password_hash, disabled_at, credential_version \
             FROM users WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(db)
    .await
    .map_err(db_error)?;

    row.as_ref().map(user_from_row).transpose()
}

/// Inserts a user; a username that exists in any letter case is reported, not overwritten.
pub async fn create(
    db: &AnyPool,
    username: &str,
    password_hash: &str,
) -> Result<Created, AppError> {
    let id = Uuid::new_v4();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();

    let inserted = sqlx::query(
        "INSERT INTO users (id, username, password_hash, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id.to_string())
    .bind(username)
    .bind(password_hash)
    .bind(now)
    .execute(db)
    .await;

    match inserted {
        Ok(_) => Ok(Created::Yes(id)),
        Err(sqlx::Error::Database(err)) if err.is_unique_violation() => Ok(Created::UsernameTaken),
        Err(err) => Err(db_error(err)),
    }
}

/// Replaces a hash made with older parameters by one of the same password: nothing else
/// changes, sessions included. Only while the stored hash is still `old`: a password
/// changed meanwhile must not be overwritten with the one just checked.
pub async fn upgrade_hash(db: &AnyPool, id: Uuid, old: &str, hash: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
        .bind(hash)
        .bind(id.to_string())
        .bind(old)
        .execute(db)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Sets a new password's hash and moves the credential version on, which ends every
/// session signed in with an earlier password. Answers the new version; a user deleted
/// meanwhile is no longer signed in.
pub async fn change_password_hash(db: &AnyPool, id: Uuid, hash: &str) -> Result<i64, AppError> {
    sqlx::query_scalar(
        "UPDATE users SET password_hash = $1, credential_version = credential_version + 1 \
         WHERE id = $2 RETURNING credential_version",
    )
    .bind(hash)
    .bind(id.to_string())
    .fetch_optional(db)
    .await
    .map_err(db_error)?
    .ok_or(AppError::SignInRequired {})
}

/// Deletes a user and their audit trail. (Their sessions must be ended first: a session
/// store outside this database does not follow foreign keys.)
pub async fn delete(db: &AnyPool, id: Uuid) -> Result<(), AppError> {
    let mut tx = db.begin().await.map_err(db_error)?;
    sqlx::query("DELETE FROM audit_events WHERE user_id = $1")
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)
}

/// Disables a user (they cannot sign in; their sessions end at their next request) or
/// enables them again.
pub async fn set_disabled(db: &AnyPool, id: Uuid, disabled: bool) -> Result<(), AppError> {
    let at = disabled.then(|| time::OffsetDateTime::now_utc().unix_timestamp());
    sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id.to_string())
        .execute(db)
        .await
        .map_err(db_error)?;
    Ok(())
}
