//! The account's recent security activity: sign-ins and their failures, sign-outs,
//! sessions ended from elsewhere, password changes; from the audit trail.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::AccountData;

/// How many events the page shows.
pub const SHOWN: i64 = 20;

/// One event as the account page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityView {
    pub at: String,
    /// What happened, in words.
    pub what: String,
    pub device: String,
    pub ip: String,
}

/// The latest events of `user_id`, newest first.
#[cfg(feature = "ssr")]
pub async fn recent(
    db: &sqlx::AnyPool,
    user_id: uuid::Uuid,
) -> Result<Vec<ActivityView>, crate::error::AppError> {
    use sqlx::Row;

    use crate::{auth::format_for_people, state::db_error};

    let rows = sqlx::query(
        "SELECT at, event, ip, user_agent FROM audit_events WHERE user_id = $1 \
         ORDER BY at DESC, seq DESC LIMIT $2",
    )
    .bind(user_id.to_string())
    .bind(SHOWN)
    .fetch_all(db)
    .await
    .map_err(db_error)?;

    rows.iter()
        .map(|row| {
            let at: i64 = row.try_get("at").map_err(db_error)?;
            let event: String = row.try_get("event").map_err(db_error)?;
            let ip: String = row.try_get("ip").map_err(db_error)?;
            let user_agent: String = row.try_get("user_agent").map_err(db_error)?;
            let at = time::OffsetDateTime::from_unix_timestamp(at)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            Ok(ActivityView {
                at: format_for_people(at),
                what: describe(&event).to_owned(),
                device: super::device::describe(&user_agent),
                ip: if ip.is_empty() { "—".into() } else { ip },
            })
        })
        .collect()
}

/// An audit event's name in words.
#[cfg(feature = "ssr")]
fn describe(event: &str) -> &'static str {
    match event {
        "signed_up" => "Account created",
        "login_succeeded" => "Signed in",
        "login_failed" => "Failed sign-in (wrong password)",
        "login_throttled" => "Sign-ins paused after repeated failures",
        "login_refused_disabled" => "Sign-in refused: account disabled",
        "logged_out" => "Signed out",
        "session_expired" => "Session expired",
        "sessions_revoked" => "Signed out other sessions",
        "password_changed" => "Password changed",
        "password_change_failed" => "Wrong current password when changing it",
        "reauthenticated" => "Password confirmed",
        _ => "Other account event",
    }
}

#[component]
pub fn RecentActivity(data: RwSignal<AccountData>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="activity-heading">
            <h2 id="activity-heading">"Recent security activity"</h2>
            <table class="activity">
                <thead>
                    <tr><th scope="col">"When"</th><th scope="col">"What"</th>
                        <th scope="col">"Device"</th><th scope="col">"Address"</th></tr>
                </thead>
                <tbody>
                    <For
                        each=move || data.get().activity.into_iter().enumerate()
                        key=|(n, event)| (*n, event.at.clone())
                        children=|(_, event)| view! {
                            <tr>
                                <td>{event.at}</td>
                                <td>{event.what}</td>
                                <td>{event.device}</td>
                                <td>{event.ip}</td>
                            </tr>
                        }
                    />
                </tbody>
            </table>
        </section>
    }
}
