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

pub mod analytics;
pub mod audit;
pub mod auth;
pub mod backups;
pub mod cluster;
pub mod connect;
pub mod containers;
pub mod core;
pub mod jobs;
pub mod models;
pub mod monitors;
pub mod overview;
pub mod proxy;
pub mod services;
pub mod tasks;
pub mod ui;

/// The HTML document around every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    csp::set_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <meta name="caretaker-base" content=ui::paths::base_path()/>
                <HydrationScripts options root=ui::paths::base_path()/>
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
        <Stylesheet id="caretaker" href=ui::paths::href("/pkg/caretaker.css")/>
        <Link rel="icon" href=ui::paths::href("/favicon.svg") type_="image/svg+xml"/>
        <Title text="caretaker"/>
        <Router base=ui::paths::router_base()>
            <ui::layout::Layout>
                <Routes fallback=NotFound>
                    // Async: the server answers with the finished page, so every page is whole
                    // without JavaScript.
                    <Route path=path!("/") view=overview::pages::OverviewPage ssr=SsrMode::Async/>
                    <Route path=path!("/containers") view=containers::pages::ContainersPage ssr=SsrMode::Async/>
                    <Route path=path!("/containers/services") view=services::pages::ServicesPage ssr=SsrMode::Async/>
                    <Route path=path!("/containers/services/new") view=services::pages::NewServicePage ssr=SsrMode::Async/>
                    <Route path=path!("/containers/services/llm-stack") view=models::stack::LlmStackPage ssr=SsrMode::Async/>
                    <Route path=path!("/containers/services/:id") view=services::pages::ServicePage ssr=SsrMode::Async/>
                    <Route path=path!("/containers/:host/:id") view=containers::pages::ContainerPage ssr=SsrMode::Async/>
                    <Route path=path!("/cluster") view=cluster::pages::ClusterPage ssr=SsrMode::Async/>
                    <Route path=path!("/models") view=models::pages::ModelsPage ssr=SsrMode::Async/>
                    <Route path=path!("/models/details") view=models::pages::ModelPage ssr=SsrMode::Async/>
                    <Route path=path!("/backups") view=backups::pages::BackupsPage ssr=SsrMode::Async/>
                    <Route path=path!("/backups/plans/new") view=backups::plan_pages::NewPlanPage ssr=SsrMode::Async/>
                    <Route path=path!("/backups/plans/:id") view=backups::plan_pages::PlanPage ssr=SsrMode::Async/>
                    <Route path=path!("/monitors") view=monitors::pages::MonitorsPage ssr=SsrMode::Async/>
                    <Route path=path!("/analytics") view=analytics::pages::AnalyticsPage ssr=SsrMode::Async/>
                    <Route path=path!("/monitors/new") view=monitors::pages::NewMonitorPage ssr=SsrMode::Async/>
                    <Route path=path!("/monitors/:id") view=monitors::pages::MonitorPage ssr=SsrMode::Async/>
                    <Route path=path!("/status") view=monitors::status::StatusPage ssr=SsrMode::Async/>
                    <Route path=path!("/jobs") view=jobs::pages::JobsPage ssr=SsrMode::Async/>
                    <Route path=path!("/jobs/new") view=jobs::pages::NewJobPage ssr=SsrMode::Async/>
                    <Route path=path!("/jobs/:id") view=jobs::pages::JobPage ssr=SsrMode::Async/>
                    <Route path=path!("/routes") view=proxy::pages::RoutesPage ssr=SsrMode::Async/>
                    <Route path=path!("/routes/certificates") view=proxy::pages::CertificatesPage ssr=SsrMode::Async/>
                    <Route path=path!("/audit") view=audit::pages::AuditPage ssr=SsrMode::Async/>
                    <Route path=path!("/connect") view=connect::pages::ConnectPage ssr=SsrMode::Async/>
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

/// The Content-Security-Policy of pages. Scripts run only from caretaker's origin or with
/// the nonce leptos puts on this response's inline hydration scripts (a new one per
/// response), so injected markup cannot run script.
#[cfg(feature = "ssr")]
pub mod csp {
    use leptos::prelude::use_context;

    use crate::core::state::AppState;

    /// Sets the policy on the response being rendered, with the nonce of its scripts.
    /// Without a nonce nothing is set, and the server's fallback policy (no scripts) applies.
    pub fn set_page_policy() {
        let (Some(nonce), Some(response)) = (
            leptos::nonce::use_nonce(),
            use_context::<leptos_axum::ResponseOptions>(),
        ) else {
            return;
        };
        // The GitHub login form posts to /auth/github/start, which redirects to GitHub;
        // browsers check form-action on that redirect too, so GitHub's origin must be allowed.
        let github = use_context::<AppState>().and_then(|state| {
            let github = state.auth.settings.github.as_ref()?;
            origin(&github.authorize_url)
        });
        let policy = page_policy(&nonce, github.as_deref());
        if let Ok(value) = http::HeaderValue::from_str(&policy) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }

    /// The policy text; `form_target` is one more origin forms may lead to.
    pub fn page_policy(nonce: &str, form_target: Option<&str>) -> String {
        let form_action = match form_target {
            Some(origin) => format!("'self' {origin}"),
            None => "'self'".to_owned(),
        };
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
             base-uri 'none'; frame-ancestors 'none'; form-action {form_action}"
        )
    }

    /// `https://github.com/login/oauth/authorize` → `https://github.com`. `None` unless it
    /// is a plain http(s) origin, so a strange setting cannot add directives to the policy.
    pub fn origin(url: &str) -> Option<String> {
        let (scheme, rest) = url.split_once("://")?;
        if !matches!(scheme, "http" | "https") {
            return None;
        }
        let host = rest.split('/').next()?;
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
        (!host.is_empty() && host.chars().all(plain)).then(|| format!("{scheme}://{host}"))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_policy_carries_the_nonce_and_the_login_origin() {
            assert_eq!(
                page_policy("abc", None),
                "default-src 'self'; script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
            );
            assert!(page_policy("abc", Some("https://github.com"))
                .ends_with("; form-action 'self' https://github.com"));
        }

        #[test]
        fn only_plain_origins_are_taken() {
            assert_eq!(
                origin("https://github.com/login/oauth/authorize").as_deref(),
                Some("https://github.com")
            );
            assert_eq!(
                origin("http://127.0.0.1:9999/login/oauth/authorize").as_deref(),
                Some("http://127.0.0.1:9999")
            );
            assert_eq!(origin("https://gh.example;script-src *"), None);
            assert_eq!(origin("javascript:alert(1)"), None);
            assert_eq!(origin("https:///x"), None);
        }
    }
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
        <p>"There is no page at this address. " <a href=ui::paths::href("/")>"Go to the overview"</a> "."</p>
    }
}
