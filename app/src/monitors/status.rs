//! The public status page (`/status`), its JSON (`/status.json`) and a badge per
//! published service (`/status/badge/NAME.svg`). No login; only what
//! [`PublicStatus`](super::PublicStatus) carries — public names, states, uptime,
//! certificate days, backup times and incident starts — ever leaves through them.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};

use super::api::get_public_status;
use super::{percent, MonitorState, PublicService};
use crate::ui::format::Time;
use crate::ui::layout::{keep_fresh, ErrorNote};

/// How often an open status page reads the states again (with JavaScript); without it
/// the page reloads itself at this pace.
const REFRESH_SECS: u64 = 30;

#[component]
pub fn StatusPage() -> impl IntoView {
    let status = Resource::new(|| (), |_| get_public_status());
    keep_fresh(status, std::time::Duration::from_secs(REFRESH_SECS));
    view! {
        <Title text="Status"/>
        // Without JavaScript the page reloads itself; with it, keep_fresh reads the data.
        <noscript><Meta http_equiv="refresh" content=REFRESH_SECS.to_string()/></noscript>
        <Transition fallback=|| view! { <p class="muted">"Reading the status…"</p> }>
            {move || status.get().map(|answer| match answer {
                Ok(status) => {
                    let headline = status.headline();
                    let all_up = !status.services.iter().any(|service| service.state == MonitorState::Down);
                    view! {
                        <h1 class=if all_up { "status-headline up" } else { "status-headline down" }>{headline}</h1>
                        {if status.services.is_empty() {
                            view! { <p class="empty">"Nothing is published on this page yet."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="status-list">
                                    {status.services.into_iter().map(|service| view! { <ServiceRow service/> }.into_any()).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        <p class="small muted">"Updated " <Time at=status.generated_at/> "."</p>
                    }.into_any()
                }
                Err(error) => view! { <h1>"Status"</h1><ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn ServiceRow(service: PublicService) -> impl IntoView {
    let PublicService {
        name,
        state,
        uptime,
        certificate_days_left,
        last_backup,
        down_since,
    } = service;
    let state_text = match state {
        MonitorState::Up => "Up",
        MonitorState::Down => "Down",
        MonitorState::Unknown => "No data yet",
    };
    let title = name.clone();
    view! {
        <li class="card status-service" data-service=name data-state=state.as_str()>
            <h2>{title}</h2>
            <p><span class=format!("badge monitor-{}", state.as_str())>{state_text}</span>
                {down_since.map(|at| view! { " since " <Time at/> })}</p>
            <dl class="facts">
                <div><dt>"Uptime 24 h"</dt><dd>{percent(uptime.day)}</dd></div>
                <div><dt>"30 days"</dt><dd>{percent(uptime.month)}</dd></div>
                <div><dt>"90 days"</dt><dd>{percent(uptime.quarter)}</dd></div>
                {certificate_days_left.map(|days| view! { <div><dt>"Certificate"</dt><dd>{super::certificate_left(days)}</dd></div> })}
                {last_backup.map(|at| view! { <div><dt>"Last backup"</dt><dd><Time at/></dd></div> })}
            </dl>
        </li>
    }
}

/// The name a service's badge is reached by: its public name in lower case, with runs of
/// other characters as one `-` ("Chat UI" → "chat-ui").
pub fn badge_slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_owned()
}

#[cfg(feature = "ssr")]
pub mod routes {
    use axum::extract::{Path, State};
    use axum::http::{header, StatusCode};
    use axum::response::{IntoResponse, Response};

    use super::badge_slug;
    use crate::core::state::AppState;
    use crate::monitors::{MonitorState, PublicStatus};

    async fn status(state: &AppState) -> Result<PublicStatus, Response> {
        crate::monitors::service::public_status(state)
            .await
            .map_err(|error| error.into_server_fn_response())
    }

    /// `GET /status.json`: the status page's data, nothing more.
    pub async fn status_json(State(state): State<AppState>) -> Response {
        match status(&state).await {
            Ok(status) => {
                ([(header::CACHE_CONTROL, "no-cache")], axum::Json(status)).into_response()
            }
            Err(response) => response,
        }
    }

    /// `GET /status/badge/NAME.svg`: "NAME | up" as a small SVG, for READMEs and wikis.
    pub async fn badge(State(state): State<AppState>, Path(file): Path<String>) -> Response {
        let Some(slug) = file.strip_suffix(".svg") else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let status = match status(&state).await {
            Ok(status) => status,
            Err(response) => return response,
        };
        let Some(service) = status
            .services
            .into_iter()
            .find(|service| badge_slug(&service.name) == slug)
        else {
            return (
                StatusCode::NOT_FOUND,
                "No published service has this badge.",
            )
                .into_response();
        };
        let (word, colour) = match service.state {
            MonitorState::Up => ("up", "#2e7d32"),
            MonitorState::Down => ("down", "#c62828"),
            MonitorState::Unknown => ("unknown", "#757575"),
        };
        (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            badge_svg(&service.name, word, colour),
        )
            .into_response()
    }

    /// A two-part badge; widths from a 7 px-per-character estimate (no font is read).
    pub fn badge_svg(label: &str, word: &str, colour: &str) -> String {
        let escape = |text: &str| {
            text.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        let left = 10 + 7 * label.chars().count() as u32;
        let right = 10 + 7 * word.chars().count() as u32;
        let width = left + right;
        let label = escape(label);
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{label}: {word}"><title>{label}: {word}</title><rect width="{left}" height="20" fill="#555"/><rect x="{left}" width="{right}" height="20" fill="{colour}"/><g fill="#fff" font-family="sans-serif" font-size="11"><text x="5" y="14">{label}</text><text x="{x}" y="14">{word}</text></g></svg>"##,
            x = left + 5
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badge_names_are_plain() {
        assert_eq!(badge_slug("Chat UI"), "chat-ui");
        assert_eq!(badge_slug("  Website (main) "), "website-main");
        assert_eq!(badge_slug("Ärzte-Portal"), "ärzte-portal");
    }
}
