//! AWS's own endpoint services in a region: the services offered through gateway and
//! interface endpoints, their ids, DNS names and private DNS names.

use nimbus_core::regions;

use crate::generated::dto::{PrivateDnsDetails, ServiceDetail, ServiceTypeDetail};
use crate::state::support::stable_hash;

/// One AWS service offered through endpoints: the name after `com.amazonaws.<region>.`,
/// whether it has gateway endpoints, the DNS label of its interface endpoints
/// (`<label>.<region>.vpce.amazonaws.com`) and its private DNS name (`{r}` = region).
pub struct Service {
    pub suffix: &'static str,
    pub gateway: bool,
    pub label: &'static str,
    pub private_dns: Option<&'static str>,
}

const fn svc(suffix: &'static str, label: &'static str, private_dns: Option<&'static str>) -> Service {
    Service { suffix, gateway: false, label, private_dns }
}

const SERVICES: &[Service] = &[
    Service { suffix: "s3", gateway: true, label: "s3", private_dns: Some("*.s3.{r}.amazonaws.com") },
    Service { suffix: "dynamodb", gateway: true, label: "dynamodb", private_dns: None },
    svc("application-autoscaling", "application-autoscaling", Some("application-autoscaling.{r}.amazonaws.com")),
    svc("athena", "athena", Some("athena.{r}.amazonaws.com")),
    svc("autoscaling", "autoscaling", Some("autoscaling.{r}.amazonaws.com")),
    svc("cloudformation", "cloudformation", Some("cloudformation.{r}.amazonaws.com")),
    svc("codebuild", "codebuild", Some("codebuild.{r}.amazonaws.com")),
    svc("ebs", "ebs", Some("ebs.{r}.amazonaws.com")),
    svc("ec2", "ec2", Some("ec2.{r}.amazonaws.com")),
    svc("ec2messages", "ec2messages", Some("ec2messages.{r}.amazonaws.com")),
    svc("ecr.api", "api.ecr", Some("api.ecr.{r}.amazonaws.com")),
    svc("ecr.dkr", "dkr.ecr", Some("*.dkr.ecr.{r}.amazonaws.com")),
    svc("ecs", "ecs", Some("ecs.{r}.amazonaws.com")),
    svc("ecs-agent", "ecs-a", Some("ecs-a.{r}.amazonaws.com")),
    svc("ecs-telemetry", "ecs-t", Some("ecs-t.{r}.amazonaws.com")),
    svc("elasticfilesystem", "elasticfilesystem", Some("elasticfilesystem.{r}.amazonaws.com")),
    svc("elasticloadbalancing", "elasticloadbalancing", Some("elasticloadbalancing.{r}.amazonaws.com")),
    svc("email-smtp", "email-smtp", Some("email-smtp.{r}.amazonaws.com")),
    svc("events", "events", Some("events.{r}.amazonaws.com")),
    svc("execute-api", "execute-api", Some("*.execute-api.{r}.amazonaws.com")),
    svc("glue", "glue", Some("glue.{r}.amazonaws.com")),
    svc("kinesis-streams", "kinesis", Some("kinesis.{r}.amazonaws.com")),
    svc("kms", "kms", Some("kms.{r}.amazonaws.com")),
    svc("lambda", "lambda", Some("lambda.{r}.amazonaws.com")),
    svc("logs", "logs", Some("logs.{r}.amazonaws.com")),
    svc("monitoring", "monitoring", Some("monitoring.{r}.amazonaws.com")),
    svc("rds", "rds", Some("rds.{r}.amazonaws.com")),
    svc("sagemaker.api", "api.sagemaker", Some("api.sagemaker.{r}.amazonaws.com")),
    svc("secretsmanager", "secretsmanager", Some("secretsmanager.{r}.amazonaws.com")),
    svc("sns", "sns", Some("sns.{r}.amazonaws.com")),
    svc("sqs", "sqs", Some("sqs.{r}.amazonaws.com")),
    svc("ssm", "ssm", Some("ssm.{r}.amazonaws.com")),
    svc("ssmmessages", "ssmmessages", Some("ssmmessages.{r}.amazonaws.com")),
    svc("states", "states", Some("states.{r}.amazonaws.com")),
    svc("sts", "sts", Some("sts.{r}.amazonaws.com")),
    svc("xray", "xray", Some("xray.{r}.amazonaws.com")),
];

