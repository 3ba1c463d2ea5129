//! The LLM stack: an Ollama service and an Open WebUI service set up for it and for GitHub
//! login, created from a form that asks only for what differs per team. Both become normal
//! services of the containers area (deployed, promoted and rolled back like any other),
//! and the Ollama service is added to the models page's servers.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::core::error::AppError;
use crate::ui::form::ActionForm;
use crate::ui::layout::ErrorNote;
use crate::ui::paths::href;

/// What differs per team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackForm {
    pub host: String,
    pub ollama_name: String,
    pub ollama_port: String,
    pub webui_name: String,
    pub webui_port: String,
    /// The address people open Open WebUI at; GitHub sends them back to it.
    pub webui_url: String,
    pub github_client_id: String,
    pub github_client_secret: String,
    /// `auto` (all GPUs when the host has NVIDIA's runtime), `none` or `all`.
    pub gpu: String,
}

impl Default for StackForm {
    fn default() -> Self {
        Self {
            host: crate::containers::LOCAL_HOST_ID.to_owned(),
            ollama_name: "ollama".to_owned(),
            ollama_port: "11434".to_owned(),
            webui_name: "open-webui".to_owned(),
            webui_port: "3000".to_owned(),
            webui_url: String::new(),
            github_client_id: String::new(),
            github_client_secret: String::new(),
            gpu: "auto".to_owned(),
        }
    }
}

/// A host the stack can go on, and whether it has a GPU runtime (`None`: unknown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackHost {
    pub id: String,
    pub name: String,
    pub gpu: Option<bool>,
}

/// Images the stack runs; their tags can be changed on each service afterwards.
pub const OLLAMA_IMAGE: &str = "ollama/ollama:latest";
pub const WEBUI_IMAGE: &str = "ghcr.io/open-webui/open-webui:main";

#[server(prefix = "/api", endpoint = "models/stack/hosts")]
pub async fn stack_hosts() -> Result<Vec<StackHost>, AppError> {
    crate::auth::policy::require(crate::auth::Role::Admin)?;
    let state = crate::core::state::app_state()?;
    Ok(ssr::hosts(&state).await)
}

/// Creates both services; answers their ids (Ollama, Open WebUI).
#[server(prefix = "/api", endpoint = "models/stack/create")]
pub async fn create_llm_stack(form: StackForm) -> Result<(i64, i64), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    let ids = ssr::create(&state, &actor, &form).await?;
    leptos_axum::redirect(&href("/containers/services"));
    Ok(ids)
}

/// Who may call each server function here (enforced by `auth::policy`).
#[cfg(feature = "ssr")]
pub const ACCESS: &[(&str, crate::auth::policy::Access)] = {
    use crate::auth::policy::Access;
    use crate::auth::Role;
    use leptos::server_fn::ServerFn;
    &[
        (StackHosts::PATH, Access::Role(Role::Admin)),
        (CreateLlmStack::PATH, Access::Role(Role::Admin)),
    ]
};

#[cfg(feature = "ssr")]
pub mod ssr {
    use rand::Rng;

    use super::{StackForm, StackHost, OLLAMA_IMAGE, WEBUI_IMAGE};
    use crate::audit::service::{record, Actor};
    use crate::audit::Outcome;
    use crate::core::error::AppError;
    use crate::core::state::AppState;
    use crate::services::ServiceForm;

    pub async fn hosts(state: &AppState) -> Vec<StackHost> {
        let hosts = state.fleet.hosts();
        let checks = hosts.iter().map(|host| async move {
            let runtimes = host
                .engine
                .call(|docker| async move { docker.info().await })
                .await
                .ok()
                .map(|info| info.runtimes.unwrap_or_default());
            StackHost {
                id: host.id.clone(),
                name: host.name.clone(),
                gpu: runtimes.map(|runtimes| runtimes.contains_key("nvidia")),
            }
        });
        futures::future::join_all(checks).await
    }

