//! C16: the user's sessions, listed and ended from the account page; the account deleted.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{hex, id_hash, session_cookie, TestApp, PASSWORD};

const CHROME_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                            Chrome/120.0.0.0 Safari/537.36";
const FIREFOX_WINDOWS: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";

async fn log_in_with(app: &TestApp, username: &str, user_agent: &str) -> String {
    app.log_in_from_device(username, user_agent).await
}

async fn list(app: &TestApp, cookie: &str) -> Vec<Value> {
    let response = app.post_form("/api/list_sessions", Some(cookie), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("JSON")
}

async fn handle_of(app: &TestApp, cookie: &str) -> String {
    let sessions = list(app, cookie).await;
    let this = sessions.iter().find(|s| s["this_device"] == true).expect("this session");
    this["handle"].as_str().expect("a handle").to_owned()
}

/// Alice on two devices (a1: Chrome on Linux, a2: Firefox on Windows), Bob on one.
async fn three_sessions(app: &TestApp) -> (String, String, String) {
    app.sign_up("alice").await;
    app.sign_up("bob").await;
    // The sign-ups' own sessions end, to leave exactly the sessions of this test.
    let a1 = log_in_with(app, "alice", CHROME_LINUX).await;
    app.post_form("/api/revoke_other_sessions", Some(&a1), &[]).await;
    let a2 = log_in_with(app, "alice", FIREFOX_WINDOWS).await;
    let b1 = log_in_with(app, "bob", CHROME_LINUX).await;
    app.post_form("/api/revoke_other_sessions", Some(&b1), &[]).await;
    (a1, a2, b1)
}

#[tokio::test]
async fn c16_the_list_shows_each_device_and_this_one_and_no_cookie_values() {
    let app = TestApp::spawn().await;
    let (a1, a2, _) = three_sessions(&app).await;

    let sessions = list(&app, &a1).await;

    assert_eq!(sessions.len(), 2);
    let (this, other): (Vec<&Value>, Vec<&Value>) =
        sessions.iter().partition(|session| session["this_device"] == true);
    assert_eq!(this.len(), 1);
    assert_eq!(this[0]["device"], "Chrome on Linux");
    assert_eq!(other[0]["device"], "Firefox on Windows 10");
    assert_eq!(other[0]["ip"], "127.0.0.1");
    let text = serde_json::to_string(&sessions).expect("JSON");
    assert!(!text.contains(&a1) && !text.contains(&a2), "a cookie value was listed");
}

#[tokio::test]
async fn c16_a_revoked_session_is_anonymous_at_its_very_next_request() {
    let app = TestApp::spawn().await;
    let (a1, a2, _) = three_sessions(&app).await;
    let handle = handle_of(&app, &a2).await;

    let response = app.post_form("/api/revoke_session", Some(&a1), &[("handle", &handle)]).await;

    assert_eq!(response.status(), StatusCode::OK);
    let left: Value = response.json().await.expect("JSON");
    assert_eq!(left["ended"], 1);
    assert_eq!(left["sessions"].as_array().expect("a list").len(), 1);
    assert!(!app.has_session_record(&a2).await);
    let page = app.page("/account", Some(&a2)).await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    let login = crate::helpers::location(&page).expect("a redirect");
    assert_eq!(login, "/login?next=%2Faccount&ended=1");
    let message = app.page(&login, None).await.text().await.expect("the login page");
    assert!(message.contains("Your session has ended"));
    let call = app.post_form("/api/list_sessions", Some(&a2), &[]).await;
    assert_eq!(call.status(), StatusCode::UNAUTHORIZED);
    assert!(app.is_signed_in(&a1).await);
}

#[tokio::test]
async fn c16_another_users_session_cannot_be_revoked() {
    let app = TestApp::spawn().await;
    let (a1, _, b1) = three_sessions(&app).await;
    let bobs = handle_of(&app, &b1).await;

    let response = app.post_form("/api/revoke_session", Some(&a1), &[("handle", &bobs)]).await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(app.is_signed_in(&b1).await);
    assert_eq!(list(&app, &b1).await.len(), 1);
}

#[tokio::test]
async fn the_session_in_use_is_ended_by_logging_out_not_by_revoking() {
    let app = TestApp::spawn().await;
    let (a1, _, _) = three_sessions(&app).await;
    let own = handle_of(&app, &a1).await;

    for handle in [own.as_str(), "not-a-handle", ""] {
        let response = app.post_form("/api/revoke_session", Some(&a1), &[("handle", handle)]).await;

        assert!(response.status().is_client_error(), "{handle:?}");
    }
    assert!(app.is_signed_in(&a1).await);
}

#[tokio::test]
async fn c16_signing_out_all_other_sessions_leaves_only_this_one() {
    let app = TestApp::spawn().await;
    let (a1, a2, b1) = three_sessions(&app).await;
    let a3 = log_in_with(&app, "alice", FIREFOX_WINDOWS).await;

    let response = app.post_form("/api/revoke_other_sessions", Some(&a1), &[]).await;

    let left: Value = response.json().await.expect("JSON");
    assert_eq!(left["ended"], 2);
    assert!(app.is_signed_in(&a1).await);
    assert!(!app.is_signed_in(&a2).await && !app.is_signed_in(&a3).await);
    assert!(app.is_signed_in(&b1).await);
}

#[tokio::test]
async fn c16_expired_sessions_drop_off_the_list() {
    // Whole seconds: a 6 s idle limit ends between 5 and 6 s after the last use. The old
    // session is listed at least 6 s after its login answer, the fresh one at most 3 s
    // (plus one request) after its login request.
    let app = TestApp::spawn_with(&["--session-idle", "6s"]).await;
    app.sign_up("alice").await;
    let old = log_in_with(&app, "alice", FIREFOX_WINDOWS).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let fresh = log_in_with(&app, "alice", CHROME_LINUX).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;

    let sessions = list(&app, &fresh).await;

    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert!(!app.is_signed_in(&old).await);
}

#[tokio::test]
async fn the_account_page_lists_sessions_and_recent_activity() {
    let app = TestApp::spawn().await;
    let (a1, _, _) = three_sessions(&app).await;
    app.visitor().log_in("alice", "wrong-password-1").await;

    let page = app.page("/account", Some(&a1)).await.text().await.expect("a page");

    assert!(page.contains("Firefox on Windows 10") && page.contains("Chrome on Linux"));
    assert!(page.contains("This device"));
    assert!(page.contains(r#"action="/api/revoke_session""#));
    assert!(page.contains("Recent security activity"));
    assert!(page.contains("Failed sign-in (wrong password)") && page.contains("Account created"));
}

#[tokio::test]
async fn deleting_the_account_ends_its_sessions_and_frees_the_username() {
    let app = TestApp::spawn().await;
    let (a1, a2, b1) = three_sessions(&app).await;

    let response = app.post_form("/api/delete_account", Some(&a1), &[]).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(session_cookie(&response).expect("a removal").is_removal());
    assert!(!app.is_signed_in(&a1).await && !app.is_signed_in(&a2).await);
    assert!(app.is_signed_in(&b1).await);
    let db = app.db().await;
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM users WHERE lower(username) = 'alice') \
         + (SELECT COUNT(*) FROM audit_events WHERE username = 'alice')",
    )
    .fetch_one(&db)
    .await
    .expect("a count");
    assert_eq!(left, 0, "the user's data is gone");
    app.sign_up("alice").await;
}

#[tokio::test]
async fn deleting_an_account_after_the_sudo_window_asks_for_the_password() {
    let app = TestApp::spawn_with(&["--sudo-window", "1s"]).await;
    let cookie = app.sign_up("alice").await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;

    let without = app.post_form("/api/delete_account", Some(&cookie), &[]).await;
    let wrong = app
        .post_form("/api/delete_account", Some(&cookie), &[("current_password", "nope-nope")])
        .await;

    assert_eq!(without.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = without.json().await.expect("JSON");
    assert_eq!(body["fields"]["current_password"]["problem"], "missing");
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.is_signed_in(&cookie).await);

    let right = app
        .post_form("/api/delete_account", Some(&cookie), &[("current_password", PASSWORD)])
        .await;
    assert_eq!(right.status(), StatusCode::OK);
    assert_eq!(app.visitor().log_in("alice", PASSWORD).await.status(), 401);
}

#[tokio::test]
async fn the_most_recently_active_session_comes_first() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;
    let older = log_in_with(&app, "alice", FIREFOX_WINDOWS).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let newer = log_in_with(&app, "alice", CHROME_LINUX).await;

    let sessions = list(&app, &older).await;

    assert_eq!(sessions[0]["device"], "Chrome on Linux");
    assert!(sessions.iter().skip(1).any(|s| s["device"] == "Firefox on Windows 10"));
    assert!(app.is_signed_in(&newer).await);
}

