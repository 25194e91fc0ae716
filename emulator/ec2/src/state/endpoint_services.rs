//! The records of PrivateLink's provider side (issue 13, item 4): the endpoint services an
//! account offers, who may connect to them, its answers to the endpoints that asked, and
//! connection notifications; and, on the consumer side, which of the partition's VPC
//! endpoints connect to such a service. The handlers live in `vpc/endpoint_services/`.
//!
//! A provider and its consumers may be different accounts (partitions), and no handler
//! sees two partitions: each side keeps its own half, and the other half comes through
//! the cross-partition registry (`shared.rs`). The provider's answer (accepted or
//! rejected, and when) lives with the service; the endpoint's request (which service,
//! whether it was accepted at once) lives with the endpoint. An endpoint's state is
//! derived from both at nimbus's clock.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::transit::{Life, Stage};
use crate::generated::dto;

/// An endpoint service of this account. `config` holds what was configured (ids, name,
/// type, load balancers, zones, address types, regions, private DNS name); its state, tags
/// and the private DNS verification state are derived when described.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndpointServiceRecord {
    pub config: dto::ServiceConfiguration,
    /// `Created` (`Pending` -> `Available`).
    pub life: Life,
    /// Who may see the service and connect to it, in the order they were added.
    #[serde(default)]
    pub principals: Vec<dto::AllowedPrincipal>,
    /// The provider's answers to endpoint connections, by endpoint id: `Accepted`
    /// (`pending` -> `available`) or `Rejected`.
    #[serde(default)]
    pub answers: BTreeMap<String, Life>,
    /// When private DNS name verification last started (`verified` once it settles).
    #[serde(default)]
    pub dns_verification: Option<DateTime<Utc>>,
}

impl EndpointServiceRecord {
    pub fn id(&self) -> &str {
        self.config.service_id.as_deref().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.config.service_name.as_deref().unwrap_or_default()
    }

    /// `Interface` or `GatewayLoadBalancer`.
    pub fn service_type(&self) -> &str {
        self.config.service_type.iter().flatten().find_map(|t| t.service_type.as_deref()).unwrap_or("Interface")
    }

    /// Whether the private DNS name (if any) has been verified at `now`.
    pub fn dns_verified(&self, delay: chrono::TimeDelta, now: DateTime<Utc>) -> bool {
        self.dns_verification.is_some_and(|since| now >= since + delay)
    }

    /// Whether `account` (or the principal `arn` in it) may see the service and connect
    /// to it: the owner, `*`, the account's root, or the principal itself. An assumed
    /// role counts as its role.
    pub fn allows(&self, owner: &str, account: &str, arn: &str) -> bool {
        if owner == account {
            return true;
        }
        let root = format!("arn:aws:iam::{account}:root");
        let role = role_of_session(arn);
        self.principals
            .iter()
            .filter_map(|p| p.principal.as_deref())
            .any(|p| p == "*" || p == root || p == arn || role.as_deref() == Some(p) || p == account)
    }
}

/// `arn:aws:iam::<account>:role/<name>` for `arn:aws:sts::<account>:assumed-role/<name>/<session>`.
fn role_of_session(arn: &str) -> Option<String> {
    let rest = arn.strip_prefix("arn:aws:sts::")?;
    let (account, path) = rest.split_once(":assumed-role/")?;
    let (role, _) = path.rsplit_once('/')?;
    Some(format!("arn:aws:iam::{account}:role/{role}"))
}

/// A VPC endpoint of this partition that connects to an endpoint service (not AWS's own).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectionRequest {
    pub service_id: String,
    pub service_owner: String,
    pub service_region: String,
    /// The service did not require acceptance: the connection was accepted on creation.
    pub auto_accepted: bool,
    pub created: DateTime<Utc>,
}

impl ConnectionRequest {
    /// The connection's life given the provider's answer, if any.
    pub fn life(&self, answer: Option<Life>) -> Life {
        answer.unwrap_or_else(|| {
            let stage = if self.auto_accepted { Stage::Accepted } else { Stage::PendingAcceptance };
            Life::new(stage, self.created)
        })
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EndpointServicesState {
    /// The account's endpoint services by id (deleted ones are gone).
    #[serde(default)]
    pub services: BTreeMap<String, EndpointServiceRecord>,
    /// The partition's VPC endpoints to endpoint services, by endpoint id.
    #[serde(default)]
    pub requests: BTreeMap<String, ConnectionRequest>,
    /// Connection notifications by id (of a service or of an endpoint).
    #[serde(default)]
    pub notifications: BTreeMap<String, dto::ConnectionNotification>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_allow_accounts_roots_arns_and_roles() {
        let mut r = EndpointServiceRecord {
            config: Default::default(),
            life: Life::new(Stage::Created, Utc::now()),
            principals: Vec::new(),
            answers: BTreeMap::new(),
            dns_verification: None,
        };
        let arn = "arn:aws:iam::111111111111:root";
        assert!(r.allows("000000000000", "000000000000", "x"), "the owner");
        assert!(!r.allows("000000000000", "111111111111", arn));
        let allow = |p: &str| dto::AllowedPrincipal { principal: Some(p.into()), ..Default::default() };
        r.principals.push(allow("arn:aws:iam::111111111111:role/app"));
        assert!(r.allows("000000000000", "111111111111", "arn:aws:sts::111111111111:assumed-role/app/s1"));
        assert!(!r.allows("000000000000", "111111111111", arn));
        r.principals.push(allow(arn));
        assert!(r.allows("000000000000", "111111111111", "arn:aws:iam::111111111111:user/bob"));
        assert!(!r.allows("000000000000", "222222222222", "arn:aws:iam::222222222222:root"));
        r.principals.push(allow("*"));
        assert!(r.allows("000000000000", "222222222222", "arn:aws:iam::222222222222:root"));
    }
}
