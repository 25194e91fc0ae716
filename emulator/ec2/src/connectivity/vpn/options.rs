//! A VPN connection's tunnel options, checked as AWS documents them
//! (API reference, `VpnTunnelOptionsSpecification`; Site-to-Site VPN user guide,
//! "Tunnel options for your Site-to-Site VPN connection"): inside CIDRs, pre-shared
//! keys, IKE lifetimes and algorithms. A tunnel answers the options it was given;
//! AWS's defaults apply to what it was not given and are not echoed.

use nimbus_core::{ids, ApiError};

use crate::generated::dto::{
    CloudWatchLogOptions, IKEVersionsListValue, Phase1DHGroupNumbersListValue, Phase1EncryptionAlgorithmsListValue,
    Phase1IntegrityAlgorithmsListValue, Phase2DHGroupNumbersListValue, Phase2EncryptionAlgorithmsListValue,
    Phase2IntegrityAlgorithmsListValue, TunnelOption, VpnTunnelLogOptions, VpnTunnelOptionsSpecification,
};
use crate::generated::errors;
use crate::state::cidr::{Ipv4Cidr, Ipv6Cidr};
use crate::state::params::invalid_value;

/// The /30 blocks of 169.254.0.0/16 AWS reserves (user guide, tunnel options).
const RESERVED_INSIDE_CIDRS: &[&str] = &[
    "169.254.0.0/30",
    "169.254.1.0/30",
    "169.254.2.0/30",
    "169.254.3.0/30",
    "169.254.4.0/30",
    "169.254.5.0/30",
    "169.254.169.252/30",
];

/// AWS's defaults, which the customer gateway configuration shows for a tunnel that was
/// given none.
pub const DEFAULT_PHASE1_LIFETIME: i32 = 28_800;
pub const DEFAULT_PHASE2_LIFETIME: i32 = 3_600;

const ENCRYPTION: &[&str] = &["AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16"];
const INTEGRITY: &[&str] = &["SHA1", "SHA2-256", "SHA2-384", "SHA2-512"];
const PHASE1_DH: &[i32] = &[2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];
const PHASE2_DH: &[i32] = &[2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];
const IKE_VERSIONS: &[&str] = &["ikev1", "ikev2"];
const DPD_ACTIONS: &[&str] = &["clear", "none", "restart"];
const STARTUP_ACTIONS: &[&str] = &["add", "start"];

/// A pre-shared key as AWS allows it: 8 to 64 characters, letters, digits, periods and
/// underscores, not starting with zero.
pub fn check_pre_shared_key(key: &str) -> Result<(), ApiError> {
    let fine = (8..=64).contains(&key.len())
        && !key.starts_with('0')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
    if fine {
        return Ok(());
    }
    Err(errors::invalid_parameter_value(
        "The pre-shared key must be between 8 and 64 characters, can contain only alphanumeric characters, periods (.) \
         and underscores (_), and cannot start with zero (0).",
    ))
}

/// A key as AWS generates one: 32 characters of the allowed alphabet, not starting with 0.
pub fn generate_pre_shared_key() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
    let mut key = String::with_capacity(32);
    while key.len() < 32 {
        let c = ALPHABET[ids::below(ALPHABET.len() as u64) as usize] as char;
        if key.is_empty() && (c == '0' || c == '.' || c == '_') {
            continue;
        }
        key.push(c);
    }
    key
}

/// An IPv4 inside CIDR: a /30 of 169.254.0.0/16 that AWS does not reserve.
pub fn check_inside_cidr(cidr: &str) -> Result<Ipv4Cidr, ApiError> {
    let link_local = Ipv4Cidr { addr: u32::from(std::net::Ipv4Addr::new(169, 254, 0, 0)), len: 16 };
    let parsed = Ipv4Cidr::parse(cidr).filter(|c| c.len == 30 && link_local.contains(c));
    let Some(parsed) = parsed else {
        return Err(invalid_value(
            "tunnelInsideCidr",
            cidr,
            "The tunnel inside CIDR must be a /30 CIDR block from the 169.254.0.0/16 range.",
        ));
    };
    if RESERVED_INSIDE_CIDRS.iter().any(|r| Ipv4Cidr::parse(r) == Some(parsed)) {
        return Err(invalid_value(
            "tunnelInsideCidr",
            cidr,
            &format!(
                "The following CIDR blocks are reserved and cannot be used: {}.",
                RESERVED_INSIDE_CIDRS.join(", ")
            ),
        ));
    }
    Ok(parsed)
}

