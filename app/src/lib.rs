//! Sesame's application: every page, component and server function.
//!
//! Compiled twice: with `ssr` into the server (pages render there and server functions run
//! there), with `hydrate` into the WASM bundle that takes over the rendered page.
//!
//! Where things are:
//! - the login flow: [`auth::login`] (and [`auth::signup`], [`auth::logout`]);
//! - what a session holds: [`auth::session`] (server only);
//! - the session store and the cookie policy: in the `server` crate.

pub mod account;
pub mod auth;
#[cfg(feature = "ssr")]
pub mod client;
pub mod components;
pub mod error;
pub mod next;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod form_post;
#[cfg(feature = "ssr")]
pub mod request_span;
#[cfg(feature = "ssr")]
pub mod state;
pub mod tabs;

use leptos::{either::Either, prelude::*};
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use crate::{
    account::AccountPage,
    auth::{login::LoginPage, logout::LogoutButton, signup::SignupPage, Auth},
    pages::{home::HomePage, not_found::NotFound},
};

/// The HTML document around the app; the server renders it for every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="stylesheet" href="/pkg/sesame.css"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Title text="Sesame"/>
        <Router>
            <Page>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage/>
                    <Route path=path!("/login") view=LoginPage/>
                    <Route path=path!("/signup") view=SignupPage/>
                    <Route path=path!("/account") view=AccountPage/>
                </Routes>
            </Page>
        </Router>
    }
}

/// The frame of every page: the header with the user's state, then the page itself.
#[component]
fn Page(children: Children) -> impl IntoView {
    let auth = Auth::provide();

    view! {
        <a class="skip" href="#main">"Skip to content"</a>
        <header class="site">
            <a class="brand" href="/" rel="external">"Sesame"</a>
            <nav aria-label="Account">
                {move || match auth.user() {
                    Some(user) => Either::Left(view! {
                        <a href="/account" rel="external">{user.username}</a>
                        <LogoutButton/>
                    }),
                    None => Either::Right(view! {
                        <a href="/login" rel="external">"Log in"</a>
                        <a href="/signup" class="button" rel="external">"Sign up"</a>
                    }),
                }}
            </nav>
        </header>
        <main id="main">{children()}</main>
    }
}
