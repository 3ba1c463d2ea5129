//! The page frame: header, navigation and the main column.

use leptos::prelude::*;
use leptos_router::components::A;

/// The pages that exist today. Navigation lists only pages that work; an area adds its
/// entry here when its page lands.
const NAVIGATION: &[(&str, &str)] = &[("/", "Overview")];

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="top">
            <a class="brand" href="/">"caretaker"</a>
            <nav aria-label="Main">
                <ul>
                    {NAVIGATION
                        .iter()
                        .map(|(href, label)| view! { <li><A href=*href exact=true>{*label}</A></li> })
                        .collect_view()}
                </ul>
            </nav>
        </header>
        <main id="main">{children()}</main>
    }
}

/// A plain-sentence error box for a failed server call.
#[component]
pub fn ErrorNote(message: String) -> impl IntoView {
    view! { <p class="error-note" role="alert">{message}</p> }
}
