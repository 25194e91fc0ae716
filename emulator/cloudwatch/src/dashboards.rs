//! Dashboards: global per account (not per region), their bodies validated as
//! CloudWatch validates them — a JSON schema whose violations come back as
//! `InvalidParameterInput` with `DashboardValidationMessages` (`dataPath` + message).

use std::collections::BTreeMap;

use base64::Engine as _;
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::generated::dto::{
    DashboardEntry, DashboardValidationMessage, DeleteDashboardsInput, DeleteDashboardsOutput, GetDashboardInput,
    GetDashboardOutput, ListDashboardsInput, ListDashboardsOutput, PutDashboardInput, PutDashboardOutput,
};
use crate::statistics::Stat;
use crate::tags::Tags;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dashboard {
    pub name: String,
    pub arn: String,
    pub body: String,
    pub last_modified_ms: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Dashboards {
    pub dashboards: BTreeMap<String, Dashboard>,
    pub tags: Tags,
}

/// ListDashboards pages by 1,000.
const PAGE: usize = 1000;

pub fn dashboard_arn(account: &str, name: &str) -> String {
    format!("arn:aws:cloudwatch::{account}:dashboard/{name}")
}

const WIDGET_TYPES: [&str; 6] = ["metric", "text", "log", "alarm", "explorer", "custom"];
const VIEWS: [&str; 6] = ["timeSeries", "singleValue", "gauge", "bar", "pie", "table"];

struct Check {
    messages: Vec<(String, String)>,
}

impl Check {
    fn add(&mut self, path: &str, message: impl Into<String>) {
        self.messages.push((path.to_string(), message.into()));
    }

    fn integer(&mut self, obj: &serde_json::Map<String, Value>, key: &str, path: &str, min: i64, max: i64) {
        let Some(v) = obj.get(key) else { return };
        let p = format!("{path}/{key}");
        match v.as_f64() {
            Some(n) if n.fract() == 0.0 => {
                if (n as i64) < min {
                    self.add(&p, format!("Should be >= {min}"));
                } else if (n as i64) > max {
                    self.add(&p, format!("Should be <= {max}"));
                }
            }
            _ => self.add(&p, "Should be integer"),
        }
    }

    fn string(&mut self, obj: &serde_json::Map<String, Value>, key: &str, path: &str) {
        if obj.get(key).is_some_and(|v| !v.is_string()) {
            self.add(&format!("{path}/{key}"), "Should be string");
        }
    }

    fn metric_rows(&mut self, rows: &Value, path: &str) {
        let Some(rows) = rows.as_array() else {
            self.add(path, "Should be array");
            return;
        };
        for (i, row) in rows.iter().enumerate() {
            let rp = format!("{path}/{i}");
            let Some(items) = row.as_array() else {
                self.add(&rp, "Should be array");
                continue;
            };
            if items.is_empty() {
                self.add(&rp, "Should NOT have fewer than 1 items");
                continue;
            }
            let (strings, options) = match items.last() {
                Some(Value::Object(o)) => (&items[..items.len() - 1], Some(o)),
                _ => (&items[..], None),
            };
            for (j, item) in strings.iter().enumerate() {
                if !item.is_string() {
                    self.add(&format!("{rp}/{j}"), "Should be string");
                }
            }
            let is_expression = options.is_some_and(|o| o.contains_key("expression"));
            if strings.is_empty() && !is_expression {
                self.add(&rp, "Should have a namespace and a metric name, or an expression");
            }
            if !strings.is_empty() && strings.len() < 2 && strings.first().and_then(Value::as_str) != Some("...") {
                self.add(&rp, "Should NOT have fewer than 2 items");
            }
            if let Some(o) = options {
                let op = format!("{rp}/{}", items.len() - 1);
                if let Some(stat) = o.get("stat") {
                    if stat.as_str().and_then(Stat::parse).is_none() {
                        self.add(&format!("{op}/stat"), "Should be a valid statistic");
                    }
                }
                self.integer(o, "period", &op, 1, i64::MAX);
                for key in ["label", "id", "expression", "color", "region"] {
                    self.string(o, key, &op);
                }
                if let Some(c) = o.get("color").and_then(Value::as_str) {
                    let hex = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|x| x.is_ascii_hexdigit());
                    if !hex {
                        self.add(&format!("{op}/color"), "Should match pattern \"^#[0-9a-fA-F]{6}$\"");
                    }
                }
            }
        }
    }

    fn widget(&mut self, widget: &Value, path: &str) {
        let Some(w) = widget.as_object() else {
            self.add(path, "Should be object");
            return;
        };
        let kind = match w.get("type") {
            None => {
                self.add(path, "Should have required property 'type'");
                return;
            }
            Some(Value::String(t)) if WIDGET_TYPES.contains(&t.as_str()) => t.as_str(),
            Some(_) => {
                self.add(&format!("{path}/type"), "Should be equal to one of the allowed values");
                return;
            }
        };
        self.integer(w, "x", path, 0, 23);
        self.integer(w, "y", path, 0, i64::MAX);
        self.integer(w, "width", path, 1, 24);
        self.integer(w, "height", path, 1, 1000);
        let Some(props) = w.get("properties") else {
            self.add(path, "Should have required property 'properties'");
            return;
        };
        let pp = format!("{path}/properties");
        let Some(p) = props.as_object() else {
            self.add(&pp, "Should be object");
            return;
        };
        match kind {
            "metric" => {
                let has_metrics = p.contains_key("metrics");
                let has_annotations = p.get("annotations").and_then(|a| a.get("alarms")).is_some();
                if !has_metrics && !p.contains_key("annotations") {
                    self.add(&pp, "Should have required property 'metrics'");
                    self.add(
                        &pp,
                        "The metric widget should have specified a region and a data source or an alarm annotation",
                    );
                    self.add(&pp, "Should have required property 'annotations'");
                } else if !has_annotations && !p.contains_key("region") {
                    self.add(
                        &pp,
                        "The metric widget should have specified a region and a data source or an alarm annotation",
                    );
                }
                if let Some(m) = p.get("metrics") {
                    self.metric_rows(m, &format!("{pp}/metrics"));
                }
                if let Some(v) = p.get("view") {
                    if !v.as_str().is_some_and(|v| VIEWS.contains(&v)) {
                        self.add(&format!("{pp}/view"), "Should be equal to one of the allowed values");
                    }
                }
                if let Some(s) = p.get("stat") {
                    if s.as_str().and_then(Stat::parse).is_none() {
                        self.add(&format!("{pp}/stat"), "Should be a valid statistic");
                    }
                }
                self.integer(p, "period", &pp, 1, i64::MAX);
                for key in ["title", "region"] {
                    self.string(p, key, &pp);
                }
                if p.get("stacked").is_some_and(|v| !v.is_boolean()) {
                    self.add(&format!("{pp}/stacked"), "Should be boolean");
                }
            }
            "text" => match p.get("markdown") {
                None => self.add(&pp, "Should have required property 'markdown'"),
                Some(m) if !m.is_string() => self.add(&format!("{pp}/markdown"), "Should be string"),
                _ => {}
            },
            "alarm" => match p.get("alarms") {
                None => self.add(&pp, "Should have required property 'alarms'"),
                Some(Value::Array(a)) => {
                    for (i, x) in a.iter().enumerate() {
                        if !x.is_string() {
                            self.add(&format!("{pp}/alarms/{i}"), "Should be string");
                        }
                    }
                }
                Some(_) => self.add(&format!("{pp}/alarms"), "Should be array"),
            },
            "log" => {
                if !p.contains_key("query") {
                    self.add(&pp, "Should have required property 'query'");
                }
                if !p.contains_key("region") {
                    self.add(&pp, "Should have required property 'region'");
                }
            }
            "custom" if !p.contains_key("endpoint") => self.add(&pp, "Should have required property 'endpoint'"),
            _ => {}
        }
    }
}