    /// The two service definitions the form describes.
    pub fn service_forms(
        form: &StackForm,
        gpu: bool,
        secret_key: &str,
    ) -> Result<[ServiceForm; 2], AppError> {
        let field = |label: &str, value: &str| {
            let value = value.trim();
            if value.is_empty() {
                Err(AppError::invalid(format!("{label}: this is needed.")))
            } else {
                Ok(value.to_owned())
            }
        };
        let ollama = field("Ollama service name", &form.ollama_name)?;
        let webui = field("Open WebUI service name", &form.webui_name)?;
        if ollama == webui {
            return Err(AppError::invalid(
                "Open WebUI service name: it must differ from the Ollama service's name.",
            ));
        }
        let port = |label: &str, value: &str| {
            value
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|port| *port > 0)
                .ok_or_else(|| {
                    AppError::invalid(format!("{label}: “{value}” is not a port; use 1 to 65535."))
                })
        };
        let ollama_port = port("Ollama port", &form.ollama_port)?;
        let webui_port = port("Open WebUI port", &form.webui_port)?;
        if ollama_port == webui_port {
            return Err(AppError::invalid(
                "Open WebUI port: it must differ from Ollama's port.",
            ));
        }
        let url = field("Open WebUI address", &form.webui_url)?;
        let url = url.trim_end_matches('/').to_owned();
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.contains(char::is_whitespace)
        {
            return Err(AppError::invalid(format!(
                "Open WebUI address: “{url}” is not a web address; write it as https://chat.example.org."
            )));
        }
        let client_id = field("GitHub client ID", &form.github_client_id)?;
        let client_secret = field("GitHub client secret", &form.github_client_secret)?;
        let plain = |value: &str| !value.contains(['\n', '\r', '=']);
        if !plain(&client_id) || !plain(&client_secret) {
            return Err(AppError::invalid(
                "GitHub client ID and secret: paste them as GitHub shows them, on one line.",
            ));
        }
        let network = format!("{ollama}-net");
        let ollama_form = ServiceForm {
            name: ollama.clone(),
            host: form.host.clone(),
            image: OLLAMA_IMAGE.to_owned(),
            // Loopback only: Open WebUI reaches Ollama over the stack's network; the port
            // is for caretaker's models page and for admins on the host.
            ports: format!("127.0.0.1:{ollama_port}:11434"),
            volumes: format!("{ollama}-models:/root/.ollama"),
            networks: network.clone(),
            restart: "unless-stopped".to_owned(),
            // The image has no curl; `ollama list` asks the server it runs.
            health_test: "CMD ollama list".to_owned(),
            health_interval: "30s".to_owned(),
            gpus: if gpu { "all".to_owned() } else { String::new() },
            ..ServiceForm::default()
        };
        let env = [
            format!("OLLAMA_BASE_URL=http://{ollama}:11434"),
            format!("WEBUI_URL={url}"),
            "ENABLE_OAUTH_SIGNUP=true".to_owned(),
            // New GitHub sign-ups wait for an Open WebUI admin to let them in; the first
            // account to sign in becomes that admin, so the team's admin signs in first.
            "DEFAULT_USER_ROLE=pending".to_owned(),
            "ENABLE_LOGIN_FORM=false".to_owned(),
            format!("GITHUB_CLIENT_ID={client_id}"),
        ];
        let webui_form = ServiceForm {
            name: webui.clone(),
            host: form.host.clone(),
            image: WEBUI_IMAGE.to_owned(),
            env: env.join("\n"),
            secrets: format!("GITHUB_CLIENT_SECRET={client_secret}\nWEBUI_SECRET_KEY={secret_key}"),
            ports: format!("{webui_port}:8080"),
            volumes: format!("{webui}-data:/app/backend/data"),
            networks: network,
            restart: "unless-stopped".to_owned(),
            health_path: "/health".to_owned(),
            depends_on: ollama,
            ..ServiceForm::default()
        };
        Ok([ollama_form, webui_form])
    }

    pub async fn create(
        state: &AppState,
        actor: &Actor,
        form: &StackForm,
    ) -> Result<(i64, i64), AppError> {
        let host = state
            .fleet
            .host(&form.host)
            .ok_or_else(|| AppError::invalid("Host: choose one of the Docker hosts listed."))?;
        let gpu = match form.gpu.as_str() {
            "all" => true,
            "none" => false,
            "auto" => hosts(state)
                .await
                .into_iter()
                .any(|found| found.id == host.id && found.gpu == Some(true)),
            other => {
                return Err(AppError::invalid(format!(
                    "GPU: “{other}” is not a choice; use automatic, none or all."
                )))
            }
        };
        let secret_key: String = rand::rng()
            .sample_iter(rand::distr::Alphanumeric)
            .take(48)
            .map(char::from)
            .collect();
        let forms = service_forms(form, gpu, &secret_key)?;
        // The network first: if the engine refuses it, no service is left half set up.
        ensure_network(&host.engine, &forms[0].networks).await?;
        let ids = crate::services::service::create_all(state, actor, &forms).await?;
        // The Ollama service joins the models page's servers, its address from its port.
        let server = crate::models::ServerForm {
            name: String::new(),
            base_url: String::new(),
            service: ids[0].to_string(),
        };
        if let Err(error) = crate::models::service::add_server(state, actor, &server).await {
            tracing::warn!(%error, "the stack's Ollama was not added to the models page");
        }
        let detail = format!("GPU: {}", if gpu { "all" } else { "none" });
        let target = format!("{} + {}", forms[0].name, forms[1].name);
        record(
            &state.db,
            actor,
            "models",
            "create llm stack",
            &target,
            Outcome::Ok,
            &detail,
        )
        .await;
        Ok((ids[0], ids[1]))
    }

    /// Creates the stack's network on the host unless it exists: Open WebUI finds Ollama
    /// on it by name.
    async fn ensure_network(
        engine: &crate::core::docker::DockerEngine,
        name: &str,
    ) -> Result<(), AppError> {
        let name = name.to_owned();
        let exists = engine
            .call({
                let name = name.clone();
                |docker| async move {
                    docker
                        .inspect_network(
                            &name,
                            None::<bollard::query_parameters::InspectNetworkOptions>,
                        )
                        .await
                }
            })
            .await
            .is_ok();
        if exists {
            return Ok(());
        }
        engine
            .call(|docker| async move {
                docker
                    .create_network(bollard::models::NetworkCreateRequest {
                        name,
                        driver: Some("bridge".to_owned()),
                        ..Default::default()
                    })
                    .await
            })
            .await
            .map(drop)
    }
}