#[tokio::test]
async fn listing_a_users_sessions_reads_the_user_index_not_the_whole_table() {
    let app = TestApp::spawn().await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    const LISTING: &str =
        "SELECT id_hash, data FROM sessions WHERE user_id = 'x' AND expires_at > 0";

    match app.store.name() {
        "sqlite" => {
            let db = app.db().await;
            let plan: Vec<String> = sqlx::query(&format!("EXPLAIN QUERY PLAN {LISTING}"))
                .fetch_all(&db)
                .await
                .expect("a plan")
                .iter()
                .map(|row| sqlx::Row::try_get::<String, _>(row, "detail").expect("a step"))
                .collect();
            assert!(plan.iter().any(|step| step.contains("INDEX sessions_user_id")), "{plan:?}");
        }
        "postgres" => {
            // A table this small is read whole whatever its indexes; forbidding that shows
            // whether an index serves the query.
            let db = app.db().await;
            let mut connection = db.acquire().await.expect("a connection");
            sqlx::query("SET enable_seqscan = off").execute(&mut *connection).await.expect("set");
            let plan: Vec<String> = sqlx::query(&format!("EXPLAIN {LISTING}"))
                .fetch_all(&mut *connection)
                .await
                .expect("a plan")
                .iter()
                .map(|row| sqlx::Row::try_get::<String, _>(row, 0).expect("a step"))
                .collect();
            assert!(plan.iter().any(|step| step.contains("sessions_user_id")), "{plan:?}");
        }
        _ => {
            // In Redis the index is a sorted set per user: alice's holds her session only.
            let handles = app.redis_index("alice").await;
            let handle = |cookie: &str| hex(&id_hash(cookie).expect("a session id"));
            assert_eq!(handles, vec![handle(&alice)]);
            assert!(!handles.contains(&handle(&bob)));
        }
    }
}

