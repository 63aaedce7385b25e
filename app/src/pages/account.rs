//! `/account`: the signed-in user's own page. Anonymous visitors are sent to log in.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::auth::{change_password::ChangePasswordForm, CurrentUser, RequireUser};

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <RequireUser children=|user: CurrentUser| view! {
            <Title text="Your account · Sesame"/>
            <section class="card">
                <h1>"Your account"</h1>
                <dl class="facts">
                    <dt>"Username"</dt>
                    <dd data-testid="username">{user.username}</dd>
                    <dt>"Signed in"</dt>
                    <dd>
                        <time datetime=user.signed_in_at>{user.signed_in_at_text}</time>
                    </dd>
                </dl>
            </section>
            <ChangePasswordForm/>
        }/>
    }
}
