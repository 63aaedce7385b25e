//! Guessing passwords is throttled per (username, address) and per address, never so that
//! the owner is locked out everywhere; sign-ups are throttled per address.

use reqwest::StatusCode;

use crate::helpers::{encode, TestApp, PASSWORD};

/// The app behind a "proxy" (the test itself), so requests can come from any address.
async fn behind_proxy(extra: &[&str]) -> TestApp {
    let mut args = vec!["--trusted-proxies", "127.0.0.1"];
    args.extend_from_slice(extra);
    TestApp::spawn_with(&args).await
}

async fn log_in_from(app: &TestApp, ip: &str, username: &str, password: &str) -> reqwest::Response {
    app.http
        .post(app.url("/api/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("X-Forwarded-For", ip)
        .body(encode(&[("username", username), ("password", password)]))
        .send()
        .await
        .expect("an answer")
}

const ATTACKER: &str = "198.51.100.66";
const OWNER: &str = "203.0.113.7";

#[tokio::test]
async fn the_sixth_guess_from_one_address_is_refused_before_any_password_check() {
    let app = behind_proxy(&[]).await;
    app.sign_up("alice").await;

    for _ in 0..5 {
        assert_eq!(log_in_from(&app, ATTACKER, "alice", "wrong-guess-xx").await.status(), 401);
    }
    let refused = log_in_from(&app, ATTACKER, "alice", PASSWORD).await;

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 =
        refused.headers()["retry-after"].to_str().expect("ASCII").parse().expect("secs");
    assert!((890..=900).contains(&wait), "Retry-After: {wait}");
    let body: serde_json::Value = refused.json().await.expect("JSON");
    assert_eq!(body["message"], "Too many attempts. Try again in 15 minutes.");
}

#[tokio::test]
async fn the_owner_still_logs_in_from_another_address_during_an_attack() {
    let app = behind_proxy(&[]).await;
    app.sign_up("alice").await;
    for _ in 0..6 {
        log_in_from(&app, ATTACKER, "alice", "wrong-guess-xx").await;
    }

    assert_eq!(log_in_from(&app, OWNER, "alice", PASSWORD).await.status(), 200);
    assert_eq!(log_in_from(&app, ATTACKER, "alice", PASSWORD).await.status(), 429);
}

#[tokio::test]
async fn one_address_spraying_many_usernames_is_throttled_too() {
    let app = behind_proxy(&["--login-attempts-per-ip", "8"]).await;
    app.sign_up("alice").await;

    for n in 0..8 {
        let status =
            log_in_from(&app, ATTACKER, &format!("user{n}"), "wrong-guess-xx").await.status();
        assert_eq!(status, 401);
    }

    assert_eq!(log_in_from(&app, ATTACKER, "alice", PASSWORD).await.status(), 429);
    assert_eq!(log_in_from(&app, OWNER, "alice", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_successful_login_forgets_earlier_failures() {
    let app = behind_proxy(&[]).await;
    app.sign_up("alice").await;
    for _ in 0..4 {
        log_in_from(&app, OWNER, "alice", "typo-typo-typo").await;
    }
    assert_eq!(log_in_from(&app, OWNER, "alice", PASSWORD).await.status(), 200);

    for _ in 0..4 {
        assert_eq!(log_in_from(&app, OWNER, "alice", "typo-typo-typo").await.status(), 401);
    }
    assert_eq!(log_in_from(&app, OWNER, "alice", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn throttling_survives_a_restart() {
    let mut app = behind_proxy(&[]).await;
    app.sign_up("alice").await;
    for _ in 0..5 {
        log_in_from(&app, ATTACKER, "alice", "wrong-guess-xx").await;
    }

    app.restart().await;

    assert_eq!(log_in_from(&app, ATTACKER, "alice", PASSWORD).await.status(), 429);
}

#[tokio::test]
async fn sign_ups_are_limited_per_address() {
    let app = behind_proxy(&["--signups-per-ip", "3"]).await;
    let sign_up = |ip: &'static str, username: String| {
        let request = app
            .http
            .post(app.url("/api/signup"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Forwarded-For", ip)
            .body(encode(&[
                ("username", &username),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ]));
        async move { request.send().await.expect("an answer").status() }
    };

    for n in 0..3 {
        assert_eq!(sign_up(ATTACKER, format!("bot{n}")).await, 200);
    }

    assert_eq!(sign_up(ATTACKER, "bot3".into()).await, 429);
    assert_eq!(sign_up(OWNER, "alice".into()).await, 200);
}

#[tokio::test]
async fn guessing_the_current_password_through_a_stolen_session_is_throttled() {
    let app = TestApp::spawn().await;
    let stolen = app.sign_up("alice").await;
    let new = "battery-staple-2";
    let wrong =
        [("current_password", "wrong-guess-xx"), ("password", new), ("password_confirm", new)];
    let right = [("current_password", PASSWORD), ("password", new), ("password_confirm", new)];
    let guess = |fields| app.post_form("/api/change_password", Some(&stolen), fields);

    for _ in 0..5 {
        assert_eq!(guess(&wrong).await.status(), 422);
    }

    assert_eq!(guess(&right).await.status(), 429);
}

#[tokio::test]
async fn a_parallel_burst_of_guesses_gets_no_more_through_than_the_limit() {
    let app = behind_proxy(&[]).await;
    app.sign_up("alice").await;

    let mut burst = tokio::task::JoinSet::new();
    for n in 0..30 {
        let guess = format!("wrong-guess-{n:02}");
        let request = app
            .http
            .post(app.url("/api/login"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Forwarded-For", ATTACKER)
            .body(encode(&[("username", "alice"), ("password", &guess)]));
        burst.spawn(async move { request.send().await.expect("an answer").status() });
    }
    let mut checked = 0;
    while let Some(status) = burst.join_next().await {
        let status = status.expect("the task");
        assert!(status == 401 || status == 429, "got {status}");
        checked += usize::from(status != 429);
    }

    assert!(checked <= 5, "{checked} passwords were checked in a burst; the limit is 5");

    // Refused attempts are not counted, so what the burst left of the limit can still be
    // used, one by one: 5 checks in all, then nothing, not even the right password.
    while log_in_from(&app, ATTACKER, "alice", "wrong-guess-xx").await.status() == 401 {
        checked += 1;
    }
    assert_eq!(checked, 5);
    assert_eq!(log_in_from(&app, ATTACKER, "alice", PASSWORD).await.status(), 429);
}

#[tokio::test]
async fn a_parallel_burst_of_sign_ups_creates_no_more_accounts_than_the_limit() {
    let app = behind_proxy(&["--signups-per-ip", "5"]).await;
    let sign_up = |username: String| {
        app.http
            .post(app.url("/api/signup"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Forwarded-For", ATTACKER)
            .body(encode(&[
                ("username", username.as_str()),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ]))
    };

    let mut burst = tokio::task::JoinSet::new();
    for n in 0..20 {
        let request = sign_up(format!("bot{n}"));
        burst.spawn(async move { request.send().await.expect("an answer").status().as_u16() });
    }
    let mut statuses = Vec::new();
    while let Some(status) = burst.join_next().await {
        statuses.push(status.expect("the task"));
    }
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 429),
        "every answer is a new account or 429: {statuses:?}"
    );
    let mut created = statuses.iter().filter(|&&s| s == 200).count();
    assert!(created <= 5, "{created} accounts in a burst; the limit is 5");

    // A burst may be refused whole (every attempt saw the others counted), but refused
    // attempts are taken back: what it left of the limit can still be used, one by one,
    // and then nothing more.
    for n in 0..10 {
        let status = sign_up(format!("late{n}")).send().await.expect("an answer").status();
        if status != 200 {
            assert_eq!(status, 429);
            break;
        }
        created += 1;
    }
    assert_eq!(created, 5, "accounts created in all from one address");
}

#[tokio::test]
async fn a_flood_of_throttled_attempts_is_noted_once_in_the_audit_trail() {
    let app = behind_proxy(&["--login-attempts-per-ip", "3"]).await;
    app.sign_up("alice").await;
    // Three failures fill the network's bucket; then ever new usernames, all refused.
    for n in 0..25 {
        log_in_from(&app, ATTACKER, &format!("spray{n}"), "wrong-guess-xx").await;
    }

    let db = app.db().await;
    let count = |query: &'static str| {
        let db = db.clone();
        async move { sqlx::query_scalar::<_, i64>(query).fetch_one(&db).await.expect("a count") }
    };
    assert_eq!(count("SELECT COUNT(*) FROM audit_events WHERE event = 'login_throttled'").await, 1);
    assert_eq!(count("SELECT COUNT(*) FROM audit_events WHERE event = 'login_failed'").await, 3);
    assert!(count("SELECT COUNT(*) FROM throttle_events").await <= 8, "refusals leave no rows");
}