/// Route 53 zones of `*.vpce.amazonaws.com` names, where known; a stable look-alike elsewhere.
pub fn vpce_hosted_zone(region: &str) -> String {
    match region {
        "us-east-1" => "Z7HUB22UULQXV".into(),
        _ => {
            const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
            let mut h = (u64::from(stable_hash(region)) << 32) | u64::from(stable_hash(&format!("{region}.vpce")));
            let mut id = String::from("Z");
            for _ in 0..12 {
                id.push(ALPHABET[(h % ALPHABET.len() as u64) as usize] as char);
                h /= ALPHABET.len() as u64;
                h = h.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(7);
            }
            id
        }
    }
}

pub fn find_service(region: &str, name: &str) -> Option<&'static Service> {
    let suffix = name.strip_prefix(&format!("com.amazonaws.{region}."))?;
    SERVICES.iter().find(|s| s.suffix == suffix)
}

pub fn private_dns_name(region: &str, s: &Service) -> Option<String> {
    s.private_dns.map(|p| p.replace("{r}", region))
}

fn service_id(region: &str, name: &str, kind: &str) -> String {
    let a = stable_hash(&format!("{region}/{name}/{kind}"));
    let b = stable_hash(&format!("{kind}/{name}/{region}"));
    format!("vpce-svc-{a:08x}{:09x}", (u64::from(b) << 4) | u64::from(a >> 28))
}

/// The region's endpoint services, one detail per (service, type), in name order.
pub fn service_details(region: &str) -> Vec<ServiceDetail> {
    let zones = regions::availability_zones(region);
    let mut out = Vec::new();
    for s in SERVICES {
        let name = format!("com.amazonaws.{region}.{}", s.suffix);
        let mut kinds = vec!["Interface"];
        if s.gateway {
            kinds.insert(0, "Gateway");
        }
        for kind in kinds {
            let private = if kind == "Interface" { private_dns_name(region, s) } else { None };
            let base = if kind == "Gateway" {
                format!("{}.{region}.amazonaws.com", s.suffix)
            } else {
                format!("{}.{region}.vpce.amazonaws.com", s.label)
            };
            out.push(ServiceDetail {
                service_name: Some(name.clone()),
                service_id: Some(service_id(region, &name, kind)),
                service_type: Some(vec![ServiceTypeDetail { service_type: Some(kind.into()) }]),
                service_region: Some(region.to_string()),
                availability_zone_ids: Some(zones.iter().map(|z| z.zone_id.clone()).collect()),
                availability_zones: Some(zones.iter().map(|z| z.zone_name.clone()).collect()),
                owner: Some("amazon".into()),
                base_endpoint_dns_names: Some(vec![base]),
                private_dns_names: private.clone().map(|p| vec![PrivateDnsDetails { private_dns_name: Some(p) }]),
                private_dns_name_verification_state: private.as_ref().map(|_| "verified".into()),
                private_dns_name: private,
                vpc_endpoint_policy_supported: Some(true),
                acceptance_required: Some(false),
                manages_vpc_endpoints: Some(false),
                supported_ip_address_types: Some(vec!["ipv4".into()]),
                tags: None,
                payer_responsibility: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_region_offers_aws_services_with_their_dns_names() {
        let details = service_details("eu-west-1");
        let find = |name: &str, kind: &str| {
            details.iter().find(|d| {
                d.service_name.as_deref() == Some(name)
                    && d.service_type.iter().flatten().any(|t| t.service_type.as_deref() == Some(kind))
            })
        };
        let s3 = find("com.amazonaws.eu-west-1.s3", "Gateway").expect("s3 gateway");
        assert_eq!(s3.base_endpoint_dns_names.as_deref(), Some(&["s3.eu-west-1.amazonaws.com".to_string()][..]));
        assert!(find("com.amazonaws.eu-west-1.s3", "Interface").is_some());
        assert!(find("com.amazonaws.eu-west-1.dynamodb", "Gateway").is_some());
        let ecr = find("com.amazonaws.eu-west-1.ecr.dkr", "Interface").expect("ecr.dkr");
        assert_eq!(ecr.private_dns_name.as_deref(), Some("*.dkr.ecr.eu-west-1.amazonaws.com"));
        assert!(find("com.amazonaws.eu-west-1.ec2", "Gateway").is_none());
        for name in ["ec2", "ssm", "ssmmessages", "ec2messages", "sts", "monitoring", "logs", "kms", "secretsmanager"] {
            assert!(find(&format!("com.amazonaws.eu-west-1.{name}"), "Interface").is_some(), "{name}");
        }
        let id = service_id("eu-west-1", "com.amazonaws.eu-west-1.s3", "Gateway");
        assert_eq!(id.len(), "vpce-svc-".len() + 17);
        assert_eq!(id, service_id("eu-west-1", "com.amazonaws.eu-west-1.s3", "Gateway"));
        assert_eq!(vpce_hosted_zone("eu-west-1").len(), 13);
    }
}
