//! The browser entry point: hydrates the server-rendered page, nothing else.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Before anything renders: the sub-path caretaker is served under, if any.
    app::ui::paths::init_in_browser();
    leptos::mount::hydrate_body(app::App);
}
