//! The account: changing the password, a disabled user, and old password hashes.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{session_cookie, TestApp, PASSWORD};

const NEW_PASSWORD: &str = "battery-staple-2";

async fn change_password(app: &TestApp, cookie: &str, current: &str) -> reqwest::Response {
    let fields = [
        ("current_password", current),
        ("password", NEW_PASSWORD),
        ("password_confirm", NEW_PASSWORD),
    ];
    app.post_form("/api/change_password", Some(cookie), &fields).await
}

#[tokio::test]
async fn c16_a_password_change_ends_every_other_session_and_renews_this_one() {
    let app = TestApp::spawn().await;
    let from_sign_up = app.sign_up("alice").await;
    let mut this_device = app.visitor();
    this_device.log_in("alice", PASSWORD).await;
    let mut other_device = app.visitor();
    other_device.log_in("alice", PASSWORD).await;
    let bobs = app.sign_up("bob").await;
    let before = this_device.cookie.clone().expect("signed in");

    let response = change_password(&app, &before, PASSWORD).await;

    assert_eq!(response.status(), StatusCode::OK);
    let after = session_cookie(&response).expect("a new session id").value;
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["other_sessions_ended"], 2);
    assert_ne!(after, before);
    assert!(app.is_signed_in(&after).await, "this device stays signed in");
    assert!(!app.is_signed_in(&before).await, "the old id is dead");
    assert!(!app.is_signed_in(&from_sign_up).await);
    assert!(!app.is_signed_in(&other_device.cookie.clone().expect("had one")).await);
    assert!(app.is_signed_in(&bobs).await, "other users are untouched");
    assert_eq!(app.visitor().log_in("alice", PASSWORD).await.status(), 401);
    assert_eq!(app.visitor().log_in("alice", NEW_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_wrong_current_password_changes_nothing() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;
    let other = app.sign_up_again_elsewhere("alice").await;

    let response = change_password(&app, &cookie, "not-my-password").await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["fields"]["current_password"]["problem"], "wrong");
    assert!(app.is_signed_in(&cookie).await && app.is_signed_in(&other).await);
    assert_eq!(app.visitor().log_in("alice", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn changing_the_password_needs_a_signed_in_session() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;
    app.post_form("/api/logout", Some(&cookie), &[]).await;

    let response = change_password(&app, &cookie, PASSWORD).await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.visitor().log_in("alice", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_disabled_user_is_signed_out_at_the_next_request_and_cannot_log_in() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;
    let db = app.db().await;

    sqlx::query("UPDATE users SET disabled_at = 1 WHERE username = 'alice'")
        .execute(&db)
        .await
        .expect("the user is disabled");

    assert!(!app.is_signed_in(&cookie).await);
    assert!(!app.has_session_record(&cookie).await);
    let login = app.visitor().log_in("alice", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::FORBIDDEN);
    let wrong = app.visitor().log_in("alice", "not-the-password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "disabled is told only to the owner");
}

#[tokio::test]
async fn a_hash_with_weaker_parameters_is_upgraded_at_the_next_login() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;
    let db = app.db().await;
    // An Argon2id hash of PASSWORD with m=4096, t=1, p=1, as an older release might have
    // made (computed with Python's argon2-cffi, a second implementation).
    let weak = "$argon2id$v=19$m=4096,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$\
                c5nCN/1XMAWpV2DHYdKJaP52JZYGLGcpFvZ3knBVZU0";
    sqlx::query("UPDATE users SET password_hash = $1 WHERE username = 'alice'")
        .bind(weak)
        .execute(&db)
        .await
        .expect("the hash is replaced");

    assert_eq!(app.visitor().log_in("alice", PASSWORD).await.status(), 200);

    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&db)
        .await
        .expect("one user");
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "still {stored}");
}

#[tokio::test]
async fn c16_logins_racing_a_password_change_keep_no_session() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up("alice").await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));

    let mut attackers = tokio::task::JoinSet::new();
    for _ in 0..3 {
        let (http, url, stop) = (app.http.clone(), app.url("/api/login"), stop.clone());
        attackers.spawn(async move {
            let mut cookies = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let response = http
                    .post(&url)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(format!("username=alice&password={PASSWORD}"))
                    .send()
                    .await
                    .expect("an answer");
                cookies.extend(session_cookie(&response).map(|c| c.value));
            }
            cookies
        });
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let changed = change_password(&app, &owner, PASSWORD).await;
    assert_eq!(changed.status(), StatusCode::OK);
    let owner = session_cookie(&changed).expect("a renewed cookie").value;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);

    let mut raced = 0;
    while let Some(cookies) = attackers.join_next().await {
        for cookie in cookies.expect("the task") {
            raced += 1;
            assert!(!app.is_signed_in(&cookie).await, "a session of the old password survived");
        }
    }
    assert!(raced > 0, "no login ran during the test");
    assert!(app.is_signed_in(&owner).await);
}

#[tokio::test]
async fn the_new_password_is_judged_only_after_the_current_one_is_checked() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;
    let weak = "password1234";

    let fields = [("current_password", ""), ("password", weak), ("password_confirm", weak)];
    let response = app.post_form("/api/change_password", Some(&cookie), &fields).await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["fields"]["current_password"]["problem"], "missing");
    assert!(body["fields"]["password"].is_null(), "judged before the current password: {body}");
}

#[tokio::test]
async fn a_logout_racing_a_password_change_stays_a_logout() {
    let app = TestApp::spawn().await;

    for round in 0..6 {
        let username = format!("racer{round}");
        let cookie = app.sign_up(&username).await;
        let change = {
            let (http, url, cookie) =
                (app.http.clone(), app.url("/api/change_password"), cookie.clone());
            tokio::spawn(async move {
                let body = format!(
                    "current_password={PASSWORD}&password={NEW_PASSWORD}\
                     &password_confirm={NEW_PASSWORD}"
                );
                http.post(url)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Cookie", format!("sesame={cookie}"))
                    .body(body)
                    .send()
                    .await
                    .expect("an answer")
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        assert_eq!(app.post_form("/api/logout", Some(&cookie), &[]).await.status(), 200);
        let changed = change.await.expect("the task");

        if let Some(renewed) = session_cookie(&changed).filter(|c| !c.is_removal()) {
            assert!(
                !app.is_signed_in(&renewed.value).await,
                "round {round}: the logout was undone"
            );
        }
        let left = app.sessions_of(&username).await;
        assert_eq!(left, 0, "round {round}: a session survived the logout");
    }
}