/// An IPv6 inside CIDR: a /126 of fd00::/8.
pub fn check_inside_ipv6_cidr(cidr: &str) -> Result<Ipv6Cidr, ApiError> {
    let ula = Ipv6Cidr { addr: 0xfd00u128 << 112, len: 8 };
    Ipv6Cidr::parse(cidr).filter(|c| c.len == 126 && ula.contains(c)).ok_or_else(|| {
        invalid_value(
            "tunnelInsideIpv6Cidr",
            cidr,
            "The tunnel inside IPv6 CIDR must be a /126 CIDR block from the local fd00::/8 range.",
        )
    })
}

/// A free /30 of 169.254.0.0/16, neither reserved nor among `taken`.
pub fn random_inside_cidr(taken: &[String]) -> String {
    loop {
        let block = u32::from(std::net::Ipv4Addr::new(169, 254, 0, 0)) + (ids::below(16_384) as u32) * 4;
        let cidr = Ipv4Cidr { addr: block, len: 30 }.to_string();
        if !RESERVED_INSIDE_CIDRS.contains(&cidr.as_str()) && !taken.contains(&cidr) {
            return cidr;
        }
    }
}

/// A random /126 of fd00::/8.
pub fn random_inside_ipv6_cidr() -> String {
    let high = (0xfdu128 << 120) | (u128::from(ids::random_u64() & 0x00ff_ffff_ffff_ffff) << 64);
    Ipv6Cidr { addr: high | u128::from(ids::random_u64() & !0b11), len: 126 }.to_string()
}

fn in_range(parameter: &str, v: Option<i32>, lo: i32, hi: i32) -> Result<(), ApiError> {
    match v {
        Some(n) if n < lo || n > hi => {
            Err(invalid_value(parameter, n, &format!("The value must be between {lo} and {hi}.")))
        }
        _ => Ok(()),
    }
}

fn all_of(parameter: &str, values: &[Option<String>], valid: &[&str]) -> Result<(), ApiError> {
    match values.iter().flatten().find(|v| !valid.contains(&v.as_str())) {
        Some(v) => Err(invalid_value(parameter, v, &format!("Valid values: {}", valid.join(", ")))),
        None => Ok(()),
    }
}

fn groups(parameter: &str, values: &[Option<i32>], valid: &[i32]) -> Result<(), ApiError> {
    match values.iter().flatten().find(|g| !valid.contains(g)) {
        Some(g) => Err(invalid_value(parameter, g, "")),
        None => Ok(()),
    }
}

/// The values of a list of `{Value}` structures.
macro_rules! values_of {
    ($list:expr) => {
        $list.iter().flatten().map(|a| a.value.clone()).collect::<Vec<_>>()
    };
}

