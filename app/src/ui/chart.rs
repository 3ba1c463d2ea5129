//! Charts drawn on the server as SVG with plotters, so they show without JavaScript.
//!
//! plotters writes the drawing; this module makes it a document a screen reader can name:
//! `role="img"`, a `<title>` and a `<desc>` (a sentence the caller writes with the
//! figures that matter), and a `viewBox` so CSS can scale it. Ids are derived from the
//! title, so two charts with different titles can share a page.
//!
//! Text is measured with plotters' built-in estimate (no font files are read on the
//! server); the browser draws it with the page's font.

use chrono::{DateTime, TimeZone, Utc};
use plotters::prelude::*;

/// One point of a time series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub at: DateTime<Utc>,
    pub value: f64,
    /// Failed points are drawn as red crosses, ok ones as blue dots.
    pub ok: bool,
}

const LINE: RGBColor = RGBColor(0x3b, 0x82, 0xf6);
const FAILURE: RGBColor = RGBColor(0xdc, 0x26, 0x26);
const INK: RGBColor = RGBColor(0x88, 0x88, 0x88);

/// A time series chart as an SVG document.
pub fn time_series_svg(
    title: &str,
    description: &str,
    y_label: &str,
    points: &[Point],
    size: (u32, u32),
) -> String {
    let mut svg = String::new();
    let drawn = draw(&mut svg, y_label, points, size);
    if let Err(error) = drawn {
        tracing::warn!(%error, title, "a chart could not be drawn");
        svg.clear();
        draw_empty(&mut svg, size, "The chart could not be drawn");
    }
    accessible(&svg, title, description, size)
}

fn draw(
    svg: &mut String,
    y_label: &str,
    points: &[Point],
    size: (u32, u32),
) -> Result<(), Box<dyn std::error::Error>> {
    if points.is_empty() {
        draw_empty(svg, size, "No data yet");
        return Ok(());
    }
    let seconds = |at: DateTime<Utc>| at.timestamp_millis() as f64 / 1000.0;
    let first = points
        .iter()
        .map(|p| seconds(p.at))
        .fold(f64::INFINITY, f64::min);
    let last = points
        .iter()
        .map(|p| seconds(p.at))
        .fold(f64::NEG_INFINITY, f64::max);
    // A single point or an instant-wide series still needs a width.
    let (first, last) = if last - first < 60.0 {
        (first - 30.0, last + 30.0)
    } else {
        (first, last)
    };
    let highest = points.iter().map(|p| p.value).fold(0.0_f64, f64::max);
    let top = if highest > 0.0 { highest * 1.15 } else { 1.0 };

    let root = SVGBackend::with_string(svg, size).into_drawing_area();
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .x_label_area_size(28)
        .y_label_area_size(48)
        .build_cartesian_2d(first..last, 0.0..top)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .axis_style(INK)
        .label_style(("sans-serif", 12).into_font().color(&INK))
        .x_labels(4)
        .y_labels(5)
        .x_label_formatter(&|at| {
            Utc.timestamp_millis_opt((*at * 1000.0) as i64)
                .single()
                .map(|at| at.format("%m-%d %H:%M").to_string())
                .unwrap_or_default()
        })
        .y_desc(y_label)
        .draw()?;
    let mut ordered: Vec<Point> = points.to_vec();
    ordered.sort_by_key(|point| point.at);
    chart.draw_series(LineSeries::new(
        ordered.iter().map(|p| (seconds(p.at), p.value)),
        LINE.stroke_width(2),
    ))?;
    chart.draw_series(
        ordered
            .iter()
            .filter(|p| p.ok)
            .map(|p| Circle::new((seconds(p.at), p.value), 3, LINE.filled())),
    )?;
    chart.draw_series(
        ordered
            .iter()
            .filter(|p| !p.ok)
            .map(|p| Cross::new((seconds(p.at), p.value), 5, FAILURE.stroke_width(2))),
    )?;
    root.present()?;
    Ok(())
}

