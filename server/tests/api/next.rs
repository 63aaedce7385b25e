//! `next`: where a login sends the user. Local paths only.

use crate::helpers::{encode, TestApp, PASSWORD};

async fn login_target(app: &TestApp, next: &str) -> String {
    let response = app
        .post_form(
            "/api/login",
            None,
            &[("username", "alice"), ("password", PASSWORD), ("next", next)],
        )
        .await;
    assert_eq!(response.status(), 200, "login with next={next:?}");
    let body: serde_json::Value = response.json().await.expect("JSON");
    body["next"].as_str().expect("a target").to_owned()
}

#[tokio::test]
async fn c15_a_local_path_with_its_query_is_kept() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;

    assert_eq!(login_target(&app, "/account?tab=devices").await, "/account?tab=devices");
}

#[tokio::test]
async fn c15_off_site_and_malformed_targets_fall_back_to_the_account_page() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;

    for next in [
        "//evil.example",
        "https://evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "%2F%2Fevil.example",
        "/account\r\nSet-Cookie: x=y",
        "/\0",
        "",
        "/..//evil.example/x",
        "/.//evil.example",
        "/x/..//evil.example",
        "/%2e%2e//evil.example",
    ] {
        assert_eq!(login_target(&app, next).await, "/account", "next={next:?}");
    }
}

#[tokio::test]
async fn c15_a_header_injection_attempt_in_a_form_login_neither_injects_nor_breaks_the_server() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;

    let body = "username=alice&password=correct-horse-1&next=%2Faccount%0D%0ASet-Cookie:%20x=y";
    let response = app.submit("/api/login", None, None, body).await;

    assert_eq!(response.status(), 303);
    assert_eq!(crate::helpers::location(&response).as_deref(), Some("/account"));
    assert!(crate::helpers::set_cookies(&response).iter().all(|c| c.name != "x"));
    assert_eq!(app.page("/", None).await.status(), 200);
}

#[tokio::test]
async fn c15_a_protected_page_with_a_query_is_where_login_returns() {
    let app = TestApp::spawn().await;
    app.sign_up("alice").await;

    let bounced = app.page("/account?tab=devices", None).await;
    let login_page = crate::helpers::location(&bounced).expect("a redirect to login");
    assert_eq!(login_page, "/login?next=%2Faccount%3Ftab%3Ddevices");

    let fields = [("username", "alice"), ("password", PASSWORD), ("next", "/account?tab=devices")];
    let response = app.submit("/api/login", Some(&login_page), None, encode(&fields)).await;
    assert_eq!(crate::helpers::location(&response).as_deref(), Some("/account?tab=devices"));
}
