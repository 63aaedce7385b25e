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
    })
}

pub async fn find_by_username(db: &AnyPool, username: &str) -> Result<Option<User>, AppError> {
    let row = sqlx::query(
        "SELECT id, username, password_hash, disabled_at FROM users \
         WHERE lower(username) = lower($1)",
    )
    .bind(username)
    .fetch_optional(db)
    .await
    .map_err(db_error)?;

    row.as_ref().map(user_from_row).transpose()
}

pub async fn find_by_id(db: &AnyPool, id: Uuid) -> Result<Option<User>, AppError> {
    let row =
        sqlx::query("SELECT id, username, password_hash, disabled_at FROM users WHERE id = $1")
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

/// Replaces a user's password hash (after a password change, or to upgrade its parameters).
pub async fn set_password_hash(db: &AnyPool, id: Uuid, hash: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id.to_string())
        .execute(db)
        .await
        .map_err(db_error)?;
    Ok(())
}
