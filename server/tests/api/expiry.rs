//! C06: sessions end on the server after their idle and absolute limits, whatever the
//! cookie says; reading pages counts as activity. Short limits keep these tests quick.

use std::time::{Duration, Instant};

use tokio::time::sleep;

use crate::helpers::{session_cookie, TestApp, PASSWORD};

#[tokio::test]
async fn c06_an_idle_session_ends_on_the_server_and_a_replayed_cookie_is_refused() {
    let app = TestApp::spawn_with(&["--session-idle", "2s"]).await;
    let cookie = app.sign_up("alice").await;
    assert!(app.is_signed_in(&cookie).await);

    sleep(Duration::from_millis(3200)).await;

    assert!(!app.is_signed_in(&cookie).await, "an idle session was still accepted");
    let who = app.post_form("/api/current_user", Some(&cookie), &[]).await;
    assert_eq!(who.json::<Option<serde_json::Value>>().await.expect("JSON"), None);
}

#[tokio::test]
async fn c06_a_reading_user_stays_signed_in_past_the_idle_timeout() {
    let app = TestApp::spawn_with(&["--session-idle", "3s"]).await;
    let mut browser = app.visitor();
    browser.log_in_after_sign_up("alice").await;

    for _ in 0..8 {
        sleep(Duration::from_secs(1)).await;
        let response = browser.get("/account").await;
        assert_eq!(response.status(), 200, "logged out while reading");
        if let Some(cookie) = session_cookie(&response) {
            assert!(!cookie.has("Max-Age"), "a browser-session cookie stays one");
        }
    }
}

#[tokio::test]
async fn c06_an_active_session_ends_at_the_absolute_limit() {
    // Sessions keep whole seconds, so an 8 s limit ends between 7 and 8 s after sign-in.
    // The test reads every second and asserts only what the clock makes certain: a read
    // answered within 7 s of the login request is signed in; a check sent 8 s after the
    // login answer is not. Reads less than 3 s apart keep the 4 s idle limit from ending it
    // (a read at `t` leaves the session idle-valid past `t + 3 s`), so the end is the
    // absolute limit's.
    let app = TestApp::spawn_with(&["--session-idle", "4s", "--session-absolute", "8s"]).await;
    app.sign_up("alice").await;
    let mut browser = app.visitor();
    let asked = Instant::now();
    assert_eq!(browser.log_in("alice", PASSWORD).await.status(), 200);
    let answered = Instant::now();
    let cookie = browser.cookie.clone().expect("signed in");

    let mut previous = answered;
    let mut past_idle_limit = false;
    while answered.elapsed() < Duration::from_secs(8) {
        sleep(Duration::from_secs(1)).await;
        let sent = Instant::now();
        assert!(sent - previous < Duration::from_secs(3), "reads too far apart to tell");
        previous = sent;
        let status = browser.get("/account").await.status();
        if asked.elapsed() < Duration::from_secs(7) {
            assert_eq!(status, 200, "signed out {:?} after signing in", sent - answered);
            past_idle_limit |= sent - answered > Duration::from_secs(4);
        }
    }
    assert!(past_idle_limit, "no read past the idle limit: the login took too long to tell");

    assert!(previous.elapsed() < Duration::from_secs(3), "the last read is too old to tell");
    assert!(!app.is_signed_in(&cookie).await, "a session outlived its absolute limit");
}

#[tokio::test]
async fn c06_expired_sessions_are_swept_from_the_store() {
    let app = TestApp::spawn_with(&["--session-idle", "1s", "--sweep-every", "1s"]).await;
    app.sign_up("alice").await;
    assert_eq!(app.session_rows().await, 1);

    sleep(Duration::from_millis(3500)).await;

    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn keep_me_signed_in_gives_a_persistent_cookie_with_the_longer_limits() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;

    let plain = app.visitor().log_in("alice", PASSWORD).await;
    let remembered = app
        .post_form(
            "/api/login",
            None,
            &[("username", "alice"), ("password", PASSWORD), ("remember", "on")],
        )
        .await;

    let plain = session_cookie(&plain).expect("a cookie");
    assert!(!plain.has("Max-Age") && !plain.has("Expires"), "ends with the browser");
    let remembered = session_cookie(&remembered).expect("a cookie");
    let max_age: i64 = remembered
        .attribute("Max-Age")
        .flatten()
        .expect("a persistent cookie")
        .parse()
        .expect("seconds");
    assert!((14 * 24 * 3600 - 5..=14 * 24 * 3600).contains(&max_age), "Max-Age={max_age}");
}

#[tokio::test]
async fn expired_records_leave_redis_by_their_ttl_and_sql_by_the_sweep() {
    // The sweep runs once at start, then not for an hour.
    let app = TestApp::spawn_with(&["--session-idle", "1s", "--sweep-every", "1h"]).await;
    let cookie = app.sign_up("alice").await;
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;

    assert!(!app.is_signed_in(&cookie).await, "an expired session is refused on every store");
    match app.store.name() {
        "redis" => assert_eq!(app.session_rows().await, 0, "Redis let the key expire by itself"),
        _ => assert_eq!(app.session_rows().await, 1, "the row waits for the periodic sweep"),
    }
}
