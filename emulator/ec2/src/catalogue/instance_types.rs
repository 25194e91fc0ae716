//! DescribeInstanceTypes and DescribeInstanceTypeOfferings, from the catalogue.

use nimbus_core::filter::Filterable;
use nimbus_core::{regions, ApiError, RequestContext};

use crate::catalogue;
use crate::generated::dto::{
    DescribeInstanceTypeOfferingsRequest, DescribeInstanceTypeOfferingsResult, DescribeInstanceTypesRequest,
    DescribeInstanceTypesResult, InstanceTypeInfo, InstanceTypeOffering,
};
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::support::{check_filter_names, filtered, filtered_unchecked, paginate};
use crate::state::Ec2State;

impl Filterable for InstanceTypeInfo {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let b = |v: Option<bool>| v.map(|x| vec![x.to_string()]).unwrap_or_default();
        let s = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
        let n = |v: Option<i64>| v.map(|x| vec![x.to_string()]).unwrap_or_default();
        let list = |v: &Option<Vec<String>>| v.clone().unwrap_or_default();
        let p = self.processor_info.as_ref();
        let v = self.v_cpu_info.as_ref();
        let e = self.ebs_info.as_ref();
        let f = |v: Option<f64>| v.map(|x| vec![x.to_string()]).unwrap_or_default();
        let net = self.network_info.as_ref();
        let opt = e.and_then(|e| e.ebs_optimized_info.as_ref());
        let store = self.instance_storage_info.as_ref();
        let disks = store.and_then(|i| i.disks.clone()).unwrap_or_default();
        Some(match name {
            "auto-recovery-supported" => b(self.auto_recovery_supported),
            "bare-metal" => b(self.bare_metal),
            "burstable-performance-supported" => b(self.burstable_performance_supported),
            "current-generation" => b(self.current_generation),
            "dedicated-hosts-supported" => b(self.dedicated_hosts_supported),
            "ebs-info.attachment-limit-type" => e.map(|e| s(&e.attachment_limit_type)).unwrap_or_default(),
            "ebs-info.maximum-ebs-attachments" => n(e.and_then(|e| e.maximum_ebs_attachments).map(i64::from)),
            "ebs-info.ebs-optimized-info.baseline-bandwidth-in-mbps" => {
                n(opt.and_then(|o| o.baseline_bandwidth_in_mbps).map(i64::from))
            }
            "ebs-info.ebs-optimized-info.baseline-iops" => n(opt.and_then(|o| o.baseline_iops).map(i64::from)),
            "ebs-info.ebs-optimized-info.baseline-throughput-in-mbps" => {
                f(opt.and_then(|o| o.baseline_throughput_in_m_bps))
            }
            "ebs-info.ebs-optimized-info.maximum-bandwidth-in-mbps" => {
                n(opt.and_then(|o| o.maximum_bandwidth_in_mbps).map(i64::from))
            }
            "ebs-info.ebs-optimized-info.maximum-iops" => n(opt.and_then(|o| o.maximum_iops).map(i64::from)),
            "ebs-info.ebs-optimized-info.maximum-throughput-in-mbps" => {
                f(opt.and_then(|o| o.maximum_throughput_in_m_bps))
            }
            "ebs-info.ebs-optimized-support" => e.map(|e| s(&e.ebs_optimized_support)).unwrap_or_default(),
            "ebs-info.encryption-support" => e.map(|e| s(&e.encryption_support)).unwrap_or_default(),
            "ebs-info.nvme-support" => e.map(|e| s(&e.nvme_support)).unwrap_or_default(),
            "free-tier-eligible" => b(self.free_tier_eligible),
            "hibernation-supported" => b(self.hibernation_supported),
            "hypervisor" => s(&self.hypervisor),
            "instance-storage-info.disk.count" => disks.iter().filter_map(|d| d.count).map(|c| c.to_string()).collect(),
            "instance-storage-info.disk.size-in-gb" => {
                disks.iter().filter_map(|d| d.size_in_gb).map(|c| c.to_string()).collect()
            }
            "instance-storage-info.disk.type" => disks.iter().filter_map(|d| d.r#type.clone()).collect(),
            "instance-storage-info.encryption-support" => store.map(|i| s(&i.encryption_support)).unwrap_or_default(),
            "instance-storage-info.nvme-support" => store.map(|i| s(&i.nvme_support)).unwrap_or_default(),
            "instance-storage-info.total-size-in-gb" => n(store.and_then(|i| i.total_size_in_gb)),
            "instance-storage-supported" => b(self.instance_storage_supported),
            "instance-type" => s(&self.instance_type),
            "memory-info.size-in-mib" => n(self.memory_info.as_ref().and_then(|m| m.size_in_mi_b)),
            "network-info.bandwidth-weightings" => net.map(|x| list(&x.bandwidth_weightings)).unwrap_or_default(),
            "network-info.efa-info.maximum-efa-interfaces" => {
                n(net.and_then(|x| x.efa_info.as_ref()).and_then(|i| i.maximum_efa_interfaces).map(i64::from))
            }
            "network-info.efa-supported" => b(net.and_then(|x| x.efa_supported)),
            "network-info.flexible-ena-queues-support" => {
                net.map(|x| s(&x.flexible_ena_queues_support)).unwrap_or_default()
            }
            "network-info.ena-support" => net.map(|x| s(&x.ena_support)).unwrap_or_default(),
            "network-info.encryption-in-transit-supported" => b(net.and_then(|x| x.encryption_in_transit_supported)),
            "network-info.ipv4-addresses-per-interface" => {
                n(net.and_then(|x| x.ipv4_addresses_per_interface).map(i64::from))
            }
            "network-info.ipv6-addresses-per-interface" => {
                n(net.and_then(|x| x.ipv6_addresses_per_interface).map(i64::from))
            }
            "network-info.ipv6-supported" => b(net.and_then(|x| x.ipv6_supported)),
            "network-info.maximum-network-cards" => n(net.and_then(|x| x.maximum_network_cards).map(i64::from)),
            "network-info.maximum-network-interfaces" => {
                n(net.and_then(|x| x.maximum_network_interfaces).map(i64::from))
            }
            "network-info.network-performance" => net.map(|x| s(&x.network_performance)).unwrap_or_default(),
            "nitro-enclaves-support" => s(&self.nitro_enclaves_support),
            "nitro-tpm-support" => s(&self.nitro_tpm_support),
            "nitro-tpm-info.supported-versions" => {
                self.nitro_tpm_info.as_ref().map(|t| list(&t.supported_versions)).unwrap_or_default()
            }
            "processor-info.manufacturer" => p.map(|p| s(&p.manufacturer)).unwrap_or_default(),
            "processor-info.supported-architecture" => p.map(|p| list(&p.supported_architectures)).unwrap_or_default(),
            "processor-info.supported-features" => p.map(|p| list(&p.supported_features)).unwrap_or_default(),
            "processor-info.sustained-clock-speed-in-ghz" => f(p.and_then(|p| p.sustained_clock_speed_in_ghz)),
            "reboot-migration-support" => s(&self.reboot_migration_support),
            "supported-boot-mode" => list(&self.supported_boot_modes),
            "supported-root-device-type" => list(&self.supported_root_device_types),
            "supported-usage-class" => list(&self.supported_usage_classes),
            "supported-virtualization-type" => list(&self.supported_virtualization_types),
            "vcpu-info.default-cores" => n(v.and_then(|v| v.default_cores).map(i64::from)),
            "vcpu-info.default-threads-per-core" => n(v.and_then(|v| v.default_threads_per_core).map(i64::from)),
            "vcpu-info.default-vcpus" => n(v.and_then(|v| v.default_v_cpus).map(i64::from)),
            "vcpu-info.valid-cores" => {
                v.and_then(|v| v.valid_cores.clone()).unwrap_or_default().iter().map(|c| c.to_string()).collect()
            }
            "vcpu-info.valid-threads-per-core" => v
                .and_then(|v| v.valid_threads_per_core.clone())
                .unwrap_or_default()
                .iter()
                .map(|c| c.to_string())
                .collect(),
            _ => return None,
        })
    }
}

