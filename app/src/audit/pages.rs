//! The Audit page (`/audit`): filters in the address (a plain GET form), a table, exports.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::list_audit;
use super::{AuditFilter, Outcome};
use crate::ui::format::Time;
use crate::ui::layout::ErrorNote;
use crate::ui::paths::href;

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| AuditFilter {
            actor: q.get("actor").unwrap_or_default(),
            area: q.get("area").unwrap_or_default(),
            from: q.get("from").unwrap_or_default(),
            to: q.get("to").unwrap_or_default(),
        })
    };
    let data = Resource::new(filter, list_audit);
    let export = move |format: &str| {
        let f = filter();
        format!(
            "{}?format={format}&actor={}&area={}&from={}&to={}",
            href("/audit/export"),
            encode(&f.actor),
            encode(&f.area),
            encode(&f.from),
            encode(&f.to)
        )
    };
    view! {
        <Title text="Audit · caretaker"/>
        <h1>"Audit log"</h1>
        <section class="card">
            <Transition fallback=|| view! { <p class="muted">"Reading the log…"</p> }>
                {move || data.get().map(|answer| match answer {
                    Ok(data) => {
                        let current = filter();
                        view! {
                            <form method="get" action=href("/audit") class="inline-form" aria-label="Filter the audit log">
                                <label>"Who "
                                    <select name="actor">
                                        <option value="">"anyone"</option>
                                        {data.actors.iter().map(|actor| view! {
                                            <option value=actor.clone() selected=*actor == current.actor>{actor.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                                <label>"Area "
                                    <select name="area">
                                        <option value="">"all"</option>
                                        {data.areas.iter().map(|area| view! {
                                            <option value=area.clone() selected=*area == current.area>{area.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                                <label>"From " <input type="date" name="from" value=current.from.clone()/></label>
                                <label>"To " <input type="date" name="to" value=current.to.clone()/></label>
                                <button type="submit">"Filter"</button>
                            </form>
                            <p class="small">"Export: " <a href=export("csv")>"CSV"</a> " · " <a href=export("json")>"JSON"</a></p>
                            {data.truncated.then(|| view! { <p class="muted small">{format!("Showing the newest {} entries; narrow the filter or export to see all.", super::PAGE_LIMIT)}</p> })}
                            {if data.entries.is_empty() {
                                view! { <p class="empty">"Nothing recorded for this filter."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="table-scroll">
                                    <table class="audit">
                                        <thead><tr>
                                            <th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"From"</th>
                                            <th scope="col">"Area"</th><th scope="col">"Action"</th><th scope="col">"Target"</th>
                                            <th scope="col">"Result"</th><th scope="col">"Detail"</th>
                                        </tr></thead>
                                        <tbody>
                                            {data.entries.into_iter().map(|entry| view! {
                                                <tr data-outcome=entry.outcome.as_str()>
                                                    <td><Time at=entry.at/></td>
                                                    <td>{entry.actor}</td>
                                                    <td><code>{entry.address}</code></td>
                                                    <td>{entry.area}</td>
                                                    <td>{entry.action}</td>
                                                    <td><code>{entry.target}</code></td>
                                                    <td><span class=format!("badge outcome-{}", entry.outcome.as_str())>{match entry.outcome {
                                                        Outcome::Ok => "ok", Outcome::Refused => "refused", Outcome::Failed => "failed",
                                                    }}</span></td>
                                                    <td class="muted small">{entry.detail}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                    </div>
                                }.into_any()
                            }}
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// Percent-encodes a query value (letters, digits and -._~ stay).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}
