//! Dynamic labels: `${PROP('Dim.InstanceId')}`, `${LABEL}`, `${MAX}` ... in a label.

use crate::math::Series;

/// `${PROP('Dim.InstanceId')}`, `${LABEL}`, `${MAX}` ... in a label, as CloudWatch's
/// dynamic labels.
pub fn dynamic_label(label: &str, series: &Series, default_label: &str) -> String {
    if !label.contains("${") {
        return label.to_string();
    }
    let values: Vec<f64> = series.values().collect();
    let number = |v: Option<f64>| v.map(format_number).unwrap_or_default();
    let mut out = String::new();
    let mut rest = label;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let token = &rest[start + 2..start + end];
        let meta = series.meta.as_deref();
        let replacement = match token {
            "LABEL" => default_label.to_string(),
            "AVG" => number((!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)),
            "MAX" => number(values.iter().copied().reduce(f64::max)),
            "MIN" => number(values.iter().copied().reduce(f64::min)),
            "SUM" => number(Some(values.iter().sum())),
            "FIRST" => number(series.points.first().map(|p| p.1)),
            "LAST" => number(series.points.last().map(|p| p.1)),
            "DATAPOINT_COUNT" => values.len().to_string(),
            prop if prop.starts_with("PROP(") => {
                let name =
                    prop.trim_start_matches("PROP(").trim_end_matches(')').trim_matches(|c| c == '\'' || c == '"');
                match (name, meta) {
                    ("MetricName", Some(m)) => m.name.clone(),
                    ("Namespace", Some(m)) => m.namespace.clone(),
                    ("Stat", Some(m)) => m.stat.clone(),
                    ("Period", _) => series.period.to_string(),
                    (dim, Some(m)) if dim.starts_with("Dim.") => {
                        m.dimensions.iter().find(|(n, _)| n == &dim[4..]).map(|(_, v)| v.clone()).unwrap_or_default()
                    }
                    _ => String::new(),
                }
            }
            _ => format!("${{{token}}}"),
        };
        out.push_str(&replacement);
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