/// Checks the options one tunnel is given (inside CIDRs apart, which depend on the
/// connection).
pub fn check_tunnel_spec(spec: &VpnTunnelOptionsSpecification) -> Result<(), ApiError> {
    if let Some(key) = spec.pre_shared_key.as_deref() {
        check_pre_shared_key(key)?;
    }
    in_range("phase1LifetimeSeconds", spec.phase1_lifetime_seconds, 900, 28_800)?;
    in_range("phase2LifetimeSeconds", spec.phase2_lifetime_seconds, 900, 3_600)?;
    let phase1 = spec.phase1_lifetime_seconds.unwrap_or(DEFAULT_PHASE1_LIFETIME);
    let phase2 = spec.phase2_lifetime_seconds.unwrap_or(DEFAULT_PHASE2_LIFETIME);
    if phase2 >= phase1 && spec.phase2_lifetime_seconds.is_some() {
        return Err(invalid_value(
            "phase2LifetimeSeconds",
            phase2,
            "The phase 2 lifetime must be less than the phase 1 lifetime.",
        ));
    }
    in_range("rekeyMarginTimeSeconds", spec.rekey_margin_time_seconds, 60, phase2 / 2)?;
    in_range("rekeyFuzzPercentage", spec.rekey_fuzz_percentage, 0, 100)?;
    in_range("replayWindowSize", spec.replay_window_size, 64, 2_048)?;
    in_range("dpdTimeoutSeconds", spec.dpd_timeout_seconds, 30, i32::MAX)?;
    all_of("dpdTimeoutAction", std::slice::from_ref(&spec.dpd_timeout_action), DPD_ACTIONS)?;
    all_of("startupAction", std::slice::from_ref(&spec.startup_action), STARTUP_ACTIONS)?;
    all_of("phase1EncryptionAlgorithms", &values_of!(spec.phase1_encryption_algorithms), ENCRYPTION)?;
    all_of("phase2EncryptionAlgorithms", &values_of!(spec.phase2_encryption_algorithms), ENCRYPTION)?;
    all_of("phase1IntegrityAlgorithms", &values_of!(spec.phase1_integrity_algorithms), INTEGRITY)?;
    all_of("phase2IntegrityAlgorithms", &values_of!(spec.phase2_integrity_algorithms), INTEGRITY)?;
    all_of("IKEVersions", &values_of!(spec.ike_versions), IKE_VERSIONS)?;
    groups("phase1DHGroupNumbers", &values_of!(spec.phase1_dh_group_numbers), PHASE1_DH)?;
    groups("phase2DHGroupNumbers", &values_of!(spec.phase2_dh_group_numbers), PHASE2_DH)?;
    Ok(())
}

/// Records what a (checked) specification sets on a tunnel; what it leaves out stays.
pub fn apply_tunnel_spec(spec: &VpnTunnelOptionsSpecification, t: &mut TunnelOption) {
    macro_rules! set {
        ($($field:ident),*) => {$(
            if spec.$field.is_some() {
                t.$field = spec.$field.clone();
            }
        )*};
    }
    set!(
        tunnel_inside_cidr,
        tunnel_inside_ipv6_cidr,
        pre_shared_key,
        phase1_lifetime_seconds,
        phase2_lifetime_seconds,
        rekey_margin_time_seconds,
        rekey_fuzz_percentage,
        replay_window_size,
        dpd_timeout_seconds,
        dpd_timeout_action,
        startup_action,
        enable_tunnel_lifecycle_control
    );
    macro_rules! values {
        ($field:ident, $ty:ident) => {
            if let Some(list) = &spec.$field {
                t.$field = Some(list.iter().map(|v| $ty { value: v.value.clone() }).collect());
            }
        };
    }
    values!(phase1_encryption_algorithms, Phase1EncryptionAlgorithmsListValue);
    values!(phase2_encryption_algorithms, Phase2EncryptionAlgorithmsListValue);
    values!(phase1_integrity_algorithms, Phase1IntegrityAlgorithmsListValue);
    values!(phase2_integrity_algorithms, Phase2IntegrityAlgorithmsListValue);
    values!(phase1_dh_group_numbers, Phase1DHGroupNumbersListValue);
    values!(phase2_dh_group_numbers, Phase2DHGroupNumbersListValue);
    values!(ike_versions, IKEVersionsListValue);
    if let Some(cw) = spec.log_options.as_ref().and_then(|l| l.cloud_watch_log_options.as_ref()) {
        let enabled = cw.log_enabled.unwrap_or(false);
        t.log_options = Some(VpnTunnelLogOptions {
            cloud_watch_log_options: Some(CloudWatchLogOptions {
                log_enabled: Some(enabled),
                log_group_arn: cw.log_group_arn.clone().filter(|_| enabled),
                log_output_format: cw.log_output_format.clone().filter(|_| enabled),
                bgp_log_enabled: None,
                bgp_log_group_arn: None,
                bgp_log_output_format: None,
            }),
        });
    }
}

