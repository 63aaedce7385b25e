//! Periodic clean-up: expired sessions and old throttling counts are deleted.
//!
//! Neither is needed for correctness (the store refuses an expired session, and throttling
//! only counts events inside its window); the sweep only keeps the tables small.

use std::time::Duration;

use app::{auth::throttle, state::AppState};
use tower_sessions_core::ExpiredDeletion;

use crate::session_store::SqlSessionStore;

/// Throttling windows are at most this long; older events can go.
const THROTTLE_MEMORY: Duration = Duration::from_secs(24 * 3600);

pub async fn run(store: SqlSessionStore, app: AppState, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        if let Err(err) = store.delete_expired().await {
            tracing::error!(error = %err, "deleting expired sessions failed");
        }
        if let Err(err) = throttle::forget_older_than(&app.db, THROTTLE_MEMORY).await {
            tracing::error!(error = %err, "deleting old throttling events failed");
        }
    }
}