/// The validation messages of a dashboard body (empty when it is valid).
pub fn validate_body(body: &str) -> Result<Vec<(String, String)>, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    let Some(root) = v.as_object() else { return Err("the body is not a JSON object".into()) };
    let mut c = Check { messages: Vec::new() };
    for key in root.keys() {
        if !["widgets", "start", "end", "periodOverride", "variables"].contains(&key.as_str()) {
            c.add("", format!("Should NOT have additional properties ('{key}')"));
        }
    }
    if let Some(p) = root.get("periodOverride") {
        if !p.as_str().is_some_and(|p| p == "auto" || p == "inherit") {
            c.add("/periodOverride", "Should be equal to one of the allowed values");
        }
    }
    c.string(root, "start", "");
    c.string(root, "end", "");
    match root.get("widgets") {
        None => c.add("", "Should have required property 'widgets'"),
        Some(Value::Array(widgets)) => {
            for (i, w) in widgets.iter().enumerate() {
                c.widget(w, &format!("/widgets/{i}"));
            }
        }
        Some(_) => c.add("/widgets", "Should be array"),
    }
    Ok(c.messages)
}

fn invalid_input(message: String, messages: Vec<(String, String)>) -> ApiError {
    let list: Vec<Value> = messages.iter().map(|(p, m)| json!({"DataPath": p, "Message": m})).collect();
    ApiError::client("InvalidParameterInput", message).with_details(json!({ "dashboardValidationMessages": list }))
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.len() > 255 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(invalid_input(
            "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).".into(),
            Vec::new(),
        ));
    }
    Ok(())
}

