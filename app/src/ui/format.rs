//! How numbers and times read on a page.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// A byte count in binary units: `512 B`, `1.5 KiB`, `3.2 GiB`.
pub fn bytes(count: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = count as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{count} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The browser's time zone (an IANA name such as Europe/Berlin): `initial` on the server
/// and until the page is hydrated, then what the browser says.
pub fn browser_zone(initial: &str) -> RwSignal<String> {
    let zone = RwSignal::new(initial.to_owned());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let options =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
                .resolved_options();
        if let Some(found) = js_sys::Reflect::get(&options, &"timeZone".into())
            .ok()
            .and_then(|value| value.as_string())
        {
            zone.set(found);
        }
    });
    zone
}

/// A time as plain text, in UTC (for logs and places where no script can localise it).
pub fn local_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A time in the viewer's own zone. The server renders UTC (it cannot know the zone);
/// once hydrated, the browser rewrites it in its local zone.
#[component]
pub fn Time(at: DateTime<Utc>) -> impl IntoView {
    let text = RwSignal::new(local_time(at));
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
            at.timestamp_millis() as f64
        ));
        let shown: String = date
            .to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)
            .into();
        text.set(shown);
    });
    view! { <time datetime=at.to_rfc3339()>{text}</time> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_in_binary_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }
}
