//! Charts drawn on the server as SVG with plotters, so they show without JavaScript.
//!
//! plotters draws the picture; this module makes it a document a screen reader can name:
//! `role="img"` and `aria-labelledby` pointing at a `<title>` and a `<desc>` (a sentence
//! the caller writes with the figures that matter). The root keeps plotters' `width`,
//! `height` and `viewBox`, so a stylesheet can scale it with `max-width: 100%`.
//!
//! Ids are `chart-<hash>-title` and `chart-<hash>-desc`, the hash taken over the title and
//! the description: two different charts on one page get different ids without the caller
//! passing a prefix, and the same chart drawn twice gets the same bytes (cacheable).
//!
//! Text is laid out with plotters' built-in size estimate, so no font file is read on the
//! server; the browser draws the `<text>` elements with the page's font.

use chrono::{DateTime, TimeZone, Utc};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::ops::Range;

/// One point of a time series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub at: DateTime<Utc>,
    pub value: f64,
    /// Failed points are drawn as red crosses, ok ones as blue dots, so the difference
    /// does not rest on colour alone.
    pub ok: bool,
}

// Mid-tone colours: they read on both the light and the dark theme.
const LINE: RGBColor = RGBColor(0x3b, 0x82, 0xf6);
const FAILURE: RGBColor = RGBColor(0xdc, 0x26, 0x26);
const INK: RGBColor = RGBColor(0x88, 0x88, 0x88);
const INK_HEX: &str = "#888888";
const FONT: &str = "sans-serif";

/// A time label is "11-22 14:05", about this wide at 12px; the axis gets no more labels
/// than fit side by side with a gap.
const TIME_LABEL_WIDTH: u32 = 110;

/// A time series chart as an SVG document string (see the module doc for ids and scaling).
///
/// Points are joined in order of time whatever order they come in; points whose value is
/// not finite are left out. With nothing to draw the chart says "No data yet".
pub fn time_series_svg(
    title: &str,
    description: &str,
    y_label: &str,
    points: &[Point],
    size: (u32, u32),
) -> String {
    framed_time_series_svg(title, description, y_label, points, size, Frame::default())
}

/// Where a chart's axes end when the data alone should not decide it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Frame {
    /// The time axis spans this window ("the last 90 days") even when the points cover
    /// only part of it; points outside it are left out.
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// The value axis ends here (100 for percentages) unless a value is higher.
    pub top: Option<f64>,
}

/// [`time_series_svg`] with axes set by `frame`.
pub fn framed_time_series_svg(
    title: &str,
    description: &str,
    y_label: &str,
    points: &[Point],
    size: (u32, u32),
    frame: Frame,
) -> String {
    let inside = |point: &Point| {
        frame
            .window
            .is_none_or(|(from, to)| point.at >= from && point.at <= to)
    };
    let mut ordered: Vec<Point> = points
        .iter()
        .filter(|point| point.value.is_finite() && inside(point))
        .copied()
        .collect();
    ordered.sort_by_key(|point| point.at);
    let svg = if ordered.is_empty() {
        message_svg(size, "No data yet")
    } else {
        let mut svg = String::new();
        match draw(&mut svg, y_label, &ordered, size, frame) {
            Ok(()) => svg,
            Err(error) => {
                // Drawing into a String has no I/O to fail; this guards against plotters'
                // own range errors, which should show as a gap on the page, not a 500.
                tracing::warn!(%error, title, "a chart could not be drawn");
                message_svg(size, "The chart could not be drawn")
            }
        }
    };
    accessible(&svg, title, description, size)
}

