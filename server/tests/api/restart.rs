use crate::helpers::TestApp;

#[tokio::test]
async fn a_session_survives_a_server_restart() {
    let mut app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;

    app.restart().await;

    assert!(app.is_signed_in(&cookie).await);
}

#[tokio::test]
async fn a_logout_before_a_restart_stays_a_logout() {
    let mut app = TestApp::spawn().await;
    let cookie = app.sign_up("alice").await;
    app.post_form("/api/logout", Some(&cookie), &[]).await;

    app.restart().await;

    assert!(!app.is_signed_in(&cookie).await);
}