pub fn describe_instance_types(
    _state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeInstanceTypesRequest,
) -> Result<DescribeInstanceTypesResult, ApiError> {
    let wanted = input.instance_types.clone().unwrap_or_default();
    let unknown: Vec<&str> = wanted.iter().map(String::as_str).filter(|t| !catalogue::is_instance_type(t)).collect();
    if !unknown.is_empty() {
        return Err(errors::invalid_instance_type(unknown.join(", ")));
    }
    check_filter_names::<InstanceTypeInfo>(input.filters.as_deref())?;
    let all = input.include_unsupported_in_region == Some(true) || !wanted.is_empty();
    let names: Vec<&'static str> = catalogue::instance_type_names()
        .filter(|t| wanted.is_empty() || wanted.iter().any(|w| w == t))
        .filter(|t| all || catalogue::offered_in(&ctx.region, t))
        .collect();
    let info = |name: &str| {
        let mut t = catalogue::instance_type(name).unwrap_or_default();
        t.supported_in_region = Some(catalogue::offered_in(&ctx.region, name));
        t
    };
    // Filters look at one parsed type at a time; only the page's types are kept.
    let mut names = names;
    if !input.filters.as_deref().unwrap_or_default().is_empty() {
        let mut kept = Vec::new();
        for name in names {
            if !filtered_unchecked(std::iter::once(info(name)), input.filters.as_deref())?.is_empty() {
                kept.push(name);
            }
        }
        names = kept;
    }
    // Without MaxResults AWS still answers one page of at most 100 types (SDK users are told
    // to page: boto/boto3#2888, aws/aws-sdk-php#3070).
    let mut page = input.page();
    page.max_results.get_or_insert(100);
    let (page, next) = paginate(names, |t| t.to_string(), page, false)?;
    let page = page.into_iter().map(info).collect();
    Ok(DescribeInstanceTypesResult { instance_types: Some(page), next_token: next })
}

