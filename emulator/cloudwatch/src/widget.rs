//! GetMetricWidgetImage: a metric widget's JSON (the dashboard widget `properties`
//! syntax) rendered to a PNG chart by a small rasteriser: title, y-axis ticks, time
//! labels, grid, one line per time series (or stacked areas, a bar per series, or the
//! latest values in large type for `singleValue`), horizontal annotations and a legend.
//! The PNG is written by hand (zlib from `flate2`, CRC-32 here).

use std::io::Write as _;

use chrono::{TimeZone, Utc};
use flate2::write::ZlibEncoder;
use nimbus_core::types::Blob;
use nimbus_core::{ApiError, RequestContext};
use serde_json::{Map, Value};

use crate::generated::dto::{
    Dimension, GetMetricWidgetImageInput, GetMetricWidgetImageOutput, Metric, MetricDataQuery, MetricStat,
};
use crate::math::{Series, Value as MathValue};
use crate::metric_data::{dynamic_label, validation, Engine};
use crate::CwState;

/// AWS's default palette, in order.
const PALETTE: [[u8; 3]; 10] = [
    [0x1f, 0x77, 0xb4],
    [0xff, 0x7f, 0x0e],
    [0x2c, 0xa0, 0x2c],
    [0xd6, 0x27, 0x28],
    [0x94, 0x67, 0xbd],
    [0x8c, 0x56, 0x4b],
    [0xe3, 0x77, 0xc2],
    [0x7f, 0x7f, 0x7f],
    [0xbc, 0xbd, 0x22],
    [0x17, 0xbe, 0xcf],
];

// ---------------------------------------------------------------- raster

struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Canvas {
        Canvas { w, h, px: vec![255; w * h * 3] }
    }

    fn set(&mut self, x: i64, y: i64, c: [u8; 3]) {
        if x >= 0 && y >= 0 && (x as usize) < self.w && (y as usize) < self.h {
            let i = (y as usize * self.w + x as usize) * 3;
            self.px[i..i + 3].copy_from_slice(&c);
        }
    }

    fn rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, c: [u8; 3]) {
        for y in y0.min(y1)..=y0.max(y1) {
            for x in x0.min(x1)..=x0.max(x1) {
                self.set(x, y, c);
            }
        }
    }

    /// Bresenham, `thick` pixels wide.
    fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), c: [u8; 3], thick: i64, dashed: bool) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err, mut n) = (x0, y0, dx + dy, 0u32);
        loop {
            if !dashed || (n / 4) % 2 == 0 {
                for t in 0..thick {
                    if dx > -dy {
                        self.set(x, y + t, c);
                    } else {
                        self.set(x + t, y, c);
                    }
                }
            }
            n += 1;
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// Text in the 5x7 font, `scale` times larger; returns the width drawn.
    fn text(&mut self, x: i64, y: i64, s: &str, c: [u8; 3], scale: i64) -> i64 {
        let mut cx = x;
        for ch in s.chars() {
            let g = glyph(ch);
            for (row, bits) in g.iter().enumerate() {
                for col in 0..5 {
                    if bits & (0x10 >> col) != 0 {
                        self.rect(
                            cx + col * scale,
                            y + row as i64 * scale,
                            cx + (col + 1) * scale - 1,
                            y + (row as i64 + 1) * scale - 1,
                            c,
                        );
                    }
                }
            }
            cx += 6 * scale;
        }
        cx - x
    }
}

fn text_width(s: &str, scale: i64) -> i64 {
    s.chars().count() as i64 * 6 * scale
}

