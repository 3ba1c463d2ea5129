//! caretaker's product: the pages, server functions and logic of every area.
//!
//! Layout: one folder per area (`overview`, `tasks`, …), each with `mod.rs` (types shared
//! with the browser), `api.rs` (server functions), `pages.rs` (components) and, on the
//! server only, `service.rs` (logic) and `store.rs` (SQL). `core` holds what all areas
//! stand on; `ui` holds shared components.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

pub mod audit;
pub mod auth;
pub mod core;
pub mod overview;
pub mod tasks;
pub mod ui;

/// The HTML document around every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
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
    mark_hydrated();
    view! {
        <Stylesheet id="caretaker" href="/pkg/caretaker.css"/>
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml"/>
        <Title text="caretaker"/>
        <Router>
            <ui::layout::Layout>
                <Routes fallback=NotFound>
                    // Async: the server answers with the finished page, so every page is whole
                    // without JavaScript.
                    <Route path=path!("/") view=overview::pages::OverviewPage ssr=SsrMode::Async/>
                    <Route path=path!("/audit") view=audit::pages::AuditPage ssr=SsrMode::Async/>
                    <Route path=path!("/users") view=auth::pages::UsersPage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=auth::pages::LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/auth/link/:token") view=auth::pages::LinkPage ssr=SsrMode::Async/>
                </Routes>
            </ui::layout::Layout>
        </Router>
    }
}

/// Once the browser has hydrated the page, `<html data-hydrated>` says so; end-to-end tests
/// wait for it before they expect live updates.
fn mark_hydrated() {
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found · caretaker"/>
        <h1>"Page not found"</h1>
        <p>"There is no page at this address. " <a href="/">"Go to the overview"</a> "."</p>
    }
}
