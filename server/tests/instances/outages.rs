//! C19: a store that goes away, or refuses writes, or evicts keys; and stores reached over
//! TLS.

use std::{
    process::Command,
    time::{Duration, Instant},
};

use reqwest::StatusCode;

use crate::{
    fixtures::{certificates, Daemon, Instance, Postgres, Redis},
    helpers::{encode, session_cookie, TestStore, PASSWORD},
};

/// The outage script, the same for either store: a signed-in user, the store stops, every
/// request that needs a session gets a clear 503 (and /healthz says which store), the
/// store comes back, and the same cookie works again without restarting the instance.
async fn survives_an_outage(instance: &Instance, store: &mut dyn Daemon, failing: &str) {
    let cookie = instance.sign_up("alice").await;
    assert!(instance.is_signed_in(&cookie).await);

    store.stop();

    let asked = Instant::now();
    let page = instance.page("/account", &cookie).await;
    assert!(asked.elapsed() < Duration::from_secs(10), "took {:?}", asked.elapsed());
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(session_cookie(&page).is_none(), "the outage must not clear the cookie");
    let text = page.text().await.expect("a page");
    assert!(text.contains("unavailable") || text.contains("try again"), "{text}");
    let call = instance.post("/api/list_sessions", Some(&cookie), &[]).await;
    assert_eq!(call.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(session_cookie(&call).is_none(), "the outage must not clear the cookie");
    let body: serde_json::Value = call.json().await.expect("a JSON error");
    assert_eq!(body["error"], "unavailable", "{body}");
    let login = instance.log_in("alice", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(session_cookie(&login).is_none_or(|c| c.is_removal()), "no session without a store");
    let (status, health) = instance.health().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(health.contains(failing), "{health}");
    if !failing.starts_with("database") {
        // A visitor without a cookie needs no session: the home page is still served.
        let home = instance.http.get(format!("{}/", instance.base)).send().await;
        assert_eq!(home.expect("an answer").status(), StatusCode::OK);
    }

    store.start();

    let started = Instant::now();
    while instance.health().await.0 != StatusCode::OK {
        assert!(started.elapsed() < Duration::from_secs(20), "service did not resume");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(instance.is_signed_in(&cookie).await, "the session was lost in the outage");
    assert_eq!(instance.log_in("alice", PASSWORD).await.status(), StatusCode::OK);
}

/// A Redis of the test's own (to stop or reconfigure), with PostgreSQL for the users.
async fn own_redis(prefix: &str) -> (tempfile::TempDir, Redis, TestStore) {
    let dir = tempfile::tempdir().expect("a directory");
    let redis = Redis::new(dir.path());
    let store =
        TestStore { redis: Some((redis.url(), prefix.to_owned())), ..TestStore::postgres().await };
    (dir, redis, store)
}

#[tokio::test]
async fn c19_when_redis_goes_away_session_requests_get_503_and_resume_when_it_returns() {
    let (_dir, mut redis, store) = own_redis("outage:").await;
    let instance = Instance::start(&store.args(), &[]).await;

    survives_an_outage(&instance, &mut redis, "sessions (redis): unavailable").await;
}

#[tokio::test]
async fn c19_a_redis_that_refuses_writes_gets_503s_not_bare_500s() {
    let (_dir, redis, store) = own_redis("full:").await;
    // A 10 s idle limit: a session is touched (written) at most once a second.
    let instance = Instance::start(&store.args(), &["--session-idle", "10s"]).await;
    let cookie = instance.sign_up("alice").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let config = |value: &str| redis.cli(&["CONFIG", "SET", "maxmemory", value]);

    // Out of memory: reads pass, writes are refused, as on a full Redis or a read-only
    // replica after a failover.
    config("1");
    let call = instance.post("/api/current_user", Some(&cookie), &[]).await;
    let page = instance.page("/account", &cookie).await;
    let (health, _) = instance.health().await;
    let fields = [("username", "bob"), ("password", PASSWORD), ("password_confirm", PASSWORD)];
    let signup = instance.post("/api/signup", None, &fields).await;
    // The same without JavaScript: a plain form post, answered by a redirect to the form.
    let fields = [("username", "carol"), ("password", PASSWORD), ("password_confirm", PASSWORD)];
    let plain_form = instance
        .http
        .post(format!("{}/api/signup", instance.base))
        .header("Accept", "text/html")
        .header("Referer", format!("{}/signup", instance.base))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(encode(&fields))
        .send()
        .await
        .expect("an answer");
    config("0");

    assert_eq!(call.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = call.json().await.expect("a JSON error, not an empty body");
    assert_eq!(body["error"], "unavailable");
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(health, StatusCode::SERVICE_UNAVAILABLE, "/healthz tries a write");
    assert!(instance.is_signed_in(&cookie).await, "the session is still there");

    // The sign-up made the account but could not start its session: it said so (503), the
    // trail notes the account, and the password chosen signs in once Redis takes writes.
    assert_eq!(signup.status(), StatusCode::SERVICE_UNAVAILABLE);
    let said: serde_json::Value = signup.json().await.expect("a JSON error");
    assert_eq!(said["error"], "signed_up_not_signed_in", "{said}");
    assert_eq!(plain_form.status(), StatusCode::SEE_OTHER);
    let back = plain_form.headers()["location"].to_str().expect("a location").to_owned();
    assert!(back.starts_with("/signup?"), "{back}");
    let form = instance.http.get(format!("{}{back}", instance.base)).send().await;
    let form = form.expect("the form").text().await.expect("a page");
    assert!(form.contains("Your account is ready"), "the form does not say the account is there");
    let login = instance.log_in("bob", PASSWORD).await;
    let bob = session_cookie(&login).expect("bob signs in").value;
    let account = instance.page("/account", &bob).await.text().await.expect("a page");
    assert!(account.contains("Account created"), "the trail lost the sign-up");
}

#[tokio::test]
async fn c19_when_postgres_goes_away_session_requests_get_503_and_resume_when_it_returns() {
    let dir = tempfile::tempdir().expect("a directory");
    let mut postgres = Postgres::new(dir.path());
    let store = TestStore { database_url: postgres.url(), redis: None };
    let instance = Instance::start(&store.args(), &[]).await;

    survives_an_outage(&instance, &mut postgres, "database: unavailable").await;
}

#[tokio::test]
async fn the_stores_can_be_reached_over_tls_with_their_certificates_verified() {
    let dir = tempfile::tempdir().expect("a directory");
    let (ca, certificate, key) = certificates(dir.path());
    let redis = Redis::with_tls(dir.path(), &certificate, &key);
    let postgres = Postgres::with_tls(dir.path(), &certificate, &key);
    // verify-full: TLS, a certificate signed by this CA, and for this host.
    let database = format!("{}?sslmode=verify-full&sslrootcert={}", postgres.url(), ca.display());
    let store = TestStore { database_url: database, redis: Some((redis.url(), "tls:".into())) };
    // Redis' certificate is checked against the system's trust store, which this adds to.
    let trust = ca.display().to_string();
    let instance = Instance::start_with_env(&store.args(), &[], &[("SSL_CERT_FILE", &trust)]).await;

    let cookie = instance.sign_up("alice").await;

    assert!(instance.is_signed_in(&cookie).await);

    // Without the CA, each store's certificate is refused.
    let sesame = |store: &TestStore, trust: &str, command: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_sesame"))
            .args(store.args())
            .args(command)
            .env("SSL_CERT_FILE", trust)
            .output()
            .expect("sesame runs");
        (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let mut untrusted_database = store.clone();
    untrusted_database.database_url = postgres.url() + "?sslmode=verify-full";
    let (ok, said) = sesame(&untrusted_database, &trust, &["migrate"]);
    assert!(!ok && said.to_lowercase().contains("certificate"), "{said}");
    let (ok, said) = sesame(&store, "/dev/null", &["sessions", "list", "--user", "alice"]);
    assert!(!ok && said.to_lowercase().contains("certificate"), "{said}");
    let (ok, said) = sesame(&store, &trust, &["sessions", "list", "--user", "alice"]);
    assert!(ok, "{said}");
}

#[tokio::test]
async fn a_redis_evicting_keys_with_a_ttl_takes_sessions_but_never_an_index_they_need() {
    // A full Redis under a `volatile-*` policy makes room by deleting keys that have a TTL,
    // picked by its own rule. This does the same, deterministically: it deletes every other
    // such key. Sessions may go (they are signed out); a user's index must not, or the
    // sessions left would be missing from the list and from "sign out the others".
    let (_dir, redis, store) = own_redis("evict:").await;
    let instance = Instance::start(&store.args(), &[]).await;
    let mut users = Vec::new();
    for n in 0..20 {
        let name = format!("user{n}");
        let first = instance.sign_up(&name).await;
        let second = session_cookie(&instance.log_in(&name, PASSWORD).await).expect("a session");
        users.push((name, [first, second.value]));
    }

    let mut keys: Vec<String> =
        redis.cli(&["--scan", "--pattern", "evict:*"]).lines().map(str::to_owned).collect();
    keys.sort();
    let volatile: Vec<&String> =
        keys.iter().filter(|key| redis.cli(&["TTL", key]).trim() != "-1").collect();
    for key in volatile.iter().step_by(2) {
        redis.cli(&["DEL", key]);
    }

    let mut still_signed_in = 0;
    for (name, cookies) in &users {
        let mut live = Vec::new();
        for cookie in cookies {
            if instance.is_signed_in(cookie).await {
                live.push(cookie);
            }
        }
        still_signed_in += live.len();
        let Some(this) = live.first() else { continue };
        let listed = instance.post("/api/list_sessions", Some(this), &[]).await;
        let listed: serde_json::Value = listed.json().await.expect("a list");
        assert_eq!(listed.as_array().map(Vec::len), Some(live.len()), "{name}: {listed}");
        let ended = instance.post("/api/revoke_other_sessions", Some(this), &[]).await;
        let ended: serde_json::Value = ended.json().await.expect("a count");
        assert_eq!(ended["ended"], live.len() - 1, "{name}");
        for other in &live[1..] {
            assert!(!instance.is_signed_in(other).await, "{name}: a session outlived sign-out");
        }
    }
    assert!(still_signed_in > 0, "every session went: nothing left to check");
}