#[tokio::test]
async fn signing_out_the_others_counts_only_sessions_that_were_still_live() {
    // Margins of seconds: a loaded machine (hashing for parallel tests) is slow to answer.
    let app = TestApp::spawn_with(&["--session-idle", "4s", "--sweep-every", "1h"]).await;
    app.sign_up("alice").await;
    log_in_with(&app, "alice", FIREFOX_WINDOWS).await;
    tokio::time::sleep(std::time::Duration::from_millis(4600)).await;
    let current = log_in_with(&app, "alice", CHROME_LINUX).await;
    let live = log_in_with(&app, "alice", FIREFOX_WINDOWS).await;

    let response = app.post_form("/api/revoke_other_sessions", Some(&current), &[]).await;

    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["ended"], 1, "the two expired sessions were not signed out: they had ended");
    assert!(!app.is_signed_in(&live).await);
    assert!(app.is_signed_in(&current).await);
}

#[tokio::test]
async fn a_password_given_inside_the_sudo_window_is_still_checked() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;

    let wrong = app
        .post_form("/api/delete_account", Some(&cookie), &[("current_password", "nope-nope-nope")])
        .await;

    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.is_signed_in(&cookie).await);
    assert_eq!(app.visitor().log_in("alice", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn upgrading_an_old_hash_never_undoes_a_password_change_made_meanwhile() {
    // A login that checked the old password against an old-parameter hash upgrades it
    // only if the stored hash is still the one it checked: here a change came in between.
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;
    let db = app.db().await;
    let hash_read_by_login: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'alice'")
            .fetch_one(&db)
            .await
            .expect("a hash");
    let new_password = "a-new-correct-horse-2";
    let changed = app
        .post_form(
            "/api/change_password",
            Some(&cookie),
            &[
                ("current_password", PASSWORD),
                ("password", new_password),
                ("password_confirm", new_password),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);

    let user_id = app.user_id("alice").await.parse().expect("a UUID");
    app::auth::users::upgrade_hash(&db, user_id, &hash_read_by_login, "$argon2id$stale")
        .await
        .expect("the upgrade runs");

    assert_eq!(app.visitor().log_in("alice", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.visitor().log_in("alice", new_password).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn keys_of_the_earlier_redis_layout_sign_nobody_in_and_block_no_login() {
    let app = TestApp::spawn().await;
    let alice = app.sign_up("alice").await;
    let Some((mut redis, prefix)) = app.store.redis().await else {
        return; // Only the Redis store has had another layout.
    };
    // What the earlier layout left: a hash per session and a set per user, right under the
    // configured prefix, here for a session of alice that has not ended yet.
    let configured = prefix.strip_suffix(server::session_store::redis::LAYOUT).expect("a layout");
    let user_id = app.user_id("alice").await;
    let old_cookie = tower_sessions::session::Id::default().to_string();
    let old = hex(&id_hash(&old_cookie).expect("an id"));
    let ends = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    let data = app.session_data(&alice).await.expect("alice's session").to_string();
    let mut planted = redis::pipe();
    planted
        .cmd("HSET")
        .arg(format!("{configured}session:{old}"))
        .arg(&["u", &user_id, "d", &data, "e", &ends.to_string()])
        .cmd("SADD")
        .arg(format!("{configured}user:{user_id}"))
        .arg(&old)
        .cmd("ZADD")
        .arg(format!("{configured}expiries"))
        .arg(ends)
        .arg(format!("{old}|{user_id}"));
    planted.query_async::<()>(&mut redis).await.expect("Redis takes the old keys");

    assert!(!app.is_signed_in(&old_cookie).await, "an old-layout session is not read");
    let fresh = log_in_with(&app, "alice", CHROME_LINUX).await;
    assert_eq!(list(&app, &fresh).await.len(), 2, "alice's two sessions of this layout");
    let ended = app.post_form("/api/revoke_other_sessions", Some(&fresh), &[]).await;
    assert_eq!(ended.json::<Value>().await.expect("JSON")["ended"], 1);
    assert!(app.is_signed_in(&fresh).await && !app.is_signed_in(&alice).await);
}
