//! Small building blocks shared by the forms.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::use_location;

use crate::{
    auth::{Auth, SignedIn},
    error::{AppError, Field},
    next::login_url_after_session_end,
};

/// A labelled input with its error message announced next to it.
#[component]
pub fn LabeledInput(
    label: &'static str,
    name: &'static str,
    autocomplete: &'static str,
    #[prop(default = "text")] kind: &'static str,
    /// Shown under the label before any error, e.g. the rules for a new password.
    #[prop(optional)]
    hint: Option<&'static str>,
    #[prop(into, optional)] value: Signal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    /// The element id, when two forms of one page have a field of the same name.
    #[prop(optional)]
    id: Option<&'static str>,
) -> impl IntoView {
    let id = id.unwrap_or(name);
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || match (error.get().is_some(), hint.is_some()) {
            (true, true) => Some(format!("{error_id} {hint_id}")),
            (true, false) => Some(error_id.clone()),
            (false, true) => Some(hint_id.clone()),
            (false, false) => None,
        }
    };

    view! {
        <div class="field" class:invalid=move || error.get().is_some()>
            <label for=id>{label}</label>
            {hint.map(|hint| view! { <p class="hint" id=hint_id.clone()>{hint}</p> })}
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                required
                value=move || value.get()
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=described_by
            />
            <p class="field-error" id=error_id aria-live="polite">
                {move || error.get()}
            </p>
        </div>
    }
}

/// The message for `field` out of a form's latest error, as a signal for [`LabeledInput`].
pub fn field_error(error: Signal<Option<AppError>>, field: Field) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|err| err.field_message(field)))
}

/// The form-wide message: what failed, in one sentence, announced when it appears.
#[component]
pub fn FormAlert(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <div class="form-alert" aria-live="assertive">
            {move || {
                let message = error.get()?.user_message();
                Some(view! { <p class="alert" role="alert">{message}</p> })
            }}
        </div>
    }
}

/// With JavaScript on: after `action` signs someone in, tell the other tabs and go where
/// the server said, loading that page afresh. (Without JavaScript the server answers the
/// form with a redirect.)
pub fn go_on_success<S>(action: ServerAction<S>)
where
    S: ServerFn<Output = SignedIn, Error = AppError> + Clone + Send + Sync + 'static,
{
    let auth = Auth::get();
    Effect::new(move |_| {
        if let Some(Ok(signed_in)) = action.value().get() {
            auth.signed_in(signed_in.user);
            go_to(&signed_in.next);
        }
    });
}

/// With JavaScript on: when `action` finds that the session has ended (revoked elsewhere,
/// expired), go to the login page, which says so and brings the user back here.
pub fn leave_when_signed_out<S>(action: ServerAction<S>)
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let auth = Auth::get();
    let location = use_location();
    Effect::new(move |_| {
        let ended =
            action.value().with(|value| matches!(value, Some(Err(AppError::SignInRequired {}))));
        if ended {
            let search = location.search.get_untracked();
            let here = format!("{}?{search}", location.pathname.get_untracked());
            auth.signed_out();
            go_to(&login_url_after_session_end(&here));
        }
    });
}

/// Loads `path` as a new page. Every page is rendered by the server, which checks the
/// session afresh: nothing a tab remembers can stand in for that.
pub fn go_to(path: &str) {
    #[cfg(not(feature = "ssr"))]
    if let Err(err) = window().location().assign(path) {
        leptos::logging::error!("cannot go to {path}: {err:?}");
    }
    #[cfg(feature = "ssr")]
    let _ = path;
}
