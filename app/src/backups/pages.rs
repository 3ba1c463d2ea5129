//! The backups page (`/backups`): the plans at a glance, and the restic repositories.

use leptos::prelude::*;
use leptos_meta::Title;

use super::api::{get_backups_overview, AddRepository, RemoveRepository};
use super::plan_pages::{CopiesCell, RunBadge};
use super::{BackupsOverview, RepositoryStatus};
use crate::ui::form::ActionForm;
use crate::ui::format::Time;
use crate::ui::layout::ErrorNote;
use crate::ui::paths::href;

#[component]
pub fn BackupsPage() -> impl IntoView {
    let add = ServerAction::<AddRepository>::new();
    let remove = ServerAction::<RemoveRepository>::new();
    let overview = Resource::new(
        move || (add.version().get(), remove.version().get()),
        |_| get_backups_overview(),
    );
    view! {
        <Title text="Backups · caretaker"/>
        <h1>"Backups"</h1>
        <p class="muted">"Backups are kept in restic repositories: a local directory or NFS mount, SFTP, S3-compatible storage or a REST server. Keep at least one copy off-site."</p>
        {move || add.value().get().and_then(Result::err).or_else(|| remove.value().get().and_then(Result::err)).map(|error| view! { <ErrorNote message=error.to_string()/> })}
        <Transition fallback=|| view! { <p class="muted">"Asking restic…"</p> }>
            {move || overview.get().map(|answer| match answer {
                Ok(overview) => view! { <Repositories overview add remove/> }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Repositories(
    overview: BackupsOverview,
    add: ServerAction<AddRepository>,
    remove: ServerAction<RemoveRepository>,
) -> impl IntoView {
    let BackupsOverview {
        repositories,
        plans,
        actions_allowed,
    } = overview;
    let none = repositories.is_empty();
    view! {
        <section class="card" aria-labelledby="plans-title">
            <h2 id="plans-title">"Plans"</h2>
            {if plans.is_empty() {
                view! { <p class="empty">{if none { "No plan yet. Add a repository below, then a plan: what to back up, into which repositories, and how long to keep it." } else { "No plan yet. Create one: what to back up, into which repositories, and how long to keep it." }}</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                    <table class="plans">
                        <thead><tr>
                            <th scope="col">"Plan"</th><th scope="col">"Class"</th><th scope="col">"Copies"</th>
                            <th scope="col">"3-2-1"</th><th scope="col">"Last drill"</th>
                        </tr></thead>
                        <tbody>
                            {plans.into_iter().map(|plan| {
                                let link = href(&format!("/backups/plans/{}", plan.id));
                                let drill = plan.last_drill.clone();
                                view! {
                                    <tr data-plan=plan.spec.name.clone()>
                                        <td><a href=link><strong>{plan.spec.name.clone()}</strong></a>
                                            {plan.running.then(|| view! { " " <span class="badge running">"running"</span> })}
                                            <br/><span class="small muted">{plan.spec.sources.iter().map(super::Source::label).collect::<Vec<_>>().join(" · ")}</span></td>
                                        <td>{plan.spec.data_class.as_str()}</td>
                                        <td><CopiesCell summary=plan.clone()/></td>
                                        <td>{if plan.three_two_one { view! { <span class="badge ok">"met"</span> }.into_any() } else { view! { <span class="badge missed">"not met"</span> }.into_any() }}</td>
                                        <td>{match drill {
                                            Some(run) => view! { <RunBadge run=run.clone()/> " " <Time at=run.started_at/> }.into_any(),
                                            None => view! { <span class="muted">"none yet"</span> }.into_any(),
                                        }}</td>
                                    </tr>
                                }.into_any()
                            }).collect_view()}
                        </tbody>
                    </table>
                    </div>
                }.into_any()
            }}
            {(actions_allowed && !none).then(|| view! { <p><a class="button" href=href("/backups/plans/new")>"New plan"</a></p> })}
        </section>
        <section class="card" aria-labelledby="repos-title">
            <h2 id="repos-title">"Repositories"</h2>
            {if none {
                view! { <p class="empty">"No repository yet. Add one below: a directory such as /srv/restic for a first, on-site copy."</p> }.into_any()
            } else {
                view! { <RepositoryTable repositories actions_allowed remove/> }.into_any()
            }}
            {actions_allowed.then(|| view! { <AddRepositoryForm add open=none/> })}
        </section>
    }
}

#[component]
fn RepositoryTable(
    repositories: Vec<RepositoryStatus>,
    actions_allowed: bool,
    remove: ServerAction<RemoveRepository>,
) -> impl IntoView {
    view! {
        <div class="table-scroll">
        <table class="repositories">
            <thead><tr>
                <th scope="col">"Repository"</th><th scope="col">"Copy"</th><th scope="col">"Snapshots"</th>
                <th scope="col">"Latest"</th><th scope="col">"Password"</th><th scope="col"></th>
            </tr></thead>
            <tbody>
                {repositories.into_iter().map(|repository| {
                    let (state, snapshots, latest) = match &repository.facts {
                        Ok(facts) => ("reachable", facts.snapshots.to_string().into_any(), facts.latest.map(|at| view! { <Time at/> }).into_any()),
                        Err(reason) => ("unreachable", view! { <span class="host-unreachable">{reason.clone()}</span> }.into_any(), ().into_any()),
                    };
                    let remove_form = actions_allowed.then(|| view! {
                        <details class="confirm">
                            <summary aria-label=format!("Remove {}…", repository.name)>"Remove…"</summary>
                            <p class="small">"caretaker forgets this repository. Its snapshots stay where they are."</p>
                            <ActionForm action=remove>
                                <input type="hidden" name="id" value=repository.id.to_string()/>
                                <button type="submit" class="danger">"Yes, remove"</button>
                            </ActionForm>
                        </details>
                    });
                    view! {
                        <tr data-repository=repository.name.clone() data-repository-state=state>
                            <td><strong>{repository.name.clone()}</strong><br/><code class="muted small">{repository.location.clone()}</code></td>
                            <td>{if repository.offsite { "off-site" } else { "on-site" }}</td>
                            <td>{snapshots}</td>
                            <td>{latest}</td>
                            <td class="small">{repository.password_from.clone()}</td>
                            <td>{remove_form}</td>
                        </tr>
                    }.into_any()
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}

#[component]
fn AddRepositoryForm(add: ServerAction<AddRepository>, open: bool) -> impl IntoView {
    view! {
        <details class="add-host" open=open>
            <summary>"Add a repository"</summary>
            <ActionForm action=add attr:class="stacked-form">
                <label for="repo-name">"Name"</label>
                <input id="repo-name" name="form[name]" required placeholder="nas" pattern="[a-z0-9][a-z0-9-]{0,39}"
                    title="1 to 40 lowercase letters, digits and dashes"/>
                <label for="repo-location">"Location"</label>
                <input id="repo-location" name="form[location]" required placeholder="/srv/restic or sftp:backup@nas:/restic" spellcheck="false"/>
                <label for="repo-source">"Password from"</label>
                <select id="repo-source" name="form[password_source]">
                    <option value="secret" selected=true>"typed here (stored encrypted)"</option>
                    <option value="file">"a file on this machine"</option>
                </select>
                <label for="repo-password">"Password"</label>
                <input id="repo-password" name="form[password]" type="password" autocomplete="new-password"/>
                <label for="repo-file">"Password file"</label>
                <input id="repo-file" name="form[password_file]" placeholder="/etc/caretaker/restic.pass"/>
                <label class="check" for="repo-offsite"><input id="repo-offsite" type="checkbox" name="form[offsite]"/>" Off-site copy"</label>
                <span></span>
                <label class="check" for="repo-init"><input id="repo-init" type="checkbox" name="form[init]"/>" Initialise a new repository here (restic init)"</label>
                <span></span>
                <p class="hint small muted">"Without initialising, caretaker opens the repository to check the password. Keep the password somewhere else too: without it the backups cannot be read."</p>
                <button type="submit">"Add repository"</button>
            </ActionForm>
        </details>
    }
}
