//! Response headers: a strict Content-Security-Policy, no caching of anything personal,
//! no framing, and HSTS over https.

use crate::helpers::TestApp;

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

#[tokio::test]
async fn pages_allow_only_their_own_nonced_scripts() {
    let app = TestApp::spawn().await;

    for path in ["/", "/login", "/account", "/nowhere"] {
        let response = app.page(path, None).await;
        let policy = header(&response, "content-security-policy").expect("a CSP");
        let page = response.text().await.expect("a page");

        let forbidden = ["'unsafe-inline'", " 'unsafe-eval'", "*"];
        assert!(forbidden.iter().all(|token| !policy.contains(token)), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'") && policy.contains("object-src 'none'"));
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce in the policy");
        assert!(nonce.len() >= 22, "a nonce of 128 bits");
        let scripts = page.matches("<script").count();
        let nonced = page.matches(&format!("<script type=\"module\" nonce=\"{nonce}\"")).count()
            + page.matches(&format!("<script nonce=\"{nonce}\"")).count();
        assert!(scripts > 0 && scripts == nonced, "{path}: {scripts} scripts, {nonced} nonced");
    }
}

#[tokio::test]
async fn every_page_gets_a_new_nonce() {
    let app = TestApp::spawn().await;

    let first = header(&app.page("/", None).await, "content-security-policy");
    let second = header(&app.page("/", None).await, "content-security-policy");

    assert_ne!(first, second);
}

#[tokio::test]
async fn other_responses_allow_nothing_and_are_not_cached() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;

    let api = app.post_form("/api/current_user", Some(&cookie), &[]).await;
    let page = app.page("/account", Some(&cookie)).await;

    assert_eq!(
        header(&api, "content-security-policy").as_deref(),
        Some("default-src 'none'; frame-ancestors 'none'; base-uri 'none'")
    );
    for response in [&api, &page] {
        assert_eq!(header(response, "cache-control").as_deref(), Some("no-store"));
        assert_eq!(header(response, "x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(header(response, "x-frame-options").as_deref(), Some("DENY"));
        assert_eq!(header(response, "referrer-policy").as_deref(), Some("same-origin"));
        assert_eq!(header(response, "strict-transport-security"), None, "not over http");
    }
}

#[tokio::test]
async fn https_deployments_send_hsts() {
    let app = TestApp::spawn_with(&["--public-origin", "https://sesame.example.test"]).await;

    let response = app.page("/", None).await;

    let hsts = header(&response, "strict-transport-security").expect("HSTS");
    assert!(hsts.starts_with("max-age=63072000"));
}

#[tokio::test]
async fn logout_asks_the_browser_to_clear_its_cache_and_storage() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;

    let response = app.post_form("/api/logout", Some(&cookie), &[]).await;

    assert_eq!(header(&response, "clear-site-data").as_deref(), Some("\"cache\", \"storage\""));
    assert_eq!(header(&response, "cache-control").as_deref(), Some("no-store"));
}
