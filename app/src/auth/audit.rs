//! The audit trail: every sign-in and its failures, throttling, sign-out, expiry,
//! revocation and password change, written to the database and to the log.
//!
//! An entry names the account (when known), the address and the browser; never a
//! password, a hash or a session id.

use sqlx::AnyPool;
use uuid::Uuid;

use crate::{client::Client, error::AppError, state::db_error};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    LoginSucceeded,
    LoginFailed,
    LoginThrottled,
    LoginRefusedDisabled,
    SignedUp,
    SignupThrottled,
    LoggedOut,
    SessionExpired,
    SessionsRevoked,
    PasswordChanged,
    PasswordChangeFailed,
}

impl Event {
    pub fn name(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::LoginThrottled => "login_throttled",
            Self::LoginRefusedDisabled => "login_refused_disabled",
            Self::SignedUp => "signed_up",
            Self::SignupThrottled => "signup_throttled",
            Self::LoggedOut => "logged_out",
            Self::SessionExpired => "session_expired",
            Self::SessionsRevoked => "sessions_revoked",
            Self::PasswordChanged => "password_changed",
            Self::PasswordChangeFailed => "password_change_failed",
        }
    }
}

/// One entry: the event, about whom, from where.
pub struct Entry<'a> {
    pub event: Event,
    pub user_id: Option<Uuid>,
    pub username: Option<&'a str>,
    pub client: &'a Client,
    pub detail: String,
}

impl<'a> Entry<'a> {
    pub fn new(event: Event, client: &'a Client) -> Self {
        Self { event, user_id: None, username: None, client, detail: String::new() }
    }

    pub fn user(mut self, id: Uuid, username: &'a str) -> Self {
        self.user_id = Some(id);
        self.username = Some(username);
        self
    }

    /// A username as typed, for failures where no account may exist.
    pub fn typed(mut self, username: &'a str) -> Self {
        self.username = Some(username);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    /// Writes the entry to the database and the log.
    pub async fn record(self, db: &AnyPool) -> Result<(), AppError> {
        let username: Option<String> = self.username.map(|name| name.chars().take(64).collect());
        let ip = self.client.ip_text();
        tracing::info!(
            event = self.event.name(),
            user_id = self.user_id.map(tracing::field::display),
            username = username.as_deref(),
            %ip,
            detail = %self.detail,
            "audit"
        );

        sqlx::query(
            "INSERT INTO audit_events (at, event, user_id, username, ip, user_agent, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(time::OffsetDateTime::now_utc().unix_timestamp())
        .bind(self.event.name())
        .bind(self.user_id.map(|id| id.to_string()))
        .bind(username)
        .bind(ip)
        .bind(self.client.user_agent.clone())
        .bind(self.detail)
        .execute(db)
        .await
        .map_err(db_error)?;
        Ok(())
    }
}

/// Deletes entries older than `age`; run periodically (see `SESAME_AUDIT_RETENTION`).
pub async fn forget_older_than(db: &AnyPool, age: std::time::Duration) -> Result<u64, AppError> {
    let age = i64::try_from(age.as_secs()).unwrap_or(i64::MAX);
    let cutoff = time::OffsetDateTime::now_utc().unix_timestamp().saturating_sub(age);
    let deleted = sqlx::query("DELETE FROM audit_events WHERE at <= $1")
        .bind(cutoff)
        .execute(db)
        .await
        .map_err(db_error)?;
    Ok(deleted.rows_affected())
}