pub fn put_dashboard(
    state: &mut Dashboards,
    ctx: &RequestContext,
    input: PutDashboardInput,
) -> Result<PutDashboardOutput, ApiError> {
    check_name(&input.dashboard_name)?;
    match validate_body(&input.dashboard_body) {
        Err(e) => {
            return Err(invalid_input(
                "The field DashboardBody must be a valid JSON object".into(),
                vec![(String::new(), e)],
            ))
        }
        Ok(messages) if !messages.is_empty() => {
            let listed: Vec<Value> = messages.iter().map(|(p, m)| json!({"dataPath": p, "message": m})).collect();
            let n = messages.len();
            return Err(invalid_input(
                format!(
                    "The dashboard body is invalid, there {} {n} validation error{}: {}",
                    if n == 1 { "is" } else { "are" },
                    if n == 1 { "" } else { "s" },
                    serde_json::to_string_pretty(&listed).unwrap_or_default()
                ),
                messages,
            ));
        }
        Ok(_) => {}
    }
    let arn = dashboard_arn(ctx.account(), &input.dashboard_name);
    if !state.dashboards.contains_key(&input.dashboard_name) {
        state.tags.set(&arn, input.tags.iter().flatten().map(|t| (t.key.clone(), t.value.clone())).collect());
    }
    state.dashboards.insert(
        input.dashboard_name.clone(),
        Dashboard {
            name: input.dashboard_name,
            arn,
            body: input.dashboard_body,
            last_modified_ms: ctx.now.timestamp_millis(),
        },
    );
    Ok(PutDashboardOutput { dashboard_validation_messages: Some(Vec::<DashboardValidationMessage>::new()) })
}

fn not_found(name: &str) -> ApiError {
    ApiError::new("ResourceNotFound", format!("Dashboard {name} does not exist"), 404)
}

pub fn get_dashboard(
    state: &Dashboards,
    _ctx: &RequestContext,
    input: GetDashboardInput,
) -> Result<GetDashboardOutput, ApiError> {
    let d = state.dashboards.get(&input.dashboard_name).ok_or_else(|| not_found(&input.dashboard_name))?;
    Ok(GetDashboardOutput {
        dashboard_arn: Some(d.arn.clone()),
        dashboard_body: Some(d.body.clone()),
        dashboard_name: Some(d.name.clone()),
    })
}

pub fn list_dashboards(
    state: &Dashboards,
    _ctx: &RequestContext,
    input: ListDashboardsInput,
) -> Result<ListDashboardsOutput, ApiError> {
    if let Some(p) = &input.dashboard_name_prefix {
        if !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') {
            return Err(ApiError::invalid_parameter_value(
                "The value for field DashboardNamePrefix contains invalid characters. It can only contain alphanumerics, dash (-), period (.) and underscore (_).",
            ));
        }
    }
    let offset = match &input.next_token {
        None => 0,
        Some(t) => base64::engine::general_purpose::STANDARD
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("nimbus-dashboards:").and_then(|n| n.parse().ok()))
            .ok_or_else(|| ApiError::client("InvalidNextToken", format!("The NextToken '{t}' is invalid.")))?,
    };
    let matching: Vec<&Dashboard> = state
        .dashboards
        .values()
        .filter(|d| input.dashboard_name_prefix.as_ref().is_none_or(|p| d.name.starts_with(p.as_str())))
        .collect();
    let entries = matching
        .iter()
        .skip(offset)
        .take(PAGE)
        .map(|d| DashboardEntry {
            dashboard_name: Some(d.name.clone()),
            dashboard_arn: Some(d.arn.clone()),
            last_modified: Timestamp::from_epoch_millis(d.last_modified_ms),
            size: Some(d.body.len() as i64),
        })
        .collect();
    let more = offset + PAGE < matching.len();
    Ok(ListDashboardsOutput {
        dashboard_entries: Some(entries),
        next_token: more
            .then(|| base64::engine::general_purpose::STANDARD.encode(format!("nimbus-dashboards:{}", offset + PAGE))),
    })
}