/// A new tunnel: its AWS outside address, and the defaults AWS answers for logging and
/// lifecycle control.
pub fn new_tunnel(outside_ip_address: String) -> TunnelOption {
    TunnelOption {
        outside_ip_address: Some(outside_ip_address),
        log_options: Some(VpnTunnelLogOptions {
            cloud_watch_log_options: Some(CloudWatchLogOptions { log_enabled: Some(false), ..Default::default() }),
        }),
        enable_tunnel_lifecycle_control: Some(false),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_shared_keys_follow_aws_rules() {
        for good in ["abcdefgh", "a_b.c123", &"k".repeat(64)] {
            assert!(check_pre_shared_key(good).is_ok(), "{good}");
        }
        for bad in ["short", "0abcdefgh", "has-dash1", &"k".repeat(65), "with space"] {
            assert_eq!(check_pre_shared_key(bad).unwrap_err().code, "InvalidParameterValue", "{bad}");
        }
        for _ in 0..50 {
            assert!(check_pre_shared_key(&generate_pre_shared_key()).is_ok());
        }
    }

    #[test]
    fn inside_cidrs_are_free_slash_30s_of_link_local() {
        assert!(check_inside_cidr("169.254.10.0/30").is_ok());
        for bad in ["169.254.10.0/29", "169.254.10.1/30", "10.0.0.0/30", "169.254.1.0/30", "169.254.169.252/30", "x"] {
            assert!(check_inside_cidr(bad).is_err(), "{bad}");
        }
        assert!(check_inside_ipv6_cidr("fd00:1:2:3::/126").is_ok());
        assert!(check_inside_ipv6_cidr("fe80::/126").is_err());
        assert!(check_inside_ipv6_cidr("fd00::/64").is_err());
        for _ in 0..50 {
            assert!(check_inside_cidr(&random_inside_cidr(&[])).is_ok());
            assert!(check_inside_ipv6_cidr(&random_inside_ipv6_cidr()).is_ok());
        }
    }

    #[test]
    fn tunnel_options_are_checked_and_echoed() {
        let spec = VpnTunnelOptionsSpecification {
            phase1_lifetime_seconds: Some(3_600),
            phase2_lifetime_seconds: Some(1_800),
            ike_versions: Some(vec![crate::generated::dto::IKEVersionsRequestListValue {
                value: Some("ikev2".into()),
            }]),
            ..Default::default()
        };
        check_tunnel_spec(&spec).unwrap();
        let mut t = new_tunnel("203.0.113.1".into());
        apply_tunnel_spec(&spec, &mut t);
        assert_eq!(t.phase1_lifetime_seconds, Some(3_600));
        assert_eq!(t.ike_versions.unwrap()[0].value.as_deref(), Some("ikev2"));
        assert_eq!(t.dpd_timeout_seconds, None, "defaults are not echoed");
        let bad = |s: VpnTunnelOptionsSpecification| check_tunnel_spec(&s).unwrap_err().code;
        assert_eq!(
            bad(VpnTunnelOptionsSpecification { phase1_lifetime_seconds: Some(100), ..Default::default() }),
            "InvalidParameterValue"
        );
        assert_eq!(
            bad(VpnTunnelOptionsSpecification {
                phase2_lifetime_seconds: Some(3_600),
                phase1_lifetime_seconds: Some(1_000),
                ..Default::default()
            }),
            "InvalidParameterValue"
        );
        assert_eq!(
            bad(VpnTunnelOptionsSpecification { dpd_timeout_action: Some("explode".into()), ..Default::default() }),
            "InvalidParameterValue"
        );
        let groups = vec![crate::generated::dto::Phase1DHGroupNumbersRequestListValue { value: Some(5) }];
        assert_eq!(
            bad(VpnTunnelOptionsSpecification { phase1_dh_group_numbers: Some(groups), ..Default::default() }),
            "InvalidParameterValue"
        );
    }
}
