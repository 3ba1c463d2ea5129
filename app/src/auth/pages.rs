//! The login page, the one-time link page, the Users page and the user menu.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{list_rules, list_users, whoami, AddRule, RemoveRule, RevokeSessions};
use super::{AccessRule, CurrentUser, Role, RuleKind, UserSummary};
use crate::ui::form::ActionForm;
use crate::ui::format::Time;
use crate::ui::layout::ErrorNote;
use crate::ui::paths::href;

fn refusal_sentence(code: &str) -> &'static str {
    match code {
        "not-allowed" => "Your GitHub account is not on caretaker's allow-list. Ask an admin to add you (or your organisation or team), then log in again.",
        "stale" => "That login attempt does not belong to this browser or took too long. Please start again.",
        "github" => "GitHub did not complete the login. Please try again; the server log has the details.",
        "scope" => "GitHub did not grant access to your organisation memberships (read:org), which this allow-list needs. Log in again and allow it.",
        "denied" => "You cancelled the login at GitHub.",
        "too-many" => "Too many login attempts from your address. Wait a minute and try again.",
        "bad-link" => "That login link is unknown, already used or expired. Ask for a new one with `caretaker admin login-link`.",
        _ => "The login did not work. Please try again.",
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let options = Resource::new(|| (), |_| whoami());
    let query = use_query_map();
    let error = move || query.with(|q| q.get("error"));
    view! {
        <Title text="Log in · caretaker"/>
        <section class="card narrow">
            <h1>"Log in to caretaker"</h1>
            {move || error().map(|code| view! { <p class="error-note" role="alert">{refusal_sentence(&code)}</p> })}
            <Suspense fallback=|| ()>
                {move || options.get().map(|answer| match answer {
                    Ok(options) => {
                        let signed_in = options.user.map(|user| view! {
                            <p>"You are logged in as " <strong>{user.login}</strong> ". " <a href=href("/")>"Go to the overview"</a></p>
                        });
                        let github = if options.github_enabled {
                            view! {
                                <form method="post" action=href("/auth/github/start")>
                                    <button type="submit">"Log in with GitHub"</button>
                                </form>
                            }.into_any()
                        } else {
                            view! {
                                <p>"GitHub login is not configured yet. On the server, run:"</p>
                                <pre><code>"caretaker admin login-link"</code></pre>
                                <p class="muted">"It prints a one-time link (valid 15 minutes) that logs you in as the local administrator. README.md says how to set up GitHub login."</p>
                            }.into_any()
                        };
                        view! { {signed_in} {github} }.into_any()
                    }
                    Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

/// `/auth/link/:token`: a button that posts the token. Opening the link changes nothing,
/// so a link previewer or prefetch cannot use it up.
#[component]
pub fn LinkPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    view! {
        <Title text="One-time login · caretaker"/>
        <section class="card narrow">
            <h1>"Log in as the local administrator"</h1>
            <p>"This link works once and for 15 minutes."</p>
            <form method="post" action=href("/auth/link")>
                <input type="hidden" name="token" value=token/>
                <button type="submit">"Log in"</button>
            </form>
        </section>
    }
}

/// The header's corner: who is logged in, and the logout button.
#[component]
pub fn UserMenu(user: CurrentUser) -> impl IntoView {
    view! {
        <div class="user-menu">
            <span data-user=user.login.clone()>{format!("{} · {}", user.login, user.role.as_str())}</span>
            <form method="post" action=href("/auth/logout")>
                <button type="submit" class="secondary">"Log out"</button>
            </form>
        </div>
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let add = ServerAction::<AddRule>::new();
    let remove = ServerAction::<RemoveRule>::new();
    let revoke = ServerAction::<RevokeSessions>::new();
    let rules = Resource::new(
        move || (add.version().get(), remove.version().get()),
        |_| list_rules(),
    );
    let users = Resource::new(
        move || (remove.version().get(), revoke.version().get()),
        |_| list_users(),
    );
    view! {
        <Title text="Users · caretaker"/>
        <h1>"Users"</h1>
        <section class="card" aria-labelledby="rules-title">
            <h2 id="rules-title">"Who may log in"</h2>
            <p class="muted">"A rule lets a GitHub user, every member of an organisation, or every member of a team in. The strongest matching rule decides the role. Removing a rule locks out everyone it let in, at their next click."</p>
            <Transition fallback=|| ()>
                {move || rules.get().map(|answer| match answer {
                    Ok(rules) => view! { <RuleTable rules remove/> }.into_any(),
                    Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
                })}
            </Transition>
            <h3>"Add a rule"</h3>
            <ActionForm action=add attr:class="inline-form">
                <div class="field">
                    <label for="rule-kind">"Kind"</label>
                    <select id="rule-kind" name="kind">
                        <option value="user">"GitHub user"</option>
                        <option value="org">"Organisation"</option>
                        <option value="team">"Team (org/team-slug)"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="rule-value">"Who"</label>
                    <input id="rule-value" name="value" required placeholder="octocat, 583231, acme or acme/ops"/>
                </div>
                <div class="field">
                    <label for="rule-role">"Role"</label>
                    <select id="rule-role" name="role">
                        <option value="viewer">"viewer: every page, no change"</option>
                        <option value="admin">"admin: everything"</option>
                    </select>
                </div>
                <button type="submit">"Add rule"</button>
            </ActionForm>
            {move || add.value().get().and_then(Result::err).map(|error| view! { <ErrorNote message=error.to_string()/> })}
        </section>
        <section class="card" aria-labelledby="users-title">
            <h2 id="users-title">"People who have logged in"</h2>
            <Transition fallback=|| ()>
                {move || users.get().map(|answer| match answer {
                    Ok(users) => view! { <UserTable users revoke/> }.into_any(),
                    Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn RuleTable(rules: Vec<AccessRule>, remove: ServerAction<RemoveRule>) -> impl IntoView {
    if rules.is_empty() {
        return view! { <p class="empty">"No rules yet: only the local administrator can log in. Add your GitHub account below."</p> }.into_any();
    }
    view! {
        <table>
            <thead><tr><th scope="col">"Kind"</th><th scope="col">"Who"</th><th scope="col">"Role"</th><th scope="col">"Added"</th><th scope="col"></th></tr></thead>
            <tbody>
                {rules.into_iter().map(|rule| {
                    let kind = match rule.kind { RuleKind::User => "user", RuleKind::Org => "organisation", RuleKind::Team => "team" };
                    let pinned = rule.pinned_id.clone().map(|id| format!(" (GitHub id {id})"));
                    view! {
                        <tr data-rule=rule.value.clone()>
                            <td>{kind}</td>
                            <td><code>{rule.value.clone()}</code><span class="muted small">{pinned}</span></td>
                            <td>{rule.role.as_str()}</td>
                            <td><Time at=rule.created_at/></td>
                            <td>
                                // The confirmation is a second click, with or without JavaScript.
                                <details class="confirm">
                                    <summary>"Remove…"</summary>
                                    <p class="small">"Everyone this rule let in loses access at once."</p>
                                    <ActionForm action=remove>
                                        <input type="hidden" name="id" value=rule.id.to_string()/>
                                        <button type="submit" class="danger">"Yes, remove the rule"</button>
                                    </ActionForm>
                                </details>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

#[component]
fn UserTable(users: Vec<UserSummary>, revoke: ServerAction<RevokeSessions>) -> impl IntoView {
    if users.is_empty() {
        return view! { <p class="empty">"Nobody has logged in yet."</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
        <table>
            <thead><tr><th scope="col">"User"</th><th scope="col">"Role"</th><th scope="col">"Last login"</th><th scope="col">"Active sessions"</th><th scope="col"></th></tr></thead>
            <tbody>
                {users.into_iter().map(|user| {
                    let role = user.role.map_or("no access", Role::as_str);
                    let sessions = user.sessions.len();
                    view! {
                        <tr data-user-row=user.login.clone()>
                            <td><strong>{user.login.clone()}</strong><br/><span class="muted small">{user.provider.clone()} {user.name.clone().map(|n| format!(" · {n}"))}</span></td>
                            <td>{role}</td>
                            <td>{user.last_login_at.map(|at| view! { <Time at/> })}</td>
                            <td>
                                {sessions} <ul class="sessions">
                                    {user.sessions.iter().map(|session| view! {
                                        <li class="muted small">{session.address.clone()} " · seen " <Time at=session.last_seen_at/> " · " {session.user_agent.clone()}</li>
                                    }).collect_view()}
                                </ul>
                            </td>
                            <td>
                                {(sessions > 0).then(|| view! {
                                    <details class="confirm">
                                        <summary>"Revoke sessions…"</summary>
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="user_id" value=user.id.to_string()/>
                                            <button type="submit" class="danger">"Yes, end every session now"</button>
                                        </ActionForm>
                                    </details>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }.into_any()
}
