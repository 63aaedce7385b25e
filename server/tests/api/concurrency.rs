//! Sessions under concurrent use: a logout is final even with requests in flight (C03),
//! parallel requests on one session agree (C04), and parallel logins never trip over
//! SQLite's locking (C18).

use std::{sync::Arc, time::Duration};

use reqwest::StatusCode;
use tokio::task::JoinSet;
use tower_sessions::{session::Id, Session};

use crate::helpers::{session_cookie, TestApp, PASSWORD};

#[tokio::test]
async fn c03_a_slow_request_finishing_after_logout_does_not_bring_the_session_back() {
    let app = TestApp::spawn().await;
    let store = Arc::new(app.session_store().await);

    for round in 0..20 {
        let cookie = app.sign_up(&format!("user{round}")).await;
        let id: Id = cookie.parse().expect("a session id");
        // R1 loads the session the way the session middleware does for any request...
        let slow = Session::new(Some(id), store.clone(), None);
        let reading = Session::new(Some(id), store.clone(), None);
        assert!(slow.get_value("user_id").await.expect("loads").is_some());
        assert!(reading.get_value("user_id").await.expect("loads").is_some());

        // ...R2 logs out meanwhile...
        assert_eq!(app.post_form("/api/logout", Some(&cookie), &[]).await.status(), 200);

        // ...and R1 ends by writing, as a touch would, and is saved like any changed session.
        slow.insert("last_seen", 0).await.expect("an insert");
        slow.save().await.expect("the save itself does not fail");
        assert!(!reading.is_modified(), "a read-only request writes nothing");

        assert!(!app.has_session_record(&cookie).await, "round {round}: the record came back");
        assert!(!app.is_signed_in(&cookie).await, "round {round}: the cookie works again");
    }
}

#[tokio::test]
async fn c03_requests_racing_a_logout_over_http_leave_it_logged_out() {
    // A 10 s idle limit touches the session at most every second: after a pause, each of
    // the racing requests wants to write it back.
    let app = TestApp::spawn_with(&["--session-idle", "10s"]).await;

    for round in 0..5 {
        let cookie = app.sign_up(&format!("racer{round}")).await;
        tokio::time::sleep(Duration::from_millis(1100)).await;

        let mut racing = JoinSet::new();
        for _ in 0..20 {
            let (http, url, cookie) =
                (app.http.clone(), app.url("/api/current_user"), cookie.clone());
            racing.spawn(async move {
                http.post(url).header("Cookie", format!("sesame={cookie}")).send().await
            });
        }
        let logout = app.post_form("/api/logout", Some(&cookie), &[]).await;
        assert_eq!(logout.status(), 200);
        while let Some(done) = racing.join_next().await {
            let status = done.expect("the task").expect("an answer").status();
            assert_eq!(status, 200);
        }

        assert!(!app.has_session_record(&cookie).await, "round {round}: the record came back");
        assert!(!app.is_signed_in(&cookie).await, "round {round}: the cookie works again");
    }
}

#[tokio::test]
async fn c04_a_hundred_parallel_calls_on_one_session_all_see_the_same_user() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;

    let mut calls = JoinSet::new();
    for _ in 0..100 {
        let (http, url, cookie) = (app.http.clone(), app.url("/api/current_user"), cookie.clone());
        calls.spawn(async move {
            let response = http
                .post(url)
                .header("Cookie", format!("sesame={cookie}"))
                .send()
                .await
                .expect("an answer");
            let status = response.status();
            let reissued = session_cookie(&response).map(|c| c.value);
            let body: serde_json::Value = response.json().await.expect("JSON");
            (status, reissued, body["username"].as_str().map(str::to_owned))
        });
    }

    while let Some(outcome) = calls.join_next().await {
        let (status, reissued, username) = outcome.expect("the task");
        assert_eq!(status, StatusCode::OK);
        assert_eq!(username.as_deref(), Some("alice"));
        assert!(reissued.is_none_or(|id| id == cookie), "the session id changed");
    }
    assert!(app.is_signed_in(&cookie).await);
}

#[tokio::test]
async fn c18_fifty_parallel_logins_beside_reads_and_sweeps_all_succeed() {
    let app = TestApp::spawn_with(&["--sweep-every", "1s"]).await;
    let reader = app.sign_up("reader").await;
    for n in 0..50 {
        app.sign_up(&format!("user{n}")).await;
    }

    let mut work = JoinSet::new();
    for n in 0..50 {
        let (http, url) = (app.http.clone(), app.url("/api/login"));
        work.spawn(async move {
            let body = format!("username=user{n}&password={PASSWORD}");
            let response = http
                .post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("an answer");
            (response.status(), session_cookie(&response).map(|c| c.value))
        });
    }
    for _ in 0..100 {
        let (http, url, cookie) = (app.http.clone(), app.url("/account"), reader.clone());
        work.spawn(async move {
            let response = http
                .get(url)
                .header("Accept", "text/html")
                .header("Cookie", format!("sesame={cookie}"))
                .send()
                .await
                .expect("an answer");
            (response.status(), Some(cookie))
        });
    }

    let mut logged_in = Vec::new();
    while let Some(outcome) = work.join_next().await {
        let (status, cookie) = outcome.expect("the task");
        assert_eq!(status, StatusCode::OK, "a request failed under load");
        logged_in.extend(cookie);
    }
    for cookie in logged_in {
        assert!(app.is_signed_in(&cookie).await);
    }
}

#[tokio::test]
async fn c18_thirty_parallel_sign_ups_all_succeed() {
    let app = TestApp::spawn().await;

    let mut signups = JoinSet::new();
    for n in 0..30 {
        let (http, url) = (app.http.clone(), app.url("/api/signup"));
        signups.spawn(async move {
            let body = format!("username=new{n}&password={PASSWORD}&password_confirm={PASSWORD}");
            http.post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("an answer")
                .status()
        });
    }

    while let Some(status) = signups.join_next().await {
        assert_eq!(status.expect("the task"), StatusCode::OK);
    }
    let db = app.db().await;
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&db)
        .await
        .expect("users can be counted");
    assert_eq!(users, 30);
}
