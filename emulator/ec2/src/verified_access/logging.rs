//! Access logs of Verified Access instances: to S3, CloudWatch Logs and Kinesis Data
//! Firehose, in one of the OCSF log versions, optionally with the trust context. Every
//! instance has a configuration (all destinations off at first); destinations a request
//! leaves out stay as they were.

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use super::common;
use crate::generated::dto::{
    DescribeVerifiedAccessInstanceLoggingConfigurationsRequest,
    DescribeVerifiedAccessInstanceLoggingConfigurationsResult, ModifyVerifiedAccessInstanceLoggingConfigurationRequest,
    ModifyVerifiedAccessInstanceLoggingConfigurationResult, VerifiedAccessInstanceLoggingConfiguration,
    VerifiedAccessLogCloudWatchLogsDestination, VerifiedAccessLogDeliveryStatus,
    VerifiedAccessLogKinesisDataFirehoseDestination, VerifiedAccessLogS3Destination, VerifiedAccessLogs,
};
use crate::generated::errors;
use crate::state::params::one_of;
use crate::state::support::describe_page;
use crate::state::Ec2State;

/// The log versions Verified Access writes (`ocsf-0.1` is the default of an instance).
pub const LOG_VERSIONS: &[&str] = &["ocsf-0.1", "ocsf-1.0.0-rc.2"];

fn delivered(enabled: bool) -> Option<VerifiedAccessLogDeliveryStatus> {
    enabled.then(|| VerifiedAccessLogDeliveryStatus { code: Some("success".into()), message: None })
}

pub(super) fn default_logs() -> VerifiedAccessLogs {
    VerifiedAccessLogs {
        s3: Some(VerifiedAccessLogS3Destination { enabled: Some(false), ..Default::default() }),
        cloud_watch_logs: Some(VerifiedAccessLogCloudWatchLogsDestination {
            enabled: Some(false),
            ..Default::default()
        }),
        kinesis_data_firehose: Some(VerifiedAccessLogKinesisDataFirehoseDestination {
            enabled: Some(false),
            ..Default::default()
        }),
        log_version: Some(LOG_VERSIONS[0].into()),
        include_trust_context: Some(false),
    }
}

impl Filterable for VerifiedAccessInstanceLoggingConfiguration {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "verified-access-instance-id" => self.verified_access_instance_id.iter().cloned().collect(),
            _ => return None,
        })
    }
}

pub fn describe_verified_access_instance_logging_configurations(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeVerifiedAccessInstanceLoggingConfigurationsRequest,
) -> Result<DescribeVerifiedAccessInstanceLoggingConfigurationsResult, ApiError> {
    let paging = input.page();
    let ids = input.verified_access_instance_ids.unwrap_or_default();
    let all = state.verified_access.instances.iter().map(|(id, r)| VerifiedAccessInstanceLoggingConfiguration {
        verified_access_instance_id: Some(id.clone()),
        access_logs: Some(r.logs.clone()),
    });
    let (page, next) = describe_page(
        &ids,
        |id| state.verified_access.instances.contains_key(id),
        errors::invalid_verified_access_instance_id_not_found,
        all,
        |c| c.verified_access_instance_id.clone().unwrap_or_default(),
        input.filters.as_deref(),
        paging,
    )?;
    Ok(DescribeVerifiedAccessInstanceLoggingConfigurationsResult {
        logging_configurations: Some(page),
        next_token: next,
    })
}

fn need(value: &Option<String>, enabled: bool, name: &str) -> Result<(), ApiError> {
    if enabled && value.as_deref().is_none_or(str::is_empty) {
        return Err(errors::missing_parameter(name));
    }
    Ok(())
}

pub fn modify_verified_access_instance_logging_configuration(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyVerifiedAccessInstanceLoggingConfigurationRequest,
) -> Result<ModifyVerifiedAccessInstanceLoggingConfigurationResult, ApiError> {
    let id = input.verified_access_instance_id;
    let mut logs = common::instance(state, &id)?.logs.clone();
    let given = input.access_logs;
    if let Some(s3) = given.s3 {
        need(&s3.bucket_name, s3.enabled, "AccessLogs.S3.BucketName")?;
        if !s3.enabled && s3.bucket_owner.is_some() {
            return Err(errors::invalid_parameter_combination(
                "The parameter AccessLogs.S3.BucketOwner cannot be used when AccessLogs.S3.Enabled is false",
            ));
        }
        logs.s3 = Some(VerifiedAccessLogS3Destination {
            enabled: Some(s3.enabled),
            delivery_status: delivered(s3.enabled),
            bucket_owner: s3.enabled.then(|| s3.bucket_owner.unwrap_or_else(|| ctx.account().to_string())),
            bucket_name: s3.bucket_name.filter(|_| s3.enabled),
            prefix: s3.prefix.filter(|_| s3.enabled),
        });
    }
    if let Some(cw) = given.cloud_watch_logs {
        need(&cw.log_group, cw.enabled, "AccessLogs.CloudWatchLogs.LogGroup")?;
        logs.cloud_watch_logs = Some(VerifiedAccessLogCloudWatchLogsDestination {
            enabled: Some(cw.enabled),
            delivery_status: delivered(cw.enabled),
            log_group: cw.log_group.filter(|_| cw.enabled),
        });
    }
    if let Some(k) = given.kinesis_data_firehose {
        need(&k.delivery_stream, k.enabled, "AccessLogs.KinesisDataFirehose.DeliveryStream")?;
        logs.kinesis_data_firehose = Some(VerifiedAccessLogKinesisDataFirehoseDestination {
            enabled: Some(k.enabled),
            delivery_status: delivered(k.enabled),
            delivery_stream: k.delivery_stream.filter(|_| k.enabled),
        });
    }
    if let Some(v) = given.log_version {
        one_of("AccessLogs.LogVersion", &v, LOG_VERSIONS)?;
        logs.log_version = Some(v);
    }
    if let Some(t) = given.include_trust_context {
        logs.include_trust_context = Some(t);
    }
    if logs.include_trust_context == Some(true) && logs.log_version.as_deref() == Some(LOG_VERSIONS[0]) {
        return Err(errors::invalid_parameter_combination(
            "AccessLogs.IncludeTrustContext is not supported with log version ocsf-0.1.",
        ));
    }
    let record = state.verified_access.instances.get_mut(&id).expect("checked above");
    record.logs = logs.clone();
    Ok(ModifyVerifiedAccessInstanceLoggingConfigurationResult {
        logging_configuration: Some(VerifiedAccessInstanceLoggingConfiguration {
            verified_access_instance_id: Some(id),
            access_logs: Some(logs),
        }),
    })
}