fn draw_empty(svg: &mut String, size: (u32, u32), text: &str) {
    let root = SVGBackend::with_string(svg, size).into_drawing_area();
    let style =
        ("sans-serif", 14)
            .into_font()
            .color(&INK)
            .pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Center,
            ));
    let _ = root.draw_text(text, &style, (size.0 as i32 / 2, size.1 as i32 / 2));
    let _ = root.present();
}

/// Adds role, title, description and viewBox to plotters' `<svg …>` root.
fn accessible(svg: &str, title: &str, description: &str, size: (u32, u32)) -> String {
    let id = format!("chart-{:x}", fnv(title));
    let Some(open_end) = svg
        .find("<svg")
        .and_then(|start| svg[start..].find('>').map(|end| start + end))
    else {
        return String::new();
    };
    let (open, rest) = svg.split_at(open_end);
    let body = &rest[1..];
    format!(
        "{open} viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\"><title id=\"{id}-title\">{title}</title><desc id=\"{id}-desc\">{description}</desc>{body}",
        w = size.0,
        h = size.1,
        title = escape(title),
        description = escape(description),
    )
}

/// A small stable hash (FNV-1a), for ids.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x100000001b3)
    })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(minute: i64, value: f64, ok: bool) -> Point {
        Point {
            at: Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
                + chrono::Duration::minutes(minute),
            value,
            ok,
        }
    }

    #[test]
    fn a_chart_is_a_named_image() {
        let svg = time_series_svg(
            "Run time of backup",
            "Median 1.0 s; 1 failed.",
            "seconds",
            &[
                point(0, 1.0, true),
                point(60, 4.0, false),
                point(120, 1.2, true),
            ],
            (640, 220),
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert_eq!(svg.matches("<title").count(), 1);
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"viewBox="0 0 640 220""#));
        let id = format!("chart-{:x}", fnv("Run time of backup"));
        assert!(svg.contains(&format!(r#"aria-labelledby="{id}-title {id}-desc""#)));
        assert!(svg.contains(&format!(
            r#"<title id="{id}-title">Run time of backup</title>"#
        )));
        assert!(svg.contains(&format!(
            r#"<desc id="{id}-desc">Median 1.0 s; 1 failed.</desc>"#
        )));
        assert!(
            svg.contains("#DC2626") || svg.contains("#dc2626"),
            "the failure is red"
        );
        assert!(svg.contains("seconds"));
    }

    #[test]
    fn text_is_escaped_and_ids_differ() {
        let svg = time_series_svg(
            "<script>&\"'",
            "a < b",
            "s",
            &[point(0, 1.0, true)],
            (300, 100),
        );
        assert!(svg.contains("&lt;script&gt;&amp;&quot;&#39;"));
        assert!(!svg.contains("<script>"));
        let other = time_series_svg("Another", "", "s", &[point(0, 1.0, true)], (300, 100));
        assert_ne!(
            svg.split("aria-labelledby").nth(1).map(|s| &s[..20]),
            other.split("aria-labelledby").nth(1).map(|s| &s[..20])
        );
    }

    #[test]
    fn empty_flat_single_and_long_series_draw() {
        let empty = time_series_svg("Empty", "Nothing yet.", "s", &[], (300, 100));
        assert!(empty.contains("No data yet"));
        assert!(empty.contains(r#"role="img""#));
        time_series_svg("One", "", "s", &[point(0, 2.0, true)], (300, 100));
        time_series_svg(
            "Flat",
            "",
            "s",
            &[point(0, 0.0, true), point(5, 0.0, true)],
            (300, 100),
        );
        let many: Vec<Point> = (0..1000)
            .map(|i| point(i, (i % 7) as f64, i % 50 != 0))
            .collect();
        let svg = time_series_svg("Many", "", "s", &many, (640, 220));
        assert!(svg.len() > 10_000);
    }
}
