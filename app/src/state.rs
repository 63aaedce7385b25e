//! What server functions need from the running server, handed to them through Leptos context.

use leptos::prelude::use_context;
use sqlx::AnyPool;

use std::sync::Arc;

use crate::{
    auth::{
        password::Passwords,
        session::{SessionPolicy, UserSessions},
        throttle::ThrottlePolicy,
    },
    error::AppError,
};

/// Shared, cheap to clone: every field is a handle.
#[derive(Clone)]
pub struct AppState {
    /// Users (and, by default, sessions) live here: SQLite or PostgreSQL.
    pub db: AnyPool,
    pub passwords: Passwords,
    /// Fewest characters a new password may have (never below the ASVS floor of 12).
    pub min_password_chars: usize,
    /// How long sessions last.
    pub sessions: SessionPolicy,
    /// The session store's index from user to sessions.
    pub user_sessions: Arc<dyn UserSessions>,
    /// How many failed attempts are allowed.
    pub throttle: ThrottlePolicy,
    /// How recently the user must have proved who they are for sensitive changes.
    pub sudo_window: std::time::Duration,
}

impl AppState {
    /// The state of the server this request runs in.
    pub fn current() -> Result<Self, AppError> {
        use_context::<Self>().ok_or_else(|| {
            tracing::error!("AppState missing from the Leptos context");
            AppError::Internal {}
        })
    }
}

/// Turns a database error into what the user sees, after logging the cause.
pub fn db_error(err: sqlx::Error) -> AppError {
    if is_unavailable(&err) {
        tracing::error!(error = %err, "database unavailable");
        return AppError::Unavailable {};
    }
    tracing::error!(error = %err, "database error");
    AppError::Internal {}
}

/// Whether an error says the database cannot be reached or is going away (as opposed to a
/// query it refused): the request gets a 503, and a later one may well succeed.
fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        // PostgreSQL's SQLSTATE classes 08 (connection exception) and 57P (operator
        // intervention: shutting down, crash recovery, cannot connect now).
        sqlx::Error::Database(err) => {
            err.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P"))
        }
        _ => false,
    }
}