/// Draws `points` (non-empty, finite, sorted by time) into `svg`.
fn draw(
    svg: &mut String,
    y_label: &str,
    points: &[Point],
    size: (u32, u32),
    frame: Frame,
) -> Result<(), Box<dyn std::error::Error>> {
    let seconds = |at: DateTime<Utc>| at.timestamp_millis() as f64 / 1000.0;
    let (first, last) = match frame.window {
        Some((from, to)) => time_range(seconds(from), seconds(to)),
        None => time_range(seconds(points[0].at), seconds(points[points.len() - 1].at)),
    };
    let (bottom, top) = value_range(points);
    let top = match frame.top {
        Some(ceiling) if points.iter().all(|point| point.value <= ceiling) => ceiling,
        _ => top,
    };
    let ticks = time_ticks(first, last, (size.0 / TIME_LABEL_WIDTH).clamp(2, 8));

    let root = SVGBackend::with_string(svg, size).into_drawing_area();
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d(TimeAxis::new(first..last, ticks), bottom..top)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .axis_style(INK)
        .label_style((FONT, 12).into_font().color(&INK))
        .axis_desc_style((FONT, 12).into_font().color(&INK))
        .y_labels(5)
        .x_label_formatter(&|at| time_label(*at))
        .y_desc(y_label)
        .draw()?;
    let at_value = |point: &Point| (seconds(point.at), point.value);
    chart.draw_series(LineSeries::new(
        points.iter().map(at_value),
        LINE.stroke_width(2),
    ))?;
    chart.draw_series(
        points
            .iter()
            .filter(|point| point.ok)
            .map(|point| Circle::new(at_value(point), 3, LINE.filled())),
    )?;
    chart.draw_series(
        points
            .iter()
            .filter(|point| !point.ok)
            .map(|point| Cross::new(at_value(point), 5, FAILURE.stroke_width(2))),
    )?;
    root.present()?;
    Ok(())
}

/// One line of a [`lines_svg`] chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Shown in the legend.
    pub label: String,
    pub points: Vec<Point>,
    /// Drawn dashed and grey (a previous period to compare with): told apart without colour.
    pub dashed: bool,
}

/// An event drawn as a vertical line with a short label (a deployment).
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub at: DateTime<Utc>,
    pub label: String,
}

/// Several lines over one time window, with a legend and markers; an SVG document string
/// like [`time_series_svg`]'s.
pub fn lines_svg(
    title: &str,
    description: &str,
    y_label: &str,
    lines: &[Line],
    markers: &[Marker],
    size: (u32, u32),
    window: (DateTime<Utc>, DateTime<Utc>),
) -> String {
    let inside =
        |point: &Point| point.value.is_finite() && point.at >= window.0 && point.at <= window.1;
    let lines: Vec<Line> = lines
        .iter()
        .map(|line| {
            let mut points: Vec<Point> =
                line.points.iter().filter(|p| inside(p)).copied().collect();
            points.sort_by_key(|point| point.at);
            Line {
                points,
                ..line.clone()
            }
        })
        .collect();
    let svg = if lines.iter().all(|line| line.points.is_empty()) {
        message_svg(size, "No data in this period")
    } else {
        let mut svg = String::new();
        match draw_lines(&mut svg, y_label, &lines, markers, size, window) {
            Ok(()) => svg,
            Err(error) => {
                tracing::warn!(%error, title, "a chart could not be drawn");
                message_svg(size, "The chart could not be drawn")
            }
        }
    };
    accessible(&svg, title, description, size)
}

