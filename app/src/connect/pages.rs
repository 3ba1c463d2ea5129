//! The Connect page (`/connect`): the ssh config entry and the browser settings for
//! reaching caretaker through an SSH SOCKS5 tunnel, and (for admins) the form they are
//! written from.

use leptos::prelude::*;
use leptos_meta::Title;

use super::api::{get_connect, SaveConnect};
use super::{ConnectForm, ConnectSettings, ConnectView};
use crate::ui::form::{successes, ActionForm};
use crate::ui::layout::ErrorNote;
use crate::ui::paths::href;

#[component]
pub fn ConnectPage() -> impl IntoView {
    let save = ServerAction::<SaveConnect>::new();
    let saved = successes(save);
    let connect = Resource::new(move || saved.get(), |_| get_connect());
    view! {
        <Title text="Connect · caretaker"/>
        <h1>"Connect"</h1>
        <p class="muted">"caretaker runs inside a private network. To open it from a laptop, ssh opens a SOCKS5 proxy through the bastion and the browser sends caretaker's address through it. Copy the blocks below; nothing else needs installing."</p>
        {move || save.value().get().and_then(Result::err).map(|error| view! { <ErrorNote message=error.to_string()/> })}
        {move || save.value().get().and_then(Result::ok).map(|_| view! { <p class="ok-note" role="status">"Saved. The blocks below follow the new values."</p> })}
        <Transition fallback=|| view! { <p class="muted">"Reading the settings…"</p> }>
            {move || connect.get().map(|answer| match answer {
                Ok(view) => view! { <ConnectBody view save/> }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn ConnectBody(view: ConnectView, save: ServerAction<SaveConnect>) -> impl IntoView {
    let ConnectView {
        settings,
        form,
        can_edit,
    } = view;
    let instructions = match settings {
        Some(settings) => view! { <Instructions settings/> }.into_any(),
        None if can_edit => view! {
            <p class="empty" data-connect-empty>"No tunnel described yet. Fill in the form below with the bastion your team reaches with ssh and caretaker's address inside the network; this page then shows the ssh config entry and the browser settings to copy."</p>
        }
        .into_any(),
        None => view! {
            <p class="empty" data-connect-empty>"No tunnel described yet. Ask an admin to fill in the bastion and caretaker's private address on this page; the ssh and browser settings then appear here."</p>
        }
        .into_any(),
    };
    view! {
        {instructions}
        {can_edit.then(|| view! { <SettingsForm form save/> })}
    }
}

#[component]
fn Instructions(settings: ConnectSettings) -> impl IntoView {
    let port = settings.socks_port.to_string();
    view! {
        <section class="card" aria-labelledby="ssh-title">
            <h2 id="ssh-title">"1. The ssh config entry"</h2>
            <p>"Add this to " <code>"~/.ssh/config"</code> " on your laptop:"</p>
            <CopyBlock id="ssh-config" label="the ssh config entry" text=settings.ssh_config()/>
            <p>"Then open the tunnel and leave it running (it reconnects nothing by itself; run it again when it ends):"</p>
            <CopyBlock id="ssh-command" label="the ssh command" text=settings.ssh_command()/>
        </section>
        <section class="card" aria-labelledby="browser-title">
            <h2 id="browser-title">"2. The browser"</h2>
            <h3>"Firefox"</h3>
            <ol class="steps" data-firefox>
                <li>"Settings → General → Network Settings → " <strong>"Manual proxy configuration"</strong></li>
                <li>"SOCKS Host " <code>"127.0.0.1"</code> ", Port " <code>{port}</code> ", " <strong>"SOCKS v5"</strong></li>
                <li>"Tick " <strong>"Proxy DNS when using SOCKS v5"</strong> " (names inside the network resolve at the far end)"</li>
            </ol>
            <p>"Or send only caretaker through the tunnel: download "
                <a href=href("/connect/proxy.pac") download="caretaker.pac">"caretaker.pac"</a>
                " and choose " <strong>"Automatic proxy configuration URL"</strong> " with " <code>"file:///path/to/caretaker.pac"</code> "."</p>
            <h3>"Chromium or Chrome"</h3>
            <p>"Start it with the proxy (names resolve through the proxy with socks5):"</p>
            <CopyBlock id="chromium-command" label="the Chromium command" text=settings.chromium_command()/>
        </section>
        <section class="card" aria-labelledby="open-title">
            <h2 id="open-title">"3. Open caretaker"</h2>
            <p><a href=settings.private_url.clone() data-private-url>{settings.private_url.clone()}</a></p>
        </section>
    }
}

/// A preformatted block with a Copy button. Without JavaScript the text can still be
/// selected and copied by hand.
#[component]
fn CopyBlock(id: &'static str, label: &'static str, text: String) -> impl IntoView {
    let block = NodeRef::<leptos::html::Pre>::new();
    let status = RwSignal::new(String::new());
    view! {
        <div class="copy-block">
            <pre id=id node_ref=block><code>{text}</code></pre>
            <button type="button" class="secondary" aria-label=format!("Copy {label}")
                on:click=move |_| status.set(copy_text(block))>"Copy"</button>
            <span class="copy-status small muted" role="status">{move || status.get()}</span>
        </div>
    }
}

/// Selects the block's text and copies it. The asynchronous clipboard API exists only on
/// secure pages, and caretaker is often opened as plain http through the tunnel, so this
/// uses the selection and the older copy command, which work there too.
#[cfg(feature = "hydrate")]
fn copy_text(block: NodeRef<leptos::html::Pre>) -> String {
    use wasm_bindgen::JsCast;
    let Some(pre) = block.get() else {
        return String::new();
    };
    let Ok(Some(selection)) = window().get_selection() else {
        return "Select the text and press Ctrl+C to copy.".to_owned();
    };
    let _ = selection.select_all_children(&pre);
    let copied = document()
        .dyn_ref::<web_sys::HtmlDocument>()
        .and_then(|page| page.exec_command("copy").ok())
        .unwrap_or(false);
    if copied {
        "Copied.".to_owned()
    } else {
        "Selected: press Ctrl+C to copy.".to_owned()
    }
}

#[cfg(not(feature = "hydrate"))]
fn copy_text(_block: NodeRef<leptos::html::Pre>) -> String {
    String::new()
}

#[component]
fn SettingsForm(form: ConnectForm, save: ServerAction<SaveConnect>) -> impl IntoView {
    let ConnectForm {
        host_alias,
        bastion,
        ssh_user,
        jump_host,
        second_jump_host,
        socks_port,
        private_url,
    } = form;
    view! {
        <section class="card" aria-labelledby="settings-title">
            <h2 id="settings-title">"Tunnel settings"</h2>
            <ActionForm action=save attr:class="stacked-form">
                <label for="connect-bastion">"Bastion"</label>
                <input id="connect-bastion" name="form[bastion]" value=bastion required spellcheck="false"
                    placeholder="bastion.example.org" aria-describedby="connect-bastion-help"/>
                <p id="connect-bastion-help" class="hint small muted">"The host ssh connects to, with " <code>":PORT"</code> " when not 22."</p>
                <label for="connect-user">"ssh user"</label>
                <input id="connect-user" name="form[ssh_user]" value=ssh_user required spellcheck="false" placeholder="alice"
                    aria-describedby="connect-user-help"/>
                <p id="connect-user-help" class="hint small muted">"The account on the bastion; each person may change it in their copy."</p>
                <label for="connect-port">"Local SOCKS port"</label>
                <input id="connect-port" name="form[socks_port]" value=socks_port required inputmode="numeric"
                    aria-describedby="connect-port-help"/>
                <p id="connect-port-help" class="hint small muted">"1024 to 65535; 1080 is usual."</p>
                <label for="connect-url">"caretaker's private address"</label>
                <input id="connect-url" name="form[private_url]" value=private_url required spellcheck="false"
                    placeholder="http://10.0.1.5:3000" aria-describedby="connect-url-help"/>
                <p id="connect-url-help" class="hint small muted">"How caretaker is reached from inside the network, like " <code>"http://10.0.1.5:3000"</code> "."</p>
                <label for="connect-jump">"Jump host (optional)"</label>
                <input id="connect-jump" name="form[jump_host]" value=jump_host spellcheck="false"
                    placeholder="gw.example.org" aria-describedby="connect-jump-help"/>
                <p id="connect-jump-help" class="hint small muted">"Passed through before the bastion (" <code>"ProxyJump"</code> "): " <code>"HOST"</code> ", " <code>"HOST:PORT"</code> " or " <code>"USER@HOST:PORT"</code> "."</p>
                <label for="connect-jump2">"Second jump host (optional)"</label>
                <input id="connect-jump2" name="form[second_jump_host]" value=second_jump_host spellcheck="false"/>
                <label for="connect-alias">"Entry name"</label>
                <input id="connect-alias" name="form[host_alias]" value=host_alias spellcheck="false"
                    aria-describedby="connect-alias-help"/>
                <p id="connect-alias-help" class="hint small muted">"The " <code>"Host"</code> " name in the ssh config, like " <code>"caretaker-socks"</code> "."</p>
                <button type="submit">"Save"</button>
            </ActionForm>
        </section>
    }
}
