//! Periodic clean-up: expired sessions (each noted in the audit trail), old throttling
//! counts, and audit entries past their retention are deleted.
//!
//! Neither is needed for correctness (the store refuses an expired session, and throttling
//! only counts events inside its window); the sweep only keeps the tables small.

use std::time::Duration;

use app::{
    auth::{
        audit::{self, Entry, Event},
        throttle,
    },
    client::Client,
    state::AppState,
};

use crate::session_store::Store;

/// Throttling windows are at most this long; older events can go.
const THROTTLE_MEMORY: Duration = Duration::from_secs(24 * 3600);

pub async fn run(store: Store, app: AppState, every: Duration, audit_retention: Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        match store.sweep().await {
            Ok(users) => record_expiries(&app, users).await,
            Err(err) => tracing::error!(error = %err, "deleting expired sessions failed"),
        }
        if let Err(err) = throttle::forget_older_than(&app.db, THROTTLE_MEMORY).await {
            tracing::error!(error = %err, "deleting old throttling events failed");
        }
        if let Err(err) = audit::forget_older_than(&app.db, audit_retention).await {
            tracing::error!(error = %err, "deleting old audit entries failed");
        }
    }
}

async fn record_expiries(app: &AppState, users: Vec<uuid::Uuid>) {
    let nobody = Client::none();
    for user_id in users {
        let mut entry = Entry::new(Event::SessionExpired, &nobody);
        entry.user_id = Some(user_id);
        if let Err(err) = entry.record(&app.db).await {
            tracing::error!(error = %err, "recording a session expiry failed");
        }
    }
}
