//! `ActionForm`: a form that calls a server function, with or without JavaScript.
//!
//! Leptos's own `ActionForm` writes the server function's path as the form's `action`,
//! which is wrong when caretaker is served under a sub-path; this one writes it through
//! [`href`](super::paths::href). With JavaScript the submit is sent through the action (so
//! its pending state and result show in place); without, the browser posts the form and
//! the server redirects back.

use leptos::form::FromFormData;
use leptos::prelude::*;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::ServerFn;
use leptos::web_sys::SubmitEvent;
use serde::de::DeserializeOwned;

use super::paths::href;

#[component]
pub fn ActionForm<ServFn>(
    /// The server function the form calls.
    action: ServerAction<ServFn>,
    children: Children,
) -> impl IntoView
where
    ServFn: ServerFn + DeserializeOwned + Clone + Send + Sync + 'static,
    ServFn::Output: Send + Sync + 'static,
    ServFn::Error: FromServerFnError + Send + Sync + 'static,
{
    let on_submit = move |event: SubmitEvent| {
        if event.default_prevented() {
            return;
        }
        event.prevent_default();
        match ServFn::from_event(&event) {
            Ok(input) => {
                action.dispatch(input);
            }
            Err(error) => action
                .value()
                .set(Some(Err(ServFn::Error::from_server_fn_error(
                    ServerFnErrorErr::Serialization(error.to_string()),
                )))),
        }
    };
    view! {
        <form method="post" action=href(ServFn::PATH) on:submit=on_submit>
            {children()}
        </form>
    }
}

/// Counts an action's successful answers. A resource keyed on this reads again after a
/// success but not after an error, so a refused form keeps what the user typed (keying on
/// `version()` would re-render the page and empty the form the error is about).
pub fn successes<S>(action: ServerAction<S>) -> Memo<usize>
where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
{
    Memo::new(move |previous: Option<&usize>| {
        let version = action.version().get();
        match action.value().get() {
            Some(Ok(_)) => version,
            _ => previous.copied().unwrap_or(0),
        }
    })
}