#[component]
pub fn LlmStackPage() -> impl IntoView {
    let create = ServerAction::<CreateLlmStack>::new();
    let hosts = Resource::new(|| (), |_| stack_hosts());
    let defaults = StackForm::default();
    view! {
        <Title text="Ollama and Open WebUI · caretaker"/>
        <p><a href=href("/containers/services")>"← Services"</a></p>
        <h1>"Ollama and Open WebUI"</h1>
        <p class="muted">"Two services: Ollama with a volume for its models (and the GPUs when the host has NVIDIA's runtime), and Open WebUI set up for it and for GitHub login. Create a GitHub OAuth App first, with the callback " <code>"ADDRESS/oauth/github/callback"</code> ". Once deployed, sign in to Open WebUI yourself first: the first account becomes its admin, and later GitHub sign-ups wait for that admin's approval."</p>
        {move || create.value().get().and_then(Result::err).map(|error| view! { <ErrorNote message=error.to_string()/> })}
        <Transition fallback=|| view! { <p class="muted">"Reading the hosts…"</p> }>
            {move || hosts.get().map(|answer| match answer {
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
                Ok(hosts) => {
                    let defaults = defaults.clone();
                    view! {
                        <ActionForm action=create attr:class="stacked-form card">
                            <label for="stack-host">"Docker host"</label>
                            <select id="stack-host" name="form[host]">
                                {hosts.into_iter().map(|host| {
                                    let gpu = match host.gpu {
                                        Some(true) => "NVIDIA GPU runtime found",
                                        Some(false) => "no GPU runtime",
                                        None => "not reachable now",
                                    };
                                    view! { <option value=host.id.clone()>{format!("{} ({gpu})", host.name)}</option> }
                                }).collect_view()}
                            </select>
                            <label for="stack-gpu">"GPUs for Ollama"</label>
                            <select id="stack-gpu" name="form[gpu]">
                                <option value="auto" selected=true>"automatic: all, when the host has a GPU runtime"</option>
                                <option value="all">"all GPUs"</option>
                                <option value="none">"none (CPU only)"</option>
                            </select>
                            <label for="stack-ollama">"Ollama service name"</label>
                            <input id="stack-ollama" name="form[ollama_name]" required value=defaults.ollama_name.clone()/>
                            <label for="stack-ollama-port">"Ollama port on the host (loopback only)"</label>
                            <input id="stack-ollama-port" name="form[ollama_port]" required inputmode="numeric" value=defaults.ollama_port.clone()/>
                            <label for="stack-webui">"Open WebUI service name"</label>
                            <input id="stack-webui" name="form[webui_name]" required value=defaults.webui_name.clone()/>
                            <label for="stack-webui-port">"Open WebUI port on the host"</label>
                            <input id="stack-webui-port" name="form[webui_port]" required inputmode="numeric" value=defaults.webui_port.clone()/>
                            <label for="stack-url">"Open WebUI address (as people open it)"</label>
                            <input id="stack-url" name="form[webui_url]" required type="url" placeholder="https://chat.example.org"/>
                            <label for="stack-client-id">"GitHub OAuth App client ID"</label>
                            <input id="stack-client-id" name="form[github_client_id]" required autocomplete="off"/>
                            <label for="stack-client-secret">"GitHub OAuth App client secret"</label>
                            <input id="stack-client-secret" name="form[github_client_secret]" required type="password" autocomplete="off"/>
                            <p class="hint small muted">"The secret and a generated session key are stored encrypted and never shown again."</p>
                            <button type="submit">"Create both services"</button>
                        </ActionForm>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::ssr::service_forms;
    use super::*;

    fn filled() -> StackForm {
        StackForm {
            webui_url: "https://chat.lab.example/".to_owned(),
            github_client_id: "Iv1.abc".to_owned(),
            github_client_secret: "s3cret".to_owned(),
            ..StackForm::default()
        }
    }

    #[test]
    fn the_pair_is_wired_for_ollama_and_github() {
        let [ollama, webui] = service_forms(&filled(), true, "key").unwrap();
        assert_eq!(ollama.image, OLLAMA_IMAGE);
        assert_eq!(ollama.gpus, "all");
        assert_eq!(ollama.ports, "127.0.0.1:11434:11434");
        assert_eq!(ollama.volumes, "ollama-models:/root/.ollama");
        assert!(webui.env.contains("OLLAMA_BASE_URL=http://ollama:11434"));
        assert!(webui.env.contains("WEBUI_URL=https://chat.lab.example\n"));
        assert!(webui.env.contains("GITHUB_CLIENT_ID=Iv1.abc"));
        assert!(
            !webui.env.contains("s3cret"),
            "the secret is not plain environment"
        );
        assert!(webui.secrets.contains("GITHUB_CLIENT_SECRET=s3cret"));
        assert_eq!(webui.networks, ollama.networks);
        assert_eq!(webui.depends_on, "ollama");
        let [cpu_only, _] = service_forms(&filled(), false, "key").unwrap();
        assert_eq!(cpu_only.gpus, "");
    }

    #[test]
    fn missing_or_clashing_values_are_named() {
        for (change, expected) in [
            (
                StackForm {
                    webui_url: String::new(),
                    ..filled()
                },
                "Open WebUI address: this is needed.",
            ),
            (
                StackForm {
                    webui_url: "chat".into(),
                    ..filled()
                },
                "not a web address",
            ),
            (
                StackForm {
                    webui_port: "11434".into(),
                    ..filled()
                },
                "must differ from Ollama's port",
            ),
            (
                StackForm {
                    ollama_port: "99999".into(),
                    ..filled()
                },
                "is not a port",
            ),
            (
                StackForm {
                    webui_name: "ollama".into(),
                    ..filled()
                },
                "must differ from the Ollama",
            ),
            (
                StackForm {
                    github_client_secret: " ".into(),
                    ..filled()
                },
                "GitHub client secret: this is needed.",
            ),
        ] {
            let error = service_forms(&change, false, "key")
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{error}");
        }
    }
}