fn draw_lines(
    svg: &mut String,
    y_label: &str,
    lines: &[Line],
    markers: &[Marker],
    size: (u32, u32),
    window: (DateTime<Utc>, DateTime<Utc>),
) -> Result<(), Box<dyn std::error::Error>> {
    const DASHED: RGBColor = RGBColor(0x99, 0x99, 0x99);
    const MARK: RGBColor = RGBColor(0x16, 0xa3, 0x4a);
    let seconds = |at: DateTime<Utc>| at.timestamp_millis() as f64 / 1000.0;
    let (first, last) = time_range(seconds(window.0), seconds(window.1));
    let all: Vec<Point> = lines
        .iter()
        .flat_map(|line| line.points.iter().copied())
        .collect();
    let (bottom, top) = value_range(&all);
    let ticks = time_ticks(first, last, (size.0 / TIME_LABEL_WIDTH).clamp(2, 8));
    let root = SVGBackend::with_string(svg, size).into_drawing_area();
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d(TimeAxis::new(first..last, ticks), bottom..top)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .axis_style(INK)
        .label_style((FONT, 12).into_font().color(&INK))
        .axis_desc_style((FONT, 12).into_font().color(&INK))
        .y_labels(5)
        .x_label_formatter(&|at| time_label(*at))
        .y_desc(y_label)
        .draw()?;
    for marker in markers
        .iter()
        .filter(|marker| marker.at >= window.0 && marker.at <= window.1)
    {
        let at = seconds(marker.at);
        chart.draw_series(DashedLineSeries::new(
            [(at, bottom), (at, top)],
            4,
            4,
            MARK.stroke_width(1),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            marker.label.clone(),
            (at, top),
            (FONT, 11).into_font().color(&MARK),
        )))?;
    }
    // Solid lines take the blue, then darker and lighter blues; a shape per line too.
    let shades = [LINE, RGBColor(0x1e, 0x3a, 0x8a), RGBColor(0x93, 0xc5, 0xfd)];
    let mut solid = 0;
    for line in lines {
        let at_value = |point: &Point| (seconds(point.at), point.value);
        let series = if line.dashed {
            chart.draw_series(DashedLineSeries::new(
                line.points.iter().map(at_value),
                6,
                4,
                DASHED.stroke_width(2),
            ))?
        } else {
            let colour = shades[solid % shades.len()];
            solid += 1;
            chart.draw_series(LineSeries::new(
                line.points.iter().map(at_value),
                colour.stroke_width(2),
            ))?
        };
        let legend_colour = if line.dashed {
            DASHED
        } else {
            shades[(solid + shades.len() - 1) % shades.len()]
        };
        series.label(line.label.clone()).legend(move |(x, y)| {
            PathElement::new([(x, y), (x + 16, y)], legend_colour.stroke_width(2))
        });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT, 12).into_font().color(&INK))
        .border_style(INK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// The x range in Unix seconds; a single run still needs a width to be drawn in.
fn time_range(first: f64, last: f64) -> (f64, f64) {
    const NARROWEST: f64 = 10.0 * 60.0;
    if last - first < NARROWEST {
        let middle = (first + last) / 2.0;
        (middle - NARROWEST / 2.0, middle + NARROWEST / 2.0)
    } else {
        (first, last)
    }
}

/// The y range: from 0 (or below, for negative values) to a bit above the highest value,
/// never zero-high, or plotters could not map values to pixels.
fn value_range(points: &[Point]) -> (f64, f64) {
    let highest = points.iter().map(|p| p.value).fold(0.0_f64, f64::max);
    let lowest = points.iter().map(|p| p.value).fold(0.0_f64, f64::min);
    let top = if highest > 0.0 { highest * 1.15 } else { 1.0 };
    let bottom = if lowest < 0.0 { lowest * 1.15 } else { 0.0 };
    (bottom, top)
}

/// Tick positions on whole minutes, hours or days (UTC), at most `most` of them, so the
/// labels read "14:00, 15:00" rather than whatever plotters' decimal steps land on.
fn time_ticks(first: f64, last: f64, most: u32) -> Vec<f64> {
    const MINUTE: f64 = 60.0;
    const HOUR: f64 = 60.0 * MINUTE;
    const DAY: f64 = 24.0 * HOUR;
    const STEPS: [f64; 16] = [
        MINUTE,
        2.0 * MINUTE,
        5.0 * MINUTE,
        10.0 * MINUTE,
        15.0 * MINUTE,
        30.0 * MINUTE,
        HOUR,
        2.0 * HOUR,
        3.0 * HOUR,
        6.0 * HOUR,
        12.0 * HOUR,
        DAY,
        2.0 * DAY,
        7.0 * DAY,
        14.0 * DAY,
        30.0 * DAY,
    ];
    let span = last - first;
    let step = STEPS
        .into_iter()
        .find(|step| span / step <= f64::from(most))
        .unwrap_or_else(|| (span / f64::from(most) / DAY).ceil() * DAY);
    let mut ticks = Vec::new();
    let mut tick = (first / step).ceil() * step;
    while tick <= last {
        ticks.push(tick);
        tick += step;
    }
    ticks
}

/// Unix seconds with our own ticks. plotters' `with_key_points` would do, but its result
/// cannot take a label formatter, so this is the same thing by hand.
struct TimeAxis {
    seconds: RangedCoordf64,
    ticks: Vec<f64>,
}

impl TimeAxis {
    fn new(range: Range<f64>, ticks: Vec<f64>) -> Self {
        Self {
            seconds: range.into(),
            ticks,
        }
    }
}

impl Ranged for TimeAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.seconds.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> Range<f64> {
        self.seconds.range()
    }
}

