//! DescribeMacHosts: the account's EC2 Mac Dedicated Hosts with the newest macOS releases
//! each can launch without a firmware upgrade.

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use super::capacity::family_of;
use super::get;
use crate::generated::dto::{DescribeMacHostsRequest, DescribeMacHostsResult, Host, MacHost};
use crate::state::support::{filtered, paginate};
use crate::state::Ec2State;

/// The newest release of each macOS major version a Mac host family launches, newest
/// first. The majors per family are AWS's ("Amazon EC2 Mac instances" in the EC2 User
/// Guide: Intel mac1 from macOS 12, Apple silicon mac2 from 12, mac2-m2 and mac2-m2pro
/// from 13, mac2-m1ultra from 14; Intel ends at 15); the point releases are Apple's last of
/// each major (Apple's security releases page).
fn mac_os_versions(family: &str) -> Option<&'static [&'static str]> {
    const FROM_12: &[&str] = &["15.7", "14.8", "13.7", "12.7"];
    Some(match family {
        "mac1" => FROM_12,
        "mac2" => &["26.1", "15.7", "14.8", "13.7", "12.7"],
        "mac2-m2" | "mac2-m2pro" => &["26.1", "15.7", "14.8", "13.7"],
        "mac2-m1ultra" => &["26.1", "15.7", "14.8"],
        _ => return None,
    })
}

/// The family a host is allocated for, whether by type or by family.
fn host_family(host: &Host) -> Option<&str> {
    let props = host.host_properties.as_ref()?;
    props.instance_family.as_deref().or_else(|| props.instance_type.as_deref().map(family_of))
}

/// A Mac host with what filters look at: its zone and the type size it supports.
#[derive(Clone, Default)]
struct Listed {
    mac: MacHost,
    zone: Option<String>,
    instance_type: Option<String>,
}

impl Filterable for Listed {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "availability-zone" => self.zone.iter().cloned().collect(),
            "instance-type" => self.instance_type.iter().cloned().collect(),
            _ => return None,
        })
    }
}

pub fn describe_mac_hosts(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeMacHostsRequest,
) -> Result<DescribeMacHostsResult, ApiError> {
    let wanted = input.host_ids.clone().unwrap_or_default();
    for id in &wanted {
        get(state, id)?;
    }
    let listed = state
        .hosts
        .iter()
        .filter(|(id, h)| (wanted.is_empty() || wanted.contains(id)) && h.state.as_deref() != Some("released"))
        .filter_map(|(id, h)| {
            let versions = mac_os_versions(host_family(h)?)?;
            Some(Listed {
                mac: MacHost {
                    host_id: Some(id.clone()),
                    mac_os_latest_supported_versions: Some(versions.iter().map(|v| v.to_string()).collect()),
                },
                zone: h.availability_zone.clone(),
                instance_type: h.host_properties.as_ref().and_then(|p| p.instance_type.clone()),
            })
        });
    let listed = filtered(listed, input.filters.as_deref())?;
    let (page, next_token) =
        paginate(listed, |l| l.mac.host_id.clone().unwrap_or_default(), input.page(), !wanted.is_empty())?;
    Ok(DescribeMacHostsResult { mac_hosts: Some(page.into_iter().map(|l| l.mac).collect()), next_token })
}