/// A 5x7 glyph: seven rows of five bits. Lower case is drawn as upper case.
fn glyph(c: char) -> [u8; 7] {
    match c.to_ascii_uppercase() {
        ' ' => [0; 7],
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        'A' => [0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        '.' => [0, 0, 0, 0, 0, 0x0C, 0x0C],
        ',' => [0, 0, 0, 0, 0x0C, 0x04, 0x08],
        ':' => [0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0],
        ';' => [0, 0x0C, 0x0C, 0, 0x0C, 0x04, 0x08],
        '-' => [0, 0, 0, 0x1F, 0, 0, 0],
        '_' => [0, 0, 0, 0, 0, 0, 0x1F],
        '/' => [0, 0x01, 0x02, 0x04, 0x08, 0x10, 0],
        '%' => [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
        '(' => [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
        ')' => [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
        '[' => [0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E],
        ']' => [0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E],
        '+' => [0, 0x04, 0x04, 0x1F, 0x04, 0x04, 0],
        '=' => [0, 0, 0x1F, 0, 0x1F, 0, 0],
        '*' => [0, 0x04, 0x15, 0x0E, 0x15, 0x04, 0],
        '<' => [0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02],
        '>' => [0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08],
        '#' => [0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A],
        '!' => [0x04, 0x04, 0x04, 0x04, 0x04, 0, 0x04],
        '?' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0, 0x04],
        '\'' => [0x0C, 0x04, 0x08, 0, 0, 0, 0],
        '"' => [0x0A, 0x0A, 0, 0, 0, 0, 0],
        '&' => [0x0C, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0D],
        '@' => [0x0E, 0x11, 0x17, 0x15, 0x17, 0x10, 0x0E],
        '$' => [0x04, 0x0F, 0x14, 0x0E, 0x05, 0x1E, 0x04],
        '|' => [0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        _ => [0x1F, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F],
    }
}

// ---------------------------------------------------------------- PNG

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// An 8-bit RGB PNG of the canvas.
fn png(c: &Canvas) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&(c.w as u32).to_be_bytes());
    ihdr.extend_from_slice(&(c.h as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // depth 8, RGB, deflate, no filter, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    let mut raw = Vec::with_capacity(c.h * (c.w * 3 + 1));
    for row in c.px.chunks(c.w * 3) {
        raw.push(0); // filter: none
        raw.extend_from_slice(row);
    }
    let mut z = ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = z.write_all(&raw);
    let idat = z.finish().unwrap_or_default();
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

// ---------------------------------------------------------------- the widget

/// `-PT3H`, `-P1D`, `-PT15M`, `PT0H`... (relative to now) or an ISO 8601 time.
fn time_of(v: Option<&Value>, now_ms: i64, default_ms: i64, field: &str) -> Result<i64, ApiError> {
    let Some(v) = v else { return Ok(default_ms) };
    let s = v.as_str().ok_or_else(|| validation(format!("The field {field} must be a string.")))?;
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let rest =
        rest.strip_prefix('P').ok_or_else(|| validation(format!("The value {s} of {field} is not a valid time.")))?;
    let (days, time) = rest.split_once('T').unwrap_or((rest, ""));
    let mut total = 0i64;
    let mut parse = |part: &str, units: &[(char, i64)]| -> Result<(), ApiError> {
        let mut num = String::new();
        for ch in part.chars() {
            if ch.is_ascii_digit() || ch == '.' {
                num.push(ch);
                continue;
            }
            let unit = units.iter().find(|(u, _)| *u == ch).map(|(_, ms)| *ms);
            let n: f64 =
                num.parse().map_err(|_| validation(format!("The value {s} of {field} is not a valid time.")))?;
            match unit {
                Some(ms) => total += (n * ms as f64) as i64,
                None => return Err(validation(format!("The value {s} of {field} is not a valid time."))),
            }
            num.clear();
        }
        if num.is_empty() {
            Ok(())
        } else {
            Err(validation(format!("The value {s} of {field} is not a valid time.")))
        }
    };
    parse(days, &[('Y', 365 * 86_400_000), ('M', 30 * 86_400_000), ('W', 7 * 86_400_000), ('D', 86_400_000)])?;
    parse(time, &[('H', 3_600_000), ('M', 60_000), ('S', 1000)])?;
    Ok(now_ms + sign * total)
}

/// A widget row as a query, with the colour it asks for.
type Row = (MetricDataQuery, Option<[u8; 3]>);

/// The widget's metric rows as MetricDataQuery (hidden rows return no data).
fn queries(props: &Map<String, Value>, default_stat: &str, default_period: i64) -> Result<Vec<Row>, ApiError> {
    let rows = props.get("metrics").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut out = Vec::new();
    let mut previous: Vec<String> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let items = row.as_array().ok_or_else(|| validation(format!("The field metrics[{i}] must be an array.")))?;
        let (strings, opts) = match items.last() {
            Some(Value::Object(o)) => (&items[..items.len() - 1], o.clone()),
            _ => (&items[..], Map::new()),
        };
        let id = opts.get("id").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| format!("m{}", i + 1));
        let color = opts.get("color").and_then(Value::as_str).and_then(|c| {
            let h = c.strip_prefix('#')?;
            (h.len() == 6).then(|| [0, 2, 4].map(|k| u8::from_str_radix(&h[k..k + 2], 16).unwrap_or(0)))
        });
        let visible = opts.get("visible").and_then(Value::as_bool).unwrap_or(true);
        let label = opts.get("label").and_then(Value::as_str).map(str::to_string);
        let period = opts.get("period").and_then(Value::as_i64);
        if let Some(e) = opts.get("expression").and_then(Value::as_str) {
            out.push((
                MetricDataQuery {
                    id,
                    expression: Some(e.to_string()),
                    label,
                    return_data: Some(visible),
                    period: period.map(|p| p as i32),
                    ..Default::default()
                },
                color,
            ));
            continue;
        }
        // "..." repeats the previous row; "." the previous row's value at this position.
        let mut values: Vec<String> = Vec::new();
        for (j, s) in strings.iter().enumerate() {
            let s = s.as_str().ok_or_else(|| validation(format!("The field metrics[{i}][{j}] must be a string.")))?;
            match s {
                "..." => values.extend(previous.iter().cloned()),
                "." => values.push(previous.get(values.len()).cloned().unwrap_or_default()),
                other => values.push(other.to_string()),
            }
        }
        if values.len() < 2 || !values.len().is_multiple_of(2) {
            return Err(validation(format!(
                "The field metrics[{i}] must be [namespace, metric name, dimension name, dimension value, ...]."
            )));
        }
        previous = values.clone();
        let dims: Vec<Dimension> =
            values[2..].chunks(2).map(|p| Dimension { name: p[0].clone(), value: p[1].clone() }).collect();
        out.push((
            MetricDataQuery {
                id,
                metric_stat: Some(MetricStat {
                    metric: Metric {
                        namespace: Some(values[0].clone()),
                        metric_name: Some(values[1].clone()),
                        dimensions: Some(dims),
                    },
                    period: period.unwrap_or(default_period) as i32,
                    stat: opts.get("stat").and_then(Value::as_str).unwrap_or(default_stat).to_string(),
                    unit: None,
                }),
                label,
                return_data: Some(visible),
                ..Default::default()
            },
            color,
        ));
    }
    Ok(out)
}

fn nice_step(range: f64) -> f64 {
    let raw = range / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let step = if norm < 1.5 {
        1.0
    } else if norm < 3.0 {
        2.0
    } else if norm < 7.0 {
        5.0
    } else {
        10.0
    };
    step * mag
}

fn short_number(v: f64) -> String {
    let a = v.abs();
    let (n, suffix) = if a >= 1e9 {
        (v / 1e9, "B")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "K")
    } else {
        (v, "")
    };
    let s = if n.fract().abs() < 1e-9 { format!("{n:.0}") } else { format!("{n:.2}") };
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    format!("{s}{suffix}")
}

pub fn get_metric_widget_image(
    state: &CwState,
    ctx: &RequestContext,
    input: GetMetricWidgetImageInput,
) -> Result<GetMetricWidgetImageOutput, ApiError> {
    let store = &state.metrics;
    if let Some(f) = input.output_format.as_deref() {
        if f != "png" && f != "image/png" {
            return Err(validation(format!(
                "The value {f} for parameter OutputFormat is invalid. Only png is supported."
            )));
        }
    }
    let widget: Value = serde_json::from_str(&input.metric_widget)
        .map_err(|_| validation("The value for field MetricWidget must be a valid JSON object."))?;
    let props = widget
        .as_object()
        .ok_or_else(|| validation("The value for field MetricWidget must be a valid JSON object."))?;
    let now_ms = ctx.now.timestamp_millis();
    let width = props.get("width").and_then(Value::as_i64).unwrap_or(600).clamp(50, 2000) as usize;
    let height = props.get("height").and_then(Value::as_i64).unwrap_or(400).clamp(50, 2000) as usize;
    let start = time_of(props.get("start"), now_ms, now_ms - 3 * 3_600_000, "start")?;
    let end = time_of(props.get("end"), now_ms, now_ms, "end")?;
    if end <= start {
        return Err(validation("The end of the widget's time range must be after its start."));
    }
    let range_s = (end - start) / 1000;
    let auto = [60i64, 300, 900, 3600, 21_600, 86_400].into_iter().find(|p| range_s / p <= 300).unwrap_or(86_400);
    let period = props.get("period").and_then(Value::as_i64).unwrap_or(auto);
    let stat = props.get("stat").and_then(Value::as_str).unwrap_or("Average");
    let rows = queries(props, stat, period)?;
    let list: Vec<MetricDataQuery> = rows.iter().map(|(q, _)| q.clone()).collect();
    let mut series: Vec<(Series, [u8; 3])> = Vec::new();
    if !list.is_empty() {
        let mut engine = Engine::new(store, &list, "metrics", start, end, now_ms)?;
        for (q, color) in &rows {
            if q.return_data == Some(false) {
                continue;
            }
            let found = match engine.value(&q.id)? {
                MathValue::Series(s) => vec![s],
                MathValue::Array(a) => a,
                other => {
                    return Err(validation(format!(
                        "The expression {} returns {}, not a time series.",
                        q.id,
                        other.kind()
                    )))
                }
            };
            for (k, mut s) in found.into_iter().enumerate() {
                if let Some(l) = &q.label {
                    s.label = dynamic_label(l, &s, &s.label);
                }
                let c = color.filter(|_| k == 0).unwrap_or(PALETTE[series.len() % PALETTE.len()]);
                series.push((s, c));
            }
        }
    }
    let mut canvas = Canvas::new(width, height);
    draw(&mut canvas, props, &series, start, end)?;
    Ok(GetMetricWidgetImageOutput { metric_widget_image: Some(Blob(png(&canvas))) })
}

const INK: [u8; 3] = [0x33, 0x33, 0x33];
const GRID: [u8; 3] = [0xe5, 0xe5, 0xe5];
const AXIS: [u8; 3] = [0x99, 0x99, 0x99];

fn draw(
    c: &mut Canvas,
    props: &Map<String, Value>,
    series: &[(Series, [u8; 3])],
    start: i64,
    end: i64,
) -> Result<(), ApiError> {
    let (w, h) = (c.w as i64, c.h as i64);
    let title = props.get("title").and_then(Value::as_str).unwrap_or("");
    let view = props.get("view").and_then(Value::as_str).unwrap_or("timeSeries");
    let stacked = props.get("stacked").and_then(Value::as_bool).unwrap_or(false);
    let legend_rows = if props.get("legend").and_then(|l| l.get("position")).and_then(Value::as_str) == Some("hidden") {
        0
    } else {
        series.len().min(8) as i64
    };
    let top = if title.is_empty() { 10 } else { 28 };
    if !title.is_empty() {
        c.text(10, 9, title, INK, 1);
    }
    if series.is_empty() || series.iter().all(|(s, _)| s.points.is_empty()) {
        let msg = "No data available.";
        c.text((w - text_width(msg, 1)) / 2, h / 2, msg, AXIS, 1);
        return Ok(());
    }
    if view == "singleValue" {
        let cell = (w - 20) / series.len().max(1) as i64;
        for (i, (s, color)) in series.iter().enumerate() {
            let x = 10 + i as i64 * cell;
            c.text(x, top + 4, &s.label, INK, 1);
            let v = s.points.last().map(|p| short_number(p.1)).unwrap_or_else(|| "-".into());
            let scale = ((cell - 10) / text_width(&v, 1).max(1)).clamp(1, 6);
            c.text(x, top + 24, &v, *color, scale);
        }
        return Ok(());
    }
    let (left, right, bottom) = (62, w - 12, h - 24 - legend_rows * 12);
    if bottom - top < 20 || right - left < 20 {
        return Err(validation("The widget is too small to draw."));
    }
    // Values to fit: stacked sums, or every point; annotations too.
    let mut stacked_points: Vec<Vec<(i64, f64)>> = Vec::new();
    if stacked && view == "timeSeries" {
        let mut acc: std::collections::BTreeMap<i64, f64> = std::collections::BTreeMap::new();
        for (s, _) in series {
            for (t, v) in &s.points {
                *acc.entry(*t).or_default() += v;
            }
            stacked_points.push(s.points.iter().map(|(t, _)| (*t, acc[t])).collect());
        }
    }
    let annotations: Vec<(f64, String)> = props
        .get("annotations")
        .and_then(|a| a.get("horizontal"))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|a| {
                    Some((a.get("value")?.as_f64()?, a.get("label").and_then(Value::as_str).unwrap_or("").to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    let values: Vec<f64> = if stacked_points.is_empty() {
        series.iter().flat_map(|(s, _)| s.values()).collect()
    } else {
        stacked_points.iter().flatten().map(|p| p.1).collect()
    };
    let mut lo = values.iter().copied().chain(annotations.iter().map(|a| a.0)).fold(f64::INFINITY, f64::min).min(0.0);
    let mut hi = values.iter().copied().chain(annotations.iter().map(|a| a.0)).fold(f64::NEG_INFINITY, f64::max);
    if let Some(y) = props.get("yAxis").and_then(|y| y.get("left")) {
        if let Some(m) = y.get("min").and_then(Value::as_f64) {
            lo = m;
        }
        if let Some(m) = y.get("max").and_then(Value::as_f64) {
            hi = m;
        }
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    let step = nice_step(hi - lo);
    lo = (lo / step).floor() * step;
    hi = (hi / step).ceil() * step;
    let y_of = |v: f64| bottom - ((v - lo) / (hi - lo) * (bottom - top) as f64).round() as i64;
    let x_of = |t: i64| left + ((t - start) as f64 / (end - start) as f64 * (right - left) as f64).round() as i64;
    // Grid and y ticks.
    let mut v = lo;
    while v <= hi + step / 2.0 {
        let y = y_of(v);
        c.line((left, y), (right, y), GRID, 1, false);
        let label = short_number(v);
        c.text(left - 6 - text_width(&label, 1), y - 3, &label, INK, 1);
        v += step;
    }
    // Time ticks: about every 100 pixels, on whole minutes.
    let span = end - start;
    let candidates =
        [60_000i64, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000];
    let tick = candidates.into_iter().find(|t| span / t <= (right - left) / 90).unwrap_or(86_400_000);
    let mut t = start - start.rem_euclid(tick) + tick;
    while t < end {
        let x = x_of(t);
        c.line((x, top), (x, bottom), GRID, 1, false);
        let d = Utc.timestamp_millis_opt(t).single().unwrap_or_default();
        let label = if tick >= 86_400_000 { d.format("%m/%d").to_string() } else { d.format("%H:%M").to_string() };
        c.text(x - text_width(&label, 1) / 2, bottom + 6, &label, INK, 1);
        t += tick;
    }
    c.line((left, top), (left, bottom), AXIS, 1, false);
    c.line((left, bottom), (right, bottom), AXIS, 1, false);
    match view {
        "bar" | "pie" | "gauge" => {
            let n = series.len() as i64;
            let slot = (right - left) / n.max(1);
            for (i, (s, color)) in series.iter().enumerate() {
                let v = s.points.last().map_or(0.0, |p| p.1);
                let x0 = left + i as i64 * slot + slot / 6;
                c.rect(x0, y_of(v), x0 + slot * 2 / 3, y_of(lo.max(0.0)), *color);
            }
        }
        _ => {
            for (i, (s, color)) in series.iter().enumerate() {
                let points = if stacked_points.is_empty() { &s.points } else { &stacked_points[i] };
                let gap = s.period.max(1) * 1000 * 3 / 2;
                for pair in points.windows(2) {
                    if pair[1].0 - pair[0].0 > gap {
                        continue;
                    }
                    c.line((x_of(pair[0].0), y_of(pair[0].1)), (x_of(pair[1].0), y_of(pair[1].1)), *color, 2, false);
                }
                for p in points {
                    c.rect(x_of(p.0) - 1, y_of(p.1) - 1, x_of(p.0) + 1, y_of(p.1) + 1, *color);
                }
            }
        }
    }
    for (v, label) in &annotations {
        let y = y_of(*v);
        c.line((left, y), (right, y), PALETTE[3], 1, true);
        if !label.is_empty() {
            c.text(right - text_width(label, 1) - 2, y - 10, label, PALETTE[3], 1);
        }
    }
    for (i, (s, color)) in series.iter().take(legend_rows as usize).enumerate() {
        let y = bottom + 22 + i as i64 * 12;
        c.rect(left, y, left + 8, y + 6, *color);
        c.text(left + 14, y, &s.label, INK, 1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MetricKey, NewSample, UNIT_NONE};

    #[test]
    fn crc_and_png_structure() {
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
        let mut c = Canvas::new(3, 2);
        c.set(1, 1, [255, 0, 0]);
        let p = png(&c);
        assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&p[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes(p[16..20].try_into().unwrap()), 3);
        assert_eq!(u32::from_be_bytes(p[20..24].try_into().unwrap()), 2);
        assert!(p.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]));
        // The pixel data inflates back to filter bytes and rows.
        let idat_len = u32::from_be_bytes(p[33..37].try_into().unwrap()) as usize;
        assert_eq!(&p[37..41], b"IDAT");
        let mut raw = Vec::new();
        use std::io::Read as _;
        flate2::read::ZlibDecoder::new(&p[41..41 + idat_len]).read_to_end(&mut raw).unwrap();
        assert_eq!(raw.len(), 2 * (3 * 3 + 1));
        assert_eq!(&raw[10..20], &[0, 255, 255, 255, 255, 0, 0, 255, 255, 255]);
    }

    #[test]
    fn times_relative_and_absolute() {
        let now = 1_800_000_000_000;
        assert_eq!(time_of(Some(&Value::from("-PT3H")), now, 0, "start").unwrap(), now - 3 * 3_600_000);
        assert_eq!(time_of(Some(&Value::from("-P1DT30M")), now, 0, "start").unwrap(), now - 86_400_000 - 1_800_000);
        assert_eq!(time_of(Some(&Value::from("PT0H")), now, 0, "end").unwrap(), now);
        let absolute = chrono::DateTime::parse_from_rfc3339("2027-01-15T08:00:00Z").unwrap().timestamp_millis();
        assert_eq!(time_of(Some(&Value::from("2027-01-15T08:00:00Z")), now, 0, "end").unwrap(), absolute);
        assert!(time_of(Some(&Value::from("-3h")), now, 0, "start").is_err());
    }

    #[test]
    fn renders_a_chart() {
        let mut store = CwState::default();
        let mut ctx = RequestContext::for_tests();
        ctx.now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let now = ctx.now.timestamp_millis();
        for i in 0..60 {
            let key = MetricKey::new("App", "Latency", vec![("Host".into(), "a".into())]);
            store.metrics.put(
                key,
                now - (60 - i) * 60_000,
                UNIT_NONE,
                false,
                NewSample::One((i % 7) as f64 * 10.0),
                now,
            );
        }
        let widget = serde_json::json!({
            "metrics": [["App", "Latency", "Host", "a", {"label": "Latency a"}], [{"expression": "m1 * 2", "label": "Double"}]],
            "start": "-PT1H", "title": "Latency", "width": 400, "height": 250,
            "annotations": {"horizontal": [{"value": 50, "label": "Limit"}]}
        });
        let out = get_metric_widget_image(
            &store,
            &ctx,
            GetMetricWidgetImageInput { metric_widget: widget.to_string(), output_format: None },
        )
        .unwrap();
        let bytes = out.metric_widget_image.unwrap().0;
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), 400);
        assert_eq!(u32::from_be_bytes(bytes[20..24].try_into().unwrap()), 250);
        // Both lines are drawn: the palette's first two colours appear.
        let mut raw = Vec::new();
        use std::io::Read as _;
        let idat_len = u32::from_be_bytes(bytes[33..37].try_into().unwrap()) as usize;
        flate2::read::ZlibDecoder::new(&bytes[41..41 + idat_len]).read_to_end(&mut raw).unwrap();
        let has = |c: [u8; 3]| raw.windows(3).any(|w| w == c);
        assert!(has(PALETTE[0]) && has(PALETTE[1]) && has(PALETTE[3]));
        let bad = get_metric_widget_image(
            &store,
            &ctx,
            GetMetricWidgetImageInput { metric_widget: "{".into(), output_format: None },
        )
        .unwrap_err();
        assert_eq!(bad.code, "ValidationError");
    }
}