impl Filterable for InstanceTypeOffering {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "instance-type" => self.instance_type.iter().cloned().collect(),
            "location" => self.location.iter().cloned().collect(),
            _ => return None,
        })
    }
}

pub fn describe_instance_type_offerings(
    _state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeInstanceTypeOfferingsRequest,
) -> Result<DescribeInstanceTypeOfferingsResult, ApiError> {
    let location_type = input.location_type.as_deref().unwrap_or("region");
    let offerings = catalogue::region_offerings(&ctx.region);
    let items: Vec<InstanceTypeOffering> = match location_type {
        "region" => {
            let mut types: Vec<&str> = offerings.iter().map(|(t, _)| *t).collect();
            types.dedup();
            types
                .into_iter()
                .map(|t| InstanceTypeOffering {
                    instance_type: Some(t.to_string()),
                    location_type: Some("region".into()),
                    location: Some(ctx.region.clone()),
                })
                .collect()
        }
        "availability-zone" | "availability-zone-id" => offerings
            .iter()
            .map(|(t, z)| {
                let location = if location_type == "availability-zone" {
                    z.to_string()
                } else {
                    regions::availability_zones(&ctx.region)
                        .into_iter()
                        .find(|zone| zone.zone_name == **z)
                        .map(|zone| zone.zone_id.clone())
                        .unwrap_or_default()
                };
                InstanceTypeOffering {
                    instance_type: Some(t.to_string()),
                    location_type: Some(location_type.into()),
                    location: Some(location),
                }
            })
            .collect(),
        other => {
            return Err(invalid_value(
                "locationType",
                other,
                "Valid values: region, availability-zone, availability-zone-id",
            ))
        }
    };
    let key = |o: &InstanceTypeOffering| {
        format!("{}\u{1}{}", o.instance_type.as_deref().unwrap_or(""), o.location.as_deref().unwrap_or(""))
    };
    let mut items = filtered(items, input.filters.as_deref())?;
    // Pages resume after the last key, so the rows go in key order (zone ids do not sort as names do).
    items.sort_by_cached_key(key);
    let (page, next) = paginate(items, key, input.page(), false)?;
    Ok(DescribeInstanceTypeOfferingsResult { instance_type_offerings: Some(page), next_token: next })
}
