//! EC2's view of the runtime (`nimbus_ec2::host::InstanceHost`): the real boot
//! log for GetConsoleOutput and the observed status checks for DescribeInstanceStatus.

use std::sync::Arc;

use nimbus_ec2::host::{Check, HostStatus, InstanceHost};
use nimbus_runtime::Runtime;

pub struct RuntimeHost(pub Arc<Runtime>);

impl InstanceHost for RuntimeHost {
    fn console_output(&self, instance_id: &str, max: usize) -> Option<Vec<u8>> {
        self.0.console_output(instance_id, max)
    }

    fn status(&self, instance_id: &str) -> Option<HostStatus> {
        let report = self.0.report(instance_id)?;
        let check = |ok: bool| match (ok, &report.error) {
            (true, _) => Check::Passed,
            (false, Some(_)) => Check::Failed,
            (false, None) => Check::Initializing,
        };
        Some(HostStatus { instance: check(report.instance_check_ok), system: check(report.system_check_ok) })
    }
}
