//! The page frame: header, navigation and the main column.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::auth::api::whoami;
use crate::auth::pages::UserMenu;
use crate::auth::Role;
use crate::ui::paths::{base_path, href, strip_base};

/// The pages that exist today and the role each needs. Navigation lists only pages that
/// work and that the user may open; the server enforces the same roles on its own.
const NAVIGATION: &[(&str, &str, Role)] = &[
    ("/", "Overview", Role::Viewer),
    ("/containers", "Containers", Role::Viewer),
    ("/models", "Models", Role::Viewer),
    ("/backups", "Backups", Role::Viewer),
    ("/monitors", "Monitors", Role::Viewer),
    ("/analytics", "Analytics", Role::Viewer),
    ("/jobs", "Jobs", Role::Viewer),
    ("/routes", "Routes", Role::Viewer),
    ("/audit", "Audit", Role::Viewer),
    ("/connect", "Connect", Role::Viewer),
    ("/users", "Users", Role::Admin),
];

/// Listed after the containers, and only when the local engine is a Swarm manager.
const CLUSTER_ENTRY: (&str, &str, Role) = ("/cluster", "Cluster", Role::Viewer);

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    // One question to the server per page: the navigation and the user menu share it.
    let who = Resource::new(|| (), |_| whoami());
    // The page's own path without the sub-path, to mark the current navigation entry.
    let location = use_location();
    let base = base_path();
    let current = move || {
        location
            .pathname
            .with(|path| strip_base(&base, path).unwrap_or(path).to_owned())
    };
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="top">
            <a class="brand" href=href("/")>"caretaker"</a>
            <Suspense fallback=|| ()>
                {move || who.get().and_then(Result::ok).and_then(|options| Some((options.user?, options.swarm_manager))).map(|(user, swarm_manager)| view! {
                    <nav aria-label="Main">
                        <ul>
                            {NAVIGATION
                                .iter()
                                // The cluster, after the containers, only where the engine is
                                // a Swarm manager.
                                .flat_map(|entry| {
                                    let cluster = entry.0 == "/containers" && swarm_manager;
                                    std::iter::once(entry).chain(cluster.then_some(&CLUSTER_ENTRY))
                                })
                                .filter(|(_, _, role)| user.role >= *role)
                                .map(|(path, label, _)| {
                                    let current = current.clone();
                                    let is_current = move || (current() == *path).then_some("page");
                                    view! { <li><a href=href(path) aria-current=is_current>{*label}</a></li> }
                                })
                                .collect_view()}
                        </ul>
                    </nav>
                    <UserMenu user/>
                })}
            </Suspense>
        </header>
        <main id="main">{children()}</main>
    }
}

/// A plain-sentence error box for a failed server call.
#[component]
pub fn ErrorNote(message: String) -> impl IntoView {
    view! { <p class="error-note" role="alert">{message}</p> }
}

/// In the browser, reads `resource` again every `every`, so a page follows what changes
/// on the server without a reload. Nothing happens on the server or without JavaScript.
pub fn keep_fresh<T>(resource: Resource<T>, every: std::time::Duration)
where
    T: Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || resource.refetch(), every) {
            on_cleanup(move || handle.clear());
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (resource, every);
}