fn time_label(unix_seconds: f64) -> String {
    Utc.timestamp_millis_opt((unix_seconds * 1000.0).round() as i64)
        .single()
        .map(|at| at.format("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// A chart-sized SVG that only says `text`, centred; written by hand because it cannot fail.
fn message_svg(size: (u32, u32), text: &str) -> String {
    let (width, height) = size;
    format!(
        r#"<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">
<text x="{x}" y="{y}" dy="0.5ex" text-anchor="middle" font-family="{FONT}" font-size="14" fill="{INK_HEX}">{text}</text>
</svg>
"#,
        x = width / 2,
        y = height / 2,
        text = escape(text),
    )
}

/// Adds role, labels, title and description to the `<svg …>` root (and a viewBox, should
/// plotters ever stop writing one).
fn accessible(svg: &str, title: &str, description: &str, size: (u32, u32)) -> String {
    let id = format!("chart-{:016x}", fnv(&[title, description]));
    let open_end = svg
        .find("<svg")
        .and_then(|start| svg[start..].find('>').map(|end| start + end))
        .expect("plotters and message_svg both start with an <svg> tag");
    let (open, rest) = svg.split_at(open_end);
    let open = open.trim_end_matches('/');
    let view_box = if open.contains("viewBox=") {
        String::new()
    } else {
        format!(r#" viewBox="0 0 {} {}""#, size.0, size.1)
    };
    let body = &rest[1..];
    format!(
        r#"{open}{view_box} role="img" aria-labelledby="{id}-title {id}-desc">
<title id="{id}-title">{title}</title>
<desc id="{id}-desc">{description}</desc>{body}"#,
        title = escape(title),
        description = escape(description),
    )
}

/// FNV-1a over the parts (with a separator, so ("ab", "c") and ("a", "bc") differ): small,
/// stable across builds and platforms, which `DefaultHasher` does not promise.
fn fnv(parts: &[&str]) -> u64 {
    parts
        .iter()
        .flat_map(|part| part.bytes().chain([0xff]))
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            other => escaped.push(other),
        }
    }
    escaped
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

    /// The elements of `svg` as (name, attributes) in document order, after checking that
    /// it is well-formed enough for a browser: tags balance, attributes are quoted and not
    /// repeated, and text holds no bare `<` or `&`.
    fn elements(svg: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut found = Vec::new();
        let mut open: Vec<String> = Vec::new();
        let mut rest = svg.trim();
        while let Some(start) = rest.find('<') {
            check_text(&rest[..start]);
            let end = rest[start..].find('>').expect("every tag is closed") + start;
            let tag = &rest[start + 1..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(open.pop().as_deref(), Some(name.trim()), "balanced tags");
                continue;
            }
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let (name, mut attributes_text) =
                tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
            let mut attributes: Vec<(String, String)> = Vec::new();
            loop {
                attributes_text = attributes_text.trim_start();
                if attributes_text.is_empty() {
                    break;
                }
                let (key, after) = attributes_text.split_once("=\"").expect("key=\"value\"");
                let (value, after) = after.split_once('"').expect("closing quote");
                check_text(value);
                assert!(
                    attributes.iter().all(|(seen, _)| seen != key.trim()),
                    "attribute {key} repeated in <{name}>"
                );
                attributes.push((key.trim().to_owned(), value.to_owned()));
                attributes_text = after;
            }
            if !self_closing {
                open.push(name.to_owned());
            }
            found.push((name.to_owned(), attributes));
        }
        check_text(rest);
        assert!(open.is_empty(), "unclosed tags: {open:?}");
        found
    }

    fn check_text(text: &str) {
        assert!(!text.contains('<'), "bare < in {text:?}");
        for (at, _) in text.match_indices('&') {
            let entity = &text[at..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|known| entity.starts_with(known)),
                "bare & in {text:?}"
            );
        }
    }

    fn attribute<'a>(element: &'a (String, Vec<(String, String)>), key: &str) -> Option<&'a str> {
        element
            .1
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }

    fn ids_of(svg: &str) -> Vec<String> {
        elements(svg)
            .iter()
            .filter_map(|element| attribute(element, "id").map(str::to_owned))
            .collect()
    }

    fn runs() -> Vec<Point> {
        vec![
            point(0, 1.0, true),
            point(60, 4.0, false),
            point(120, 1.2, true),
        ]
    }

    #[test]
    fn a_chart_is_a_named_scalable_image() {
        let svg = time_series_svg(
            "Run time of backup",
            "Median 1.2 s, longest 4.0 s; 1 failed.",
            "seconds",
            &runs(),
            (640, 220),
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        let elements = elements(&svg);
        let root = &elements[0];
        assert_eq!(root.0, "svg");
        assert_eq!(attribute(root, "role"), Some("img"));
        assert_eq!(attribute(root, "width"), Some("640"));
        assert_eq!(attribute(root, "height"), Some("220"));
        assert_eq!(attribute(root, "viewBox"), Some("0 0 640 220"));
        let labelled_by: Vec<&str> = attribute(root, "aria-labelledby")
            .expect("aria-labelledby")
            .split(' ')
            .collect();
        assert_eq!(labelled_by.len(), 2);
        let id_of = |name: &str| {
            let matching: Vec<_> = elements.iter().filter(|e| e.0 == name).collect();
            assert_eq!(matching.len(), 1, "exactly one <{name}>");
            attribute(matching[0], "id").expect("an id").to_owned()
        };
        assert_eq!(labelled_by, [id_of("title"), id_of("desc")]);
        assert!(svg.contains(">Run time of backup</title>"));
        assert!(svg.contains(">Median 1.2 s, longest 4.0 s; 1 failed.</desc>"));
        assert!(svg.contains(">\nseconds\n</text>"), "the y label is drawn");
        assert!(
            svg.contains("11-22 "),
            "time labels read month-day hour:minute"
        );
    }

    #[test]
    fn failed_points_are_red_crosses_and_ok_points_blue_dots() {
        let elements_of = |ok| {
            elements(&time_series_svg(
                "t",
                "d",
                "s",
                &[point(0, 1.0, ok)],
                (300, 150),
            ))
        };
        let painted = |elements: &[(String, Vec<(String, String)>)], name: &str, colour: &str| {
            elements.iter().any(|element| {
                element.0 == name
                    && [attribute(element, "fill"), attribute(element, "stroke")]
                        .contains(&Some(colour))
            })
        };
        let failed = elements_of(false);
        assert!(painted(&failed, "line", "#DC2626"), "a red cross");
        assert!(
            !failed.iter().any(|element| element.0 == "circle"),
            "no dot"
        );
        let ok = elements_of(true);
        assert!(painted(&ok, "circle", "#3B82F6"), "a blue dot");
        assert!(!painted(&ok, "line", "#DC2626"), "no cross");
    }

    #[test]
    fn text_is_escaped() {
        let svg = time_series_svg("<script>&\"'", "a < b & \"c\"", "<y>", &runs(), (300, 150));
        elements(&svg);
        assert!(
            svg.contains(">&lt;script&gt;&amp;&quot;&apos;</title>"),
            "{svg}"
        );
        assert!(svg.contains(">a &lt; b &amp; &quot;c&quot;</desc>"));
        assert!(svg.contains("&lt;y&gt;"));
        assert!(!svg.contains("<script>") && !svg.contains("<y>"));
    }

    #[test]
    fn no_points_say_no_data_yet() {
        let svg = time_series_svg("Empty", "Nothing has run.", "s", &[], (300, 150));
        let elements = elements(&svg);
        assert_eq!(attribute(&elements[0], "role"), Some("img"));
        assert_eq!(attribute(&elements[0], "viewBox"), Some("0 0 300 150"));
        assert!(svg.contains(">Empty</title>"));
        assert!(svg.contains(">No data yet</text>"));
        let not_finite = time_series_svg("Empty", "", "s", &[point(0, f64::NAN, true)], (300, 150));
        assert!(not_finite.contains("No data yet"));
    }

    #[test]
    fn two_charts_on_one_page_have_different_ids() {
        let first = ids_of(&time_series_svg(
            "Run time of a",
            "d",
            "s",
            &runs(),
            (300, 150),
        ));
        let second = ids_of(&time_series_svg(
            "Run time of b",
            "d",
            "s",
            &runs(),
            (300, 150),
        ));
        assert_eq!(first.len(), 2);
        assert!(
            first.iter().all(|id| !second.contains(id)),
            "{first:?} {second:?}"
        );
    }

    #[test]
    fn degenerate_series_draw_without_panicking() {
        for points in [
            vec![point(0, 2.0, true)],
            vec![point(0, 0.0, false)],
            vec![
                point(0, 3.0, true),
                point(5, 3.0, true),
                point(9, 3.0, false),
            ],
            vec![point(0, 0.0, true), point(0, 0.0, true)],
            vec![point(0, -1.0, true), point(30, 2.0, true)],
        ] {
            let svg = time_series_svg("t", "d", "s", &points, (300, 150));
            elements(&svg);
            assert!(!svg.contains("could not be drawn"), "{svg}");
        }
    }

    #[test]
    fn points_are_joined_in_order_of_time() {
        let mut shuffled = runs();
        shuffled.swap(0, 2);
        assert_eq!(
            time_series_svg("t", "d", "s", &shuffled, (300, 150)),
            time_series_svg("t", "d", "s", &runs(), (300, 150))
        );
    }

    #[test]
    fn a_thousand_points_render() {
        let many: Vec<Point> = (0..1000)
            .map(|i| point(i * 15, (i % 7) as f64, i % 50 != 0))
            .collect();
        let svg = time_series_svg("Many", "d", "s", &many, (640, 220));
        let elements = elements(&svg);
        assert_eq!(elements.iter().filter(|e| e.0 == "circle").count(), 980);
    }

    #[test]
    fn time_ticks_fall_on_round_times() {
        let start = 1_795_000_000.0; // some instant, not on a round minute
        let ticks = time_ticks(start, start + 3.5 * 3600.0, 5);
        assert!(!ticks.is_empty() && ticks.len() <= 5, "{ticks:?}");
        assert!(ticks.iter().all(|tick| tick % 3600.0 == 0.0), "{ticks:?}");
        let years = time_ticks(start, start + 3.0 * 365.0 * 86_400.0, 4);
        assert!(!years.is_empty() && years.len() <= 4, "{years:?}");
    }

    #[test]
    fn a_frame_sets_the_time_window_and_the_top_of_the_value_axis() {
        let at = |minute| point(minute, 0.0, true).at;
        let framed = |top| {
            framed_time_series_svg(
                "Uptime",
                "d",
                "% up",
                &[point(0, 50.0, true), point(-10 * 24 * 60, 40.0, false)],
                (720, 220),
                Frame {
                    window: Some((at(-3 * 24 * 60), at(24 * 60))),
                    top,
                },
            )
        };
        let svg = framed(Some(100.0));
        // The axis spans four days although one point is inside them, and the point
        // ten days back is left out (no cross).
        assert!(svg.contains(">\n11-20 00:00\n<"), "{svg}");
        assert!(svg.contains(">\n11-23 00:00\n<"), "{svg}");
        assert!(!svg.contains("11-12 "), "{svg}");
        let red = elements(&svg)
            .into_iter()
            .any(|element| attribute(&element, "stroke") == Some("#DC2626"));
        assert!(!red, "the failed point outside the window is not drawn");
        assert!(svg.contains(">\n100.0\n<"), "the axis ends at 100: {svg}");
        let unframed = framed(None);
        assert!(!unframed.contains(">\n100.0\n<"), "{unframed}");
    }
}
