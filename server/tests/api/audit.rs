//! The audit trail: what happened, to which account, from where; never a secret.

use std::time::Duration;

use crate::helpers::{TestApp, PASSWORD};

#[derive(Debug, PartialEq, sqlx::FromRow)]
struct Row {
    event: String,
    username: Option<String>,
    user_id: Option<String>,
    ip: String,
    user_agent: String,
    detail: String,
}

async fn trail(app: &TestApp) -> Vec<Row> {
    let db = app.db().await;
    sqlx::query_as::<_, Row>(
        "SELECT event, username, user_id, ip, user_agent, detail FROM audit_events ORDER BY seq",
    )
    .fetch_all(&db)
    .await
    .expect("the audit trail")
}

#[tokio::test]
async fn every_account_event_is_recorded_with_who_and_from_where() {
    let app = TestApp::spawn_with(&["--login-attempts", "2"]).await;
    let cookie = app.sign_up("alice").await;
    let alice = app.user_id("alice").await;
    let new = "battery-staple-2";
    let change = [("current_password", PASSWORD), ("password", new), ("password_confirm", new)];
    let changed = app.post_form("/api/change_password", Some(&cookie), &change).await;
    let renewed = crate::helpers::session_cookie(&changed).expect("a renewed cookie").value;
    app.post_form("/api/logout", Some(&renewed), &[]).await;
    app.visitor().log_in("alice", "wrong-guess-xx").await;
    app.visitor().log_in("nobody", "wrong-guess-xx").await;
    app.visitor().log_in("alice", "wrong-guess-xx").await;
    app.visitor().log_in("alice", new).await; // throttled by now

    let trail = trail(&app).await;

    let events: Vec<&str> = trail.iter().map(|row| row.event.as_str()).collect();
    assert_eq!(
        events,
        [
            "signed_up",
            "password_changed",
            "logged_out",
            "login_failed",
            "login_failed",
            "login_failed",
            "login_throttled",
        ]
    );
    assert_eq!(trail[1].detail, "other_sessions_ended=0");
    assert_eq!(trail[2].user_id.as_deref(), Some(alice.as_str()));
    assert_eq!(trail[2].username.as_deref(), Some("alice"), "logged_out names the account");
    assert_eq!(trail[3].user_id.as_deref(), Some(alice.as_str()), "a failure on a real account");
    assert_eq!(trail[4].user_id, None, "no such account");
    assert_eq!(trail[4].username.as_deref(), Some("nobody"));
    for row in &trail {
        assert_eq!(row.ip, "127.0.0.1", "{row:?}");
        for secret in [PASSWORD, new, "wrong-guess-xx", cookie.as_str(), "$argon2"] {
            assert!(!format!("{row:?}").contains(secret), "{row:?} holds a secret");
        }
    }
}

#[tokio::test]
async fn the_browser_is_recorded_as_its_user_agent() {
    let app = TestApp::spawn().await;

    app.http
        .post(app.url("/api/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0")
        .body(format!("username=alice&password={PASSWORD}"))
        .send()
        .await
        .expect("an answer");

    let trail = trail(&app).await;
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].user_agent, "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0");
}

#[tokio::test]
async fn expired_sessions_are_recorded_when_swept() {
    let app = TestApp::spawn_with(&["--session-idle", "1s", "--sweep-every", "1s"]).await;
    app.sign_up("alice").await;
    let alice = app.user_id("alice").await;

    tokio::time::sleep(Duration::from_millis(3500)).await;

    let trail = trail(&app).await;
    let expired: Vec<_> = trail.iter().filter(|row| row.event == "session_expired").collect();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].user_id.as_deref(), Some(alice.as_str()));
}

#[tokio::test]
async fn an_expiry_is_recorded_even_when_the_list_and_sign_out_ran_past_it_first() {
    // The sweep runs at start, then not for an hour: the restart below runs it.
    // Margins of seconds: a loaded machine (hashing for parallel tests) is slow to answer.
    let mut app = TestApp::spawn_with(&["--session-idle", "6s", "--sweep-every", "1h"]).await;
    app.sign_up("alice").await;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let mut live = app.visitor();
    assert_eq!(live.log_in("alice", crate::helpers::PASSWORD).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(3500)).await;

    // The first session has expired; reading the list and signing out the others pass it.
    let cookie = live.cookie.clone().expect("a session");
    assert_eq!(app.post_form("/api/list_sessions", Some(&cookie), &[]).await.status(), 200);
    let ended = app.post_form("/api/revoke_other_sessions", Some(&cookie), &[]).await;
    let ended: serde_json::Value = ended.json().await.expect("JSON");
    assert_eq!(ended["ended"], 0);
    app.restart().await;

    // The sweep runs beside the restarted server: give it a moment, then once more.
    let mut expired = 0;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        expired = trail(&app).await.iter().filter(|row| row.event == "session_expired").count();
        if expired > 0 {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = trail(&app).await.iter().filter(|row| row.event == "session_expired").count();
    assert_eq!((expired, again), (1, 1), "the expired session was noted once");
}
