//! Keeping the tabs of one browser in step: a login or logout in one tab updates the others
//! at once, without a reload, over a `BroadcastChannel` (same origin only).
//!
//! Only what the tabs already know travels (who signed in, or that the session ended);
//! the cookie is shared by the tabs anyway and never touched by scripts.

use serde::{Deserialize, Serialize};

use crate::auth::{Auth, CurrentUser};

/// What one tab tells the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    SignedIn(CurrentUser),
    SignedOut,
}

#[cfg(feature = "hydrate")]
const CHANNEL: &str = "sesame-auth";

#[cfg(feature = "hydrate")]
thread_local! {
    /// This tab's end of the channel. (A channel never hears its own messages, so this tab
    /// does not act twice on what it said.)
    static CHANNEL_HERE: std::cell::RefCell<Option<web_sys::BroadcastChannel>> =
        const { std::cell::RefCell::new(None) };
}

/// Listens to the other tabs for the rest of the page's life.
#[cfg(feature = "hydrate")]
pub fn follow(auth: Auth) {
    use wasm_bindgen::{closure::Closure, JsCast};

    let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL) else {
        return; // an old browser: the other tabs follow at their next page instead
    };
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let text = event.data().as_string().unwrap_or_default();
            if let Ok(message) = serde_json::from_str::<Message>(&text) {
                auth.heard(message);
            }
        });
    channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The listener lives as long as the page, like the channel it is attached to.
    on_message.forget();
    CHANNEL_HERE.with(|here| *here.borrow_mut() = Some(channel));
}

/// Tells the other tabs.
#[cfg(feature = "hydrate")]
pub fn tell(message: &Message) {
    let Ok(text) = serde_json::to_string(message) else {
        return;
    };
    CHANNEL_HERE.with(|here| {
        if let Some(channel) = here.borrow().as_ref() {
            let _ = channel.post_message(&wasm_bindgen::JsValue::from_str(&text));
        }
    });
}

#[cfg(not(feature = "hydrate"))]
pub fn follow(_auth: Auth) {}

#[cfg(not(feature = "hydrate"))]
pub fn tell(_message: &Message) {}
