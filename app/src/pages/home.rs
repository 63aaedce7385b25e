//! `/`: says whether you are signed in, and where to go from here.

use leptos::{either::EitherOf3, prelude::*};
use leptos_meta::Title;

use crate::auth::{Auth, ErrorPanel};

#[component]
pub fn HomePage() -> impl IntoView {
    let auth = Auth::get();
    let query = leptos_router::hooks::use_query_map();
    let deleted = move || query.read().get("deleted").is_some();

    view! {
        <Title text="Sesame"/>
        <section class="card">
            <h1>"Sesame"</h1>
            {move || deleted().then(|| view! {
                <p class="success" role="status">
                    "Your account was deleted, and every session of it signed out."
                </p>
            })}
            <p class="lead">
                "Sign-in that the server keeps: your session lives on the server, "
                "so logging out ends it everywhere the cookie might have gone."
            </p>
            {move || match auth.state() {
                Ok(Some(user)) => EitherOf3::A(view! {
                    <p class="status">
                        "You are signed in as " <strong>{user.username}</strong> ". "
                        <a href="/account" rel="external">"Go to your account"</a>
                    </p>
                }),
                Ok(None) => EitherOf3::B(view! {
                    <p class="status">
                        "You are not signed in. "
                        <a href="/login" rel="external">"Log in"</a> " or "
                        <a href="/signup" rel="external">"create an account"</a> "."
                    </p>
                }),
                Err(error) => EitherOf3::C(view! { <ErrorPanel error/> }),
            }}
        </section>
    }
}
