//! C20: instances sharing their stores behave as one.

use std::time::{Duration, Instant};

use reqwest::{header, StatusCode};

use crate::{
    fixtures::Instance,
    helpers::{session_cookie, TestStore, PASSWORD},
};

/// The two shared setups: sessions in PostgreSQL, and sessions in Redis. Each gets a fresh
/// database (and key prefix) of its own.
async fn shared_stores() -> Vec<TestStore> {
    vec![TestStore::postgres().await, TestStore::postgres().await.with_redis()]
}

async fn two_instances(store: &TestStore, extra: &[&str]) -> (Instance, Instance) {
    let args = store.args();
    (Instance::start(&args, extra).await, Instance::start(&args, extra).await)
}

#[tokio::test]
async fn c20_a_login_through_one_instance_is_valid_on_the_other_even_under_parallel_calls() {
    for store in shared_stores().await {
        let (a, b) = two_instances(&store, &[]).await;

        let cookie = a.sign_up("alice").await;

        let page = b.page("/account", &cookie).await;
        assert_eq!(page.status(), StatusCode::OK, "{}", store.name());
        assert!(page.text().await.expect("a page").contains("alice"));
        let again = b.log_in("alice", PASSWORD).await;
        assert_eq!(again.status(), StatusCode::OK);
        let other = session_cookie(&again).expect("a session").value;
        assert!(a.is_signed_in(&other).await, "{}", store.name());

        // 100 parallel server-function calls on one session, split between the instances.
        let mut calls = tokio::task::JoinSet::new();
        for n in 0..100 {
            let instance = if n % 2 == 0 { &a } else { &b };
            let request = instance
                .http
                .post(format!("{}/api/current_user", instance.base))
                .header(header::COOKIE, format!("sesame={cookie}"));
            calls.spawn(async move {
                let response = request.send().await.expect("an answer");
                let status = response.status();
                let body: serde_json::Value = response.json().await.expect("JSON");
                (status, body["username"].as_str().map(str::to_owned))
            });
        }
        while let Some(answer) = calls.join_next().await {
            let (status, username) = answer.expect("the task");
            assert_eq!(status, StatusCode::OK, "{}", store.name());
            assert_eq!(username.as_deref(), Some("alice"), "{}", store.name());
        }
    }
}

#[tokio::test]
async fn c20_sessions_survive_restarting_an_instance_and_stay_valid_on_the_other() {
    for store in shared_stores().await {
        let (mut a, b) = two_instances(&store, &[]).await;
        let cookie = a.sign_up("alice").await;

        a.restart().await;

        assert!(a.is_signed_in(&cookie).await, "{}: lost at A's restart", store.name());
        assert!(b.is_signed_in(&cookie).await, "{}", store.name());
    }
}

#[tokio::test]
async fn c20_activity_through_one_instance_keeps_the_session_alive_on_the_other() {
    for store in shared_stores().await {
        // A 3 s idle limit; the session is used through B only, for longer than that.
        let (a, b) = two_instances(&store, &["--session-idle", "3s"]).await;
        let cookie = a.sign_up("alice").await;
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            assert!(b.is_signed_in(&cookie).await, "{}", store.name());
            tokio::time::sleep(Duration::from_millis(500)).await;
        }

        assert!(a.is_signed_in(&cookie).await, "{}: B's activity not seen by A", store.name());
    }
}

#[tokio::test]
async fn c20_a_logout_on_one_instance_ends_the_session_on_the_other_at_its_next_request() {
    for store in shared_stores().await {
        let (a, b) = two_instances(&store, &[]).await;
        let cookie = a.sign_up("alice").await;
        assert!(a.is_signed_in(&cookie).await);

        assert_eq!(b.post("/api/logout", Some(&cookie), &[]).await.status(), StatusCode::OK);

        let page = a.page("/account", &cookie).await;
        assert_eq!(page.status(), StatusCode::SEE_OTHER, "{}", store.name());
        let location = page.headers()[header::LOCATION].to_str().expect("ASCII").to_owned();
        assert!(location.contains("ended=1"), "{location}");
        let call = a.post("/api/list_sessions", Some(&cookie), &[]).await;
        assert_eq!(call.status(), StatusCode::UNAUTHORIZED, "{}", store.name());
    }
}

#[tokio::test]
async fn c20_revocation_and_password_change_on_one_instance_end_sessions_on_the_other() {
    for store in shared_stores().await {
        let (a, b) = two_instances(&store, &[]).await;
        let on_a = a.sign_up("alice").await;
        let on_b = session_cookie(&b.log_in("alice", PASSWORD).await).expect("a session").value;

        // B signs out every other session: A's is gone at A's next request.
        let revoked = b.post("/api/revoke_other_sessions", Some(&on_b), &[]).await;
        assert_eq!(revoked.status(), StatusCode::OK, "{}", store.name());
        assert!(!a.is_signed_in(&on_a).await, "{}: revocation on B not seen by A", store.name());

        // A signs in again; B changes the password: A's session ends, B's goes on.
        let on_a = session_cookie(&a.log_in("alice", PASSWORD).await).expect("a session").value;
        let new_password = "a-new-correct-horse-2";
        let changed = b
            .post(
                "/api/change_password",
                Some(&on_b),
                &[
                    ("current_password", PASSWORD),
                    ("password", new_password),
                    ("password_confirm", new_password),
                ],
            )
            .await;
        assert_eq!(changed.status(), StatusCode::OK, "{}", store.name());
        let renewed = session_cookie(&changed).expect("a new session id").value;
        assert!(
            !a.is_signed_in(&on_a).await,
            "{}: password change on B not seen by A",
            store.name()
        );
        assert!(a.is_signed_in(&renewed).await);
        assert_eq!(a.log_in("alice", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn c20_guesses_spread_over_instances_count_against_one_limit() {
    for store in shared_stores().await {
        let (a, b) = two_instances(&store, &["--login-attempts", "4"]).await;
        a.sign_up("alice").await;

        let mut statuses = Vec::new();
        for guess in 0..8 {
            let instance = if guess % 2 == 0 { &a } else { &b };
            statuses.push(instance.log_in("alice", &format!("wrong-guess-{guess}")).await.status());
        }

        let checked = statuses.iter().filter(|&&s| s == StatusCode::UNAUTHORIZED).count();
        assert_eq!(checked, 4, "{}: {statuses:?}", store.name());
        assert!(statuses[4..].iter().all(|&s| s == StatusCode::TOO_MANY_REQUESTS));
        assert_eq!(a.log_in("alice", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(b.log_in("alice", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
    }
}
