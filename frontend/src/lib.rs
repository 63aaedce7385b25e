//! The browser entry point: takes over the page the server rendered.
//!
//! Everything else lives in the `app` crate; this crate only exists so that the WASM build
//! has its own `cdylib` with the `hydrate` feature and nothing from the server.

use wasm_bindgen::prelude::wasm_bindgen;

/// Called by the hydration script that `<HydrationScripts/>` puts in every page.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);

    // A marker that the page is live: styles and end-to-end tests can rely on it.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "");
    }
}
