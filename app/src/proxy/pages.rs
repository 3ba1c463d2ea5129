//! The routes pages: routes, the generated file with its difference and the apply button,
//! the proxy settings (`/routes`), and the certificate inventory (`/routes/certificates`).

use leptos::prelude::*;
use leptos_meta::Title;

use super::api::{
    certificate_inventory, get_routes, preview_proxy, ApplyProxy, CreateRoute, DeleteRoute,
    SaveProxySettings, UpdateRoute, WatchAllCertificates, WatchRouteCertificate,
};
use super::{
    ApplyRecord, CertificateEntry, DiffLine, Inventory, Preview, RouteForm, RouteRow, RouteTarget,
    RoutesOverview, SettingsForm,
};
use crate::ui::form::{successes, ActionForm};
use crate::ui::format::Time;
use crate::ui::layout::ErrorNote;
use crate::ui::paths::href;

#[component]
pub fn RoutesPage() -> impl IntoView {
    let save_settings = ServerAction::<SaveProxySettings>::new();
    let create = ServerAction::<CreateRoute>::new();
    let update = ServerAction::<UpdateRoute>::new();
    let delete = ServerAction::<DeleteRoute>::new();
    let apply = ServerAction::<ApplyProxy>::new();
    let watch = ServerAction::<WatchRouteCertificate>::new();
    let saved_settings = successes(save_settings);
    let created = successes(create);
    let updated = successes(update);
    let keys = move || {
        (
            saved_settings.get(),
            created.get(),
            updated.get(),
            delete.version().get(),
            apply.version().get(),
            watch.version().get(),
        )
    };
    let overview = Resource::new(keys, |_| get_routes());
    let preview = Resource::new(keys, |_| preview_proxy());
    view! {
        <Title text="Routes · caretaker"/>
        <h1>"Routes"</h1>
        <p class="muted">"Public names for services: a subdomain (app.example.org) or a sub-path (example.org/app), served over HTTPS by your nginx or Caddy, with HTTP redirected to HTTPS. caretaker writes the proxy's file, shows it, has the proxy check it, and reloads the proxy only when the check passes."</p>
        <p><a href=href("/routes/certificates")>"Certificates in use →"</a></p>
        {move || [delete.value().get(), update.value().get(), create.value().get().map(|r| r.map(|_| ())), save_settings.value().get()]
            .into_iter()
            .flatten()
            .find_map(Result::err)
            .map(|error| view! { <ErrorNote message=error.to_string()/> })}
        {move || watch.value().get().map(|answer| match answer {
            Ok(message) => view! { <p class="ok-note" role="status">{message}</p> }.into_any(),
            Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
        })}
        <Transition fallback=|| view! { <p class="muted">"Reading the routes…"</p> }>
            {move || overview.get().map(|answer| match answer {
                Ok(overview) => view! { <RoutesBody overview preview create update delete apply watch save_settings/> }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn RoutesBody(
    overview: RoutesOverview,
    preview: Resource<Result<Preview, crate::core::error::AppError>>,
    create: ServerAction<CreateRoute>,
    update: ServerAction<UpdateRoute>,
    delete: ServerAction<DeleteRoute>,
    apply: ServerAction<ApplyProxy>,
    watch: ServerAction<WatchRouteCertificate>,
    save_settings: ServerAction<SaveProxySettings>,
) -> impl IntoView {
    let RoutesOverview {
        settings,
        settings_form,
        routes,
        services,
        docker_hosts,
        last_apply,
        can_edit,
    } = overview;
    let configured = settings.is_some();
    view! {
        <section class="card" aria-labelledby="routes-title">
            <h2 id="routes-title">"Routes"</h2>
            <RouteTable routes services=services.clone() can_edit update delete watch/>
        </section>
        {can_edit.then(|| view! { <NewRoute services create/> })}
        <section class="card" aria-labelledby="file-title">
            <h2 id="file-title">"Generated configuration"</h2>
            {last_apply.map(|record| view! { <LastApply record/> })}
            {move || apply.value().get().map(|answer| match answer {
                Ok(message) => view! { <p class="ok-note" role="status" data-apply-result>{message}</p> }.into_any(),
                Err(error) => view! { <p class="error-note" role="alert" data-apply-result>{error.to_string()}</p> }.into_any(),
            })}
            {if configured {
                view! {
                    <Transition fallback=|| view! { <p class="muted">"Generating…"</p> }>
                        {move || preview.get().map(|answer| match answer {
                            Ok(preview) => view! { <PreviewView preview can_edit apply/> }.into_any(),
                            Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
                        })}
                    </Transition>
                }.into_any()
            } else {
                view! { <p class="empty">"Set up the proxy below first: choose nginx or Caddy and where caretaker writes its file. The file is shown here before anything is written."</p> }.into_any()
            }}
        </section>
        <SettingsSection form=settings_form docker_hosts can_edit save_settings/>
    }
}

#[component]
fn RouteTable(
    routes: Vec<RouteRow>,
    services: Vec<(i64, String)>,
    can_edit: bool,
    update: ServerAction<UpdateRoute>,
    delete: ServerAction<DeleteRoute>,
    watch: ServerAction<WatchRouteCertificate>,
) -> impl IntoView {
    if routes.is_empty() {
        return view! {
            <p class="empty">"No routes yet. Add one below: a public name like app.example.org or example.org/app, and a service or an address like 127.0.0.1:8080. Then apply the generated configuration."</p>
        }
        .into_any();
    }
    view! {
        <div class="table-scroll">
        <table class="routes">
            <thead><tr>
                <th scope="col">"Public name"</th><th scope="col">"Goes to"</th>
                <th scope="col">"Certificate"</th><th scope="col">"Watched by"</th>
                {can_edit.then(|| view! { <th scope="col">"Actions"</th> })}
            </tr></thead>
            <tbody>
                {routes.into_iter().map(|row| {
                    let RouteRow { route, upstream, monitor } = row;
                    let name = route.public_name();
                    let target = match &route.target {
                        RouteTarget::Service { name, .. } => format!("service {name}"),
                        RouteTarget::Address { address } => address.clone(),
                    };
                    let upstream = match upstream {
                        Ok(address) if matches!(route.target, RouteTarget::Service { .. }) => view! { <br/><code class="small muted">{address}</code> }.into_any(),
                        Ok(_) => ().into_any(),
                        Err(problem) => view! { <br/><span class="error-note small">{problem}</span> }.into_any(),
                    };
                    let certificate = if route.cert_file.is_empty() {
                        view! { <span class="muted">"automatic (Caddy)"</span> }.into_any()
                    } else {
                        view! { <code class="small">{route.cert_file.clone()}</code> }.into_any()
                    };
                    let watched = match monitor {
                        Some((id, monitor)) => view! { <a href=href(&format!("/monitors/{id}"))>{monitor}</a> }.into_any(),
                        None => view! { <span class="muted">"—"</span> }.into_any(),
                    };
                    let id = route.id;
                    let form = RouteForm::of(&route);
                    let services = services.clone();
                    let actions = can_edit.then(|| {
                        let delete_label = format!("Delete the route {name}");
                        let watch_label = format!("Watch the certificate of {}", route.host);
                        view! {
                            <td><div class="actions">
                                <ActionForm action=watch attr:class="inline">
                                    <input type="hidden" name="id" value=id.to_string()/>
                                    <button type="submit" class="secondary" aria-label=watch_label>"Watch certificate"</button>
                                </ActionForm>
                                <details class="more">
                                    <summary aria-label=format!("Edit the route {name}")>"Edit…"</summary>
                                    <ActionForm action=update attr:class="stacked-form">
                                        <input type="hidden" name="id" value=id.to_string()/>
                                        <RouteFields form services prefix=format!("route-{id}")/>
                                        <button type="submit">"Save route"</button>
                                    </ActionForm>
                                </details>
                                <details class="confirm">
                                    <summary aria-label=delete_label>"Delete…"</summary>
                                    <p class="small">"The route leaves the generated file; the proxy keeps serving it until the next apply."</p>
                                    <ActionForm action=delete>
                                        <input type="hidden" name="id" value=id.to_string()/>
                                        <button type="submit" class="danger">"Yes, delete the route"</button>
                                    </ActionForm>
                                </details>
                            </div></td>
                        }
                    });
                    view! {
                        <tr data-route=name.clone()>
                            <td>{name.clone()}</td>
                            <td>{target}{upstream}</td>
                            <td>{certificate}</td>
                            <td>{watched}</td>
                            {actions}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}

#[component]
fn NewRoute(services: Vec<(i64, String)>, create: ServerAction<CreateRoute>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="new-route-title">
            <h2 id="new-route-title">"New route"</h2>
            <ActionForm action=create attr:class="stacked-form">
                <RouteFields form=RouteForm::default() services prefix="route".to_owned()/>
                <button type="submit">"Add route"</button>
            </ActionForm>
        </section>
    }
}

/// The fields of the route form, filled with `form`; `prefix` keeps element ids unique
/// when several forms are on the page.
#[component]
fn RouteFields(form: RouteForm, services: Vec<(i64, String)>, prefix: String) -> impl IntoView {
    let id = |part: &str| format!("{prefix}-{part}");
    let RouteForm {
        public_name,
        service,
        address,
        cert_file,
        key_file,
    } = form;
    view! {
        <label for=id("name")>"Public name"</label>
        <input id=id("name") name="form[public_name]" required value=public_name placeholder="app.example.org or example.org/app" spellcheck="false" aria-describedby=id("name-help")/>
        <p id=id("name-help") class="hint small muted">"A host name for a subdomain route, or a host and a path for a sub-path route (the service then sees its requests without the path)."</p>
        <label for=id("service")>"Service"</label>
        <select id=id("service") name="form[service]">
            <option value="">"— an address instead —"</option>
            {services.into_iter().map(|(choice, name)| {
                let selected = choice.to_string() == service;
                view! { <option value=choice.to_string() selected=selected>{name}</option> }
            }).collect_view()}
        </select>
        <label for=id("address")>"Or an address"</label>
        <input id=id("address") name="form[address]" value=address placeholder="127.0.0.1:8080" spellcheck="false" aria-describedby=id("address-help")/>
        <p id=id("address-help") class="hint small muted">"host:port of anything that speaks HTTP. A service is reached on its first published TCP port."</p>
        <label for=id("cert")>"Certificate file"</label>
        <input id=id("cert") name="form[cert_file]" value=cert_file placeholder="/etc/ssl/caretaker/app.example.org/fullchain.pem" spellcheck="false"/>
        <label for=id("key")>"Key file"</label>
        <input id=id("key") name="form[key_file]" value=key_file placeholder="/etc/ssl/caretaker/app.example.org/privkey.pem" spellcheck="false" aria-describedby=id("cert-help")/>
        <p id=id("cert-help") class="hint small muted">"PEM files as the proxy sees them. nginx needs them; leave both empty with Caddy to have it get a certificate by itself."</p>
    }
}

#[component]
fn LastApply(record: ApplyRecord) -> impl IntoView {
    let class = if record.ok { "ok-note" } else { "error-note" };
    view! {
        <p class=class>
            "Last apply, by " {record.actor.clone()} " at " <Time at=record.at/> ": " {record.message.clone()}
        </p>
    }
}

#[component]
fn PreviewView(preview: Preview, can_edit: bool, apply: ServerAction<ApplyProxy>) -> impl IntoView {
    let Preview {
        kind,
        config_path,
        candidate,
        current,
        read_error,
        diff,
        changed,
    } = preview;
    let state = match (&current, changed) {
        (_, false) => "The file on disk is the generated one: nothing to apply.".to_owned(),
        (None, true) => format!("{config_path} does not exist yet: applying creates it."),
        (Some(_), true) => format!(
            "Changes to {config_path} (removed lines struck through, added lines underlined):"
        ),
    };
    let diff_view = (changed && current.is_some()).then(|| view! {
        <pre class="log diff" data-diff>
            {diff.into_iter().map(|line| match line {
                DiffLine::Same(text) => view! { <span>{format!("  {text}\n")}</span> }.into_any(),
                DiffLine::Added(text) => view! { <ins>{format!("+ {text}")}</ins>"\n" }.into_any(),
                DiffLine::Removed(text) => view! { <del>{format!("- {text}")}</del>"\n" }.into_any(),
            }).collect_view()}
        </pre>
    });
    view! {
        {read_error.map(|error| view! { <ErrorNote message=error/> })}
        <p>{state}</p>
        {diff_view}
        <details open=current.is_none()>
            <summary>{format!("The whole generated file ({})", kind.label())}</summary>
            <pre class="log" data-candidate>{candidate}</pre>
        </details>
        {(can_edit && changed).then(|| view! {
            <ActionForm action=apply>
                <p class="small muted">{format!("Applying writes the file, runs the {} check, and reloads the proxy only if the check passes; otherwise the previous file is put back and the running configuration keeps serving.", kind.label())}</p>
                <button type="submit">"Apply"</button>
            </ActionForm>
        })}
    }
}

#[component]
fn SettingsSection(
    form: SettingsForm,
    docker_hosts: Vec<(String, String)>,
    can_edit: bool,
    save_settings: ServerAction<SaveProxySettings>,
) -> impl IntoView {
    if !can_edit {
        let summary = if form.config_path.is_empty() {
            "The proxy is not set up yet; an admin does it here.".to_owned()
        } else {
            format!(
                "{} writes {} (HTTP port {}, HTTPS port {}).",
                form.kind, form.config_path, form.http_port, form.https_port
            )
        };
        return view! {
            <section class="card" aria-labelledby="settings-title">
                <h2 id="settings-title">"Proxy"</h2>
                <p>{summary}</p>
            </section>
        }
        .into_any();
    }
    let option = |value: &'static str, label: &'static str, current: &str| {
        let selected = value == current;
        view! { <option value=value selected=selected>{label}</option> }
    };
    let SettingsForm {
        kind,
        config_path,
        validate,
        reload_mode,
        reload_command,
        container,
        docker_host,
        http_port,
        https_port,
        listen_address,
    } = form;
    view! {
        <section class="card" aria-labelledby="settings-title">
            <h2 id="settings-title">"Proxy settings"</h2>
            {move || save_settings.value().get().and_then(Result::ok).map(|()| view! { <p class="ok-note" role="status">"Saved."</p> })}
            <ActionForm action=save_settings attr:class="stacked-form">
                <label for="proxy-kind">"Proxy"</label>
                <select id="proxy-kind" name="form[kind]">
                    {option("nginx", "nginx", &kind)}
                    {option("caddy", "Caddy", &kind)}
                </select>
                <label for="proxy-file">"Generated file"</label>
                <input id="proxy-file" name="form[config_path]" value=config_path required spellcheck="false"
                    placeholder="/etc/nginx/conf.d/caretaker.conf" aria-describedby="proxy-file-help"/>
                <p id="proxy-file-help" class="hint small muted">"nginx: a file the main nginx.conf includes inside http { }. Caddy: the Caddyfile itself."</p>
                <label for="proxy-validate">"Validate command"</label>
                <input id="proxy-validate" name="form[validate]" value=validate spellcheck="false"
                    placeholder="nginx -t   or   caddy validate --adapter caddyfile --config FILE" aria-describedby="proxy-validate-help"/>
                <p id="proxy-validate-help" class="hint small muted">"Run with the new file in place, as a list of words (never through a shell). Empty: the usual command for the proxy chosen. For nginx it must read the main configuration that includes the file (add -c /etc/nginx/nginx.conf if that is not the default)."</p>
                <label for="proxy-reload-mode">"Reload"</label>
                <select id="proxy-reload-mode" name="form[reload_mode]">
                    {option("command", "run the reload command", &reload_mode)}
                    {option("signal", "send SIGHUP to the proxy container", &reload_mode)}
                </select>
                <label for="proxy-reload">"Reload command"</label>
                <input id="proxy-reload" name="form[reload_command]" value=reload_command spellcheck="false"
                    placeholder="nginx -s reload   or   caddy reload --adapter caddyfile --config FILE"/>
                <label for="proxy-container">"Proxy container"</label>
                <input id="proxy-container" name="form[container]" value=container spellcheck="false"
                    placeholder="empty: the proxy runs on this machine" aria-describedby="proxy-container-help"/>
                <p id="proxy-container-help" class="hint small muted">"When the proxy runs in a container, the validate and reload commands run inside it through the Docker engine; the generated file must be mounted into it."</p>
                <label for="proxy-docker-host">"Docker host of the container"</label>
                <select id="proxy-docker-host" name="form[docker_host]">
                    {docker_hosts.into_iter().map(|(id, name)| {
                        let selected = id == docker_host;
                        view! { <option value=id selected=selected>{name}</option> }
                    }).collect_view()}
                </select>
                <label for="proxy-http-port">"HTTP port"</label>
                <input id="proxy-http-port" name="form[http_port]" value=http_port inputmode="numeric" placeholder="80"/>
                <label for="proxy-https-port">"HTTPS port"</label>
                <input id="proxy-https-port" name="form[https_port]" value=https_port inputmode="numeric" placeholder="443"/>
                <label for="proxy-listen">"Listen address"</label>
                <input id="proxy-listen" name="form[listen_address]" value=listen_address spellcheck="false"
                    placeholder="empty: every address" aria-describedby="proxy-listen-help"/>
                <p id="proxy-listen-help" class="hint small muted">"An IP address like 127.0.0.1 to serve on one address only. Certificate checks then connect there too."</p>
                <button type="submit">"Save settings"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
pub fn CertificatesPage() -> impl IntoView {
    let watch_all = ServerAction::<WatchAllCertificates>::new();
    let inventory = Resource::new(
        move || watch_all.version().get(),
        |_| certificate_inventory(),
    );
    view! {
        <Title text="Certificates · Routes · caretaker"/>
        <p><a href=href("/routes")>"← Routes"</a></p>
        <h1>"Certificates"</h1>
        <p class="muted">"The certificates your routes serve: the files the nginx configuration names, and what each routed host presents in a live TLS handshake, with the days left before they expire."</p>
        {move || watch_all.value().get().map(|answer| match answer {
            Ok(message) => view! { <p class="ok-note" role="status">{message}</p> }.into_any(),
            Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
        })}
        <Transition fallback=|| view! { <p class="muted">"Reading the certificates and connecting to each route…"</p> }>
            {move || inventory.get().map(|answer| match answer {
                Ok(inventory) => view! { <InventoryView inventory watch_all/> }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn InventoryView(
    inventory: Inventory,
    watch_all: ServerAction<WatchAllCertificates>,
) -> impl IntoView {
    let Inventory {
        files,
        live,
        checked_at,
        can_edit,
    } = inventory;
    view! {
        <p class="small muted">"Checked " <Time at=checked_at/> "."</p>
        {(can_edit && !live.is_empty()).then(|| view! {
            <ActionForm action=watch_all>
                <button type="submit">"Watch every routed host with a TLS monitor"</button>
                <p class="small muted">"One TLS monitor per host, checked every hour, warning 14 days before expiry; hosts already watched are left as they are."</p>
            </ActionForm>
        })}
        <section class="card" aria-labelledby="live-title">
            <h2 id="live-title">"Served by the routes"</h2>
            <CertificateTable entries=live empty="No routes yet, or the proxy is not set up: add routes on the Routes page and apply them."/>
        </section>
        <section class="card" aria-labelledby="files-title">
            <h2 id="files-title">"Certificate files"</h2>
            <CertificateTable entries=files empty="No certificate files: routes served by nginx name theirs; Caddy keeps its automatic certificates itself."/>
        </section>
    }
}

#[component]
fn CertificateTable(entries: Vec<CertificateEntry>, empty: &'static str) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="empty">{empty}</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
        <table class="certificates">
            <thead><tr>
                <th scope="col">"Where"</th><th scope="col">"Subject"</th><th scope="col">"Issuer"</th>
                <th scope="col">"Names"</th><th scope="col">"Days left"</th><th scope="col">"State"</th>
            </tr></thead>
            <tbody>
                {entries.into_iter().map(|entry| {
                    let days = entry.days_left.map_or_else(|| "—".to_owned(), |days| days.to_string());
                    let days_attribute = days.clone();
                    let class = if entry.ok { "badge monitor-up" } else { "badge monitor-down" };
                    let routes = (!entry.routes.is_empty()).then(|| view! { <br/><span class="small muted">{entry.routes.join(", ")}</span> });
                    view! {
                        <tr data-certificate=entry.source.clone() data-days-left=days_attribute>
                            <td>{entry.source.clone()}{routes}</td>
                            <td>{entry.subject.clone()}</td>
                            <td>{entry.issuer.clone()}</td>
                            <td>{entry.names.join(", ")}</td>
                            <td>{days}</td>
                            <td><span class=class>{if entry.ok { "fine" } else { "attention" }}</span><br/><span class="small">{entry.summary.clone()}</span></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}
