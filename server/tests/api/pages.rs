//! What pages answer, signed in and not.

use crate::helpers::TestApp;

#[tokio::test]
async fn anonymous_account_requests_see_other_to_login_with_next() {
    let app = TestApp::spawn().await;

    let response = app.page("/account", None).await;

    assert_eq!(response.status(), 303);
    assert_eq!(crate::helpers::location(&response).as_deref(), Some("/login?next=%2Faccount"));
    let body = response.text().await.expect("a body");
    assert!(!body.contains("Your account"), "no protected content before the redirect");
}

#[tokio::test]
async fn the_home_page_says_whether_you_are_signed_in() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;

    let anonymous = app.page("/", None).await.text().await.expect("a page");
    let signed_in = app.page("/", Some(&cookie)).await.text().await.expect("a page");

    assert!(anonymous.contains("You are not signed in"));
    assert!(anonymous.contains(r#"href="/signup""#) && anonymous.contains(r#"href="/login""#));
    assert!(signed_in.contains("You are signed in as <strong>alice</strong>"));
}

#[tokio::test]
async fn every_page_offers_logout_while_signed_in() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;

    for path in ["/", "/login", "/signup", "/account", "/nowhere"] {
        let page = app.page(path, Some(&cookie)).await.text().await.expect("a page");

        assert!(page.contains(r#"action="/api/logout""#), "{path} has no logout button");
    }
}

#[tokio::test]
async fn the_account_page_shows_the_username_and_sign_in_time() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;

    let page = app.page("/account", Some(&cookie)).await.text().await.expect("a page");

    assert!(page.contains(r#"data-testid="username">alice<"#));
    assert!(page.contains("<time datetime=\""));
}

#[tokio::test]
async fn unknown_pages_are_404() {
    let app = TestApp::spawn().await;

    assert_eq!(app.page("/nowhere", None).await.status(), 404);
}

#[tokio::test]
async fn healthz_answers_ok_while_the_database_is_usable() {
    let app = TestApp::spawn().await;

    let response = app.http.get(app.url("/healthz")).send().await.expect("an answer");

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_error_crafted_into_the_url_shows_only_our_own_words() {
    let app = TestApp::spawn().await;
    let forged = r#"{"error":"bad_request","message":"Your account is locked. Call +1-555-0100"}"#;
    let encoded = base64_url(forged.as_bytes());

    let page = app
        .page(&format!("/login?__path=%2Fapi%2Flogin&__err={encoded}"), None)
        .await
        .text()
        .await
        .expect("a page");

    assert!(!page.contains("555-0100"));
    assert!(page.contains("The form could not be read."));
}

/// URL-safe base64 with padding, as Leptos encodes errors into URLs.
fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