pub fn delete_dashboards(
    state: &mut Dashboards,
    _ctx: &RequestContext,
    input: DeleteDashboardsInput,
) -> Result<DeleteDashboardsOutput, ApiError> {
    if let Some(missing) = input.dashboard_names.iter().find(|n| !state.dashboards.contains_key(n.as_str())) {
        return Err(not_found(missing));
    }
    for name in &input.dashboard_names {
        if let Some(d) = state.dashboards.remove(name) {
            state.tags.remove(&d.arn);
        }
    }
    Ok(DeleteDashboardsOutput::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(body: &str) -> Vec<(String, String)> {
        validate_body(body).unwrap()
    }

    #[test]
    fn valid_bodies() {
        let body = r#"{"widgets":[
            {"type":"metric","x":0,"y":0,"width":12,"height":6,"properties":{"metrics":[["AWS/EC2","CPUUtilization","InstanceId","i-012345"],
              [".","NetworkIn",".","."],[{"expression":"m1*2","label":"double","id":"e1"}]],"period":300,"stat":"Average","region":"us-east-1","title":"EC2 Instance CPU","view":"timeSeries","stacked":false}},
            {"type":"text","x":0,"y":7,"width":3,"height":3,"properties":{"markdown":"Hello world"}},
            {"type":"alarm","properties":{"alarms":["arn:aws:cloudwatch:us-east-1:000000000000:alarm:a"]}},
            {"type":"metric","properties":{"annotations":{"alarms":["arn:aws:cloudwatch:us-east-1:000000000000:alarm:a"]}}}
        ],"periodOverride":"auto","start":"-PT6H"}"#;
        assert_eq!(messages(body), Vec::<(String, String)>::new());
        assert_eq!(messages(r#"{"widgets":[]}"#), Vec::<(String, String)>::new());
    }

    #[test]
    fn invalid_bodies_say_where() {
        assert_eq!(messages("{}"), vec![("".into(), "Should have required property 'widgets'".into())]);
        assert_eq!(
            messages(r#"{"widgets":[{"type":"metric","properties":{"data":{"queries":[]}}}]}"#),
            vec![
                ("/widgets/0/properties".into(), "Should have required property 'metrics'".into()),
                (
                    "/widgets/0/properties".into(),
                    "The metric widget should have specified a region and a data source or an alarm annotation".into()
                ),
                ("/widgets/0/properties".into(), "Should have required property 'annotations'".into()),
            ]
        );
        assert_eq!(
            messages(r#"{"widgets":[{"type":"graph"},{"properties":{}},{"type":"text","width":25,"properties":{}}]}"#),
            vec![
                ("/widgets/0/type".into(), "Should be equal to one of the allowed values".into()),
                ("/widgets/1".into(), "Should have required property 'type'".into()),
                ("/widgets/2/width".into(), "Should be <= 24".into()),
                ("/widgets/2/properties".into(), "Should have required property 'markdown'".into()),
            ]
        );
        assert_eq!(
            messages(
                r#"{"widgets":[{"type":"metric","properties":{"region":"us-east-1","metrics":[["A","B",{"color":"red","stat":"Avg"}]]}}]}"#
            ),
            vec![
                ("/widgets/0/properties/metrics/0/2/stat".into(), "Should be a valid statistic".into()),
                ("/widgets/0/properties/metrics/0/2/color".into(), "Should match pattern \"^#[0-9a-fA-F]{6}$\"".into()),
            ]
        );
        assert!(validate_body("not json").is_err());
        assert!(validate_body("[]").is_err());
    }
}
