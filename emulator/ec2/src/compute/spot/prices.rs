//! The Spot price model and DescribeSpotPriceHistory. Prices are deterministic: a type's
//! On-Demand price follows from its vCPUs and memory in the catalogue, and its Spot price
//! in a zone, for a product, is 25-45% of that, changing every few hours by a hash of
//! (type, zone, product, period). AWS keeps 90 days of history; so does nimbus.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, TimeZone, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};

use crate::catalogue;
use crate::generated::dto::{DescribeSpotPriceHistoryRequest, DescribeSpotPriceHistoryResult, SpotPrice};
use crate::generated::errors;
use crate::state::support::{filtered, paginate, stable_hash};
use crate::state::Ec2State;

/// How long one Spot price holds before the next change.
const PERIOD_SECS: i64 = 4 * 3600;
const HISTORY_DAYS: i64 = 90;
/// The products Spot prices are given for (the model's `RIProductDescription`).
const PRODUCTS: &[&str] = &["Linux/UNIX", "Linux/UNIX (Amazon VPC)", "Windows", "Windows (Amazon VPC)"];

/// vCPUs and GiB of memory of every catalogue type, parsed once.
fn shapes() -> &'static BTreeMap<&'static str, (f64, f64)> {
    static SHAPES: OnceLock<BTreeMap<&'static str, (f64, f64)>> = OnceLock::new();
    SHAPES.get_or_init(|| {
        catalogue::instance_type_names()
            .filter_map(|name| {
                let (vcpus, mib) = catalogue::names::instance_type_shape(name)?;
                Some((name, (f64::from(vcpus), mib as f64 / 1024.0)))
            })
            .collect()
    })
}

/// The On-Demand hourly price nimbus gives a type (USD): $0.03 per vCPU and $0.004 per
/// GiB, and $0.046 more per vCPU for Windows. Not AWS's price list, but stable and in
/// its range.
pub fn on_demand_price(instance_type: &str, product: &str) -> Option<f64> {
    let (vcpus, gib) = *shapes().get(instance_type)?;
    let windows = if product.starts_with("Windows") { 0.046 * vcpus } else { 0.0 };
    Some(0.03 * vcpus + 0.004 * gib + windows)
}

fn period_start(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(PERIOD_SECS) * PERIOD_SECS
}

fn price_in_period(instance_type: &str, zone: &str, product: &str, period: i64) -> Option<f64> {
    let od = on_demand_price(instance_type, product)?;
    let h = stable_hash(&format!("{instance_type}|{zone}|{product}|{period}"));
    let share = 0.25 + f64::from(h % 2001) / 10_000.0;
    Some((od * share * 10_000.0).round() / 10_000.0)
}

/// The Spot price of a type in a zone for a product at `at`.
pub fn spot_price(instance_type: &str, zone: &str, product: &str, at: DateTime<Utc>) -> Option<f64> {
    price_in_period(instance_type, zone, product, period_start(at))
}

/// A price as AWS writes it: six decimals.
pub fn format_price(p: f64) -> String {
    format!("{p:.6}")
}

/// A price given as text (`SpotPrice`, `MaxPrice`): a positive decimal number.
pub fn parse_price(param: &str, text: &str) -> Result<f64, ApiError> {
    match text.trim().parse::<f64>() {
        Ok(p) if p.is_finite() && p > 0.0 => Ok(p),
        // The wording is a guess in EC2's usual form.
        _ => Err(errors::invalid_parameter_value(format!("Value ({text}) for parameter {param} is invalid."))),
    }
}

impl Filterable for SpotPrice {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect();
        Some(match name {
            "availability-zone" => one(&self.availability_zone),
            "instance-type" => one(&self.instance_type),
            "product-description" => one(&self.product_description),
            "spot-price" => one(&self.spot_price),
            "timestamp" => {
                self.timestamp.iter().map(|t| t.0.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).collect()
            }
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

fn sort_key(p: &SpotPrice) -> String {
    let t = p.timestamp.as_ref().map(|t| t.0.timestamp()).unwrap_or_default();
    format!(
        "{:012}|{}|{}|{}",
        99_999_999_999 - t,
        p.availability_zone.as_deref().unwrap_or_default(),
        p.instance_type.as_deref().unwrap_or_default(),
        p.product_description.as_deref().unwrap_or_default()
    )
}

pub fn describe_spot_price_history(
    _state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeSpotPriceHistoryRequest,
) -> Result<DescribeSpotPriceHistoryResult, ApiError> {
    let now = ctx.now;
    let end = input.end_time.as_ref().map(|t| t.0).unwrap_or(now).min(now);
    // Without a start time, the price in effect at the end (a guess: AWS documents only
    // that the answer includes the last change before the start).
    let start = input.start_time.as_ref().map(|t| t.0).unwrap_or(end).max(now - Duration::days(HISTORY_DAYS));
    if let (Some(s), Some(e)) = (&input.start_time, &input.end_time) {
        if s.0 > e.0 {
            return Err(errors::invalid_parameter_value(
                "The start time must be before the end time.".to_string(), // wording guessed
            ));
        }
    }
    let types = input.instance_types.clone().unwrap_or_default();
    if let Some(bad) = types.iter().find(|t| !catalogue::is_instance_type(t)) {
        return Err(errors::invalid_parameter_value(format!("Invalid value '{bad}' for InstanceType.")));
    }
    let products = match input.product_descriptions.clone().filter(|p| !p.is_empty()) {
        Some(p) => p,
        None => PRODUCTS.iter().map(|s| s.to_string()).collect(),
    };
    let zone = input.availability_zone.clone().filter(|z| !z.is_empty());
    let mut items = Vec::new();
    let first = period_start(start);
    for (instance_type, z) in catalogue::region_offerings(&ctx.region) {
        if !types.is_empty() && !types.iter().any(|t| t == instance_type) {
            continue;
        }
        if zone.as_deref().is_some_and(|want| want != z) {
            continue;
        }
        for product in &products {
            let mut period = first;
            let mut last: Option<f64> = None;
            while period <= end.timestamp() {
                let Some(price) = price_in_period(instance_type, z, product, period) else { break };
                if last != Some(price) {
                    items.push(SpotPrice {
                        availability_zone: Some(z.to_string()),
                        availability_zone_id: None,
                        instance_type: Some(instance_type.to_string()),
                        product_description: Some(product.clone()),
                        spot_price: Some(format_price(price)),
                        timestamp: Some(Timestamp(Utc.timestamp_opt(period, 0).single().unwrap_or(now))),
                    });
                }
                last = Some(price);
                period += PERIOD_SECS;
            }
        }
    }
    let mut items = filtered(items, input.filters.as_deref())?;
    items.sort_by_cached_key(sort_key);
    let (page, next_token) = paginate(items, sort_key, input.page(), false)?;
    Ok(DescribeSpotPriceHistoryResult {
        spot_price_history: Some(page),
        next_token: next_token.or(Some(String::new())),
    })
}
