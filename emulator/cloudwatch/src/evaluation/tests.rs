use super::decide::*;
use super::format::*;

use super::next_tick;
use super::transition::ec2_action;

fn dps(pattern: &str) -> Vec<Dp> {
    // Oldest first, as AWS's tables write them: 0 non-breaching, X breaching, - missing.
    pattern
        .split_whitespace()
        .rev()
        .enumerate()
        .map(|(i, c)| Dp {
            t: -(i as i64),
            value: (c != "-").then_some(1.0),
            sample_count: None,
            breaching: match c {
                "X" => Some(true),
                "0" => Some(false),
                _ => None,
            },
            low_samples: false,
            band: None,
        })
        .collect()
}

fn outcome(pattern: &str, m: usize, treat: Treat) -> &'static str {
    match decide(&dps(pattern), 3, m, treat) {
        Decision::Real { alarm: true, .. } | Decision::Filled { alarm: true, .. } | Decision::Premature { .. } => {
            "ALARM"
        }
        Decision::Real { alarm: false, .. } | Decision::Filled { alarm: false, .. } => "OK",
        Decision::AllMissing(Treat::Missing) => "INSUFFICIENT_DATA",
        Decision::AllMissing(Treat::Breaching) => "ALARM",
        Decision::AllMissing(Treat::NotBreaching) => "OK",
        Decision::AllMissing(Treat::Ignore) | Decision::Retain => "retain",
    }
}

fn row(pattern: &str, m: usize) -> [&'static str; 4] {
    [Treat::Missing, Treat::Ignore, Treat::Breaching, Treat::NotBreaching].map(|t| outcome(pattern, m, t))
}

#[test]
fn aws_table_three_of_three() {
    // "How alarm state is evaluated when data is missing", first table (M = N = 3).
    assert_eq!(row("0 - X - X", 3), ["OK", "OK", "OK", "OK"]);
    assert_eq!(row("0 - - - -", 3), ["OK", "OK", "OK", "OK"]);
    assert_eq!(row("- - - - -", 3), ["INSUFFICIENT_DATA", "retain", "ALARM", "OK"]);
    assert_eq!(row("0 X X - X", 3), ["ALARM", "ALARM", "ALARM", "ALARM"]);
    assert_eq!(row("- - X - -", 3), ["ALARM", "retain", "ALARM", "OK"]);
}

#[test]
fn aws_table_two_of_three() {
    // The second table (M = 2, N = 3).
    assert_eq!(row("0 - X - X", 2), ["ALARM", "ALARM", "ALARM", "ALARM"]);
    assert_eq!(row("0 0 X 0 X", 2), ["ALARM", "ALARM", "ALARM", "ALARM"]);
    assert_eq!(row("0 - X - -", 2), ["OK", "OK", "ALARM", "OK"]);
    assert_eq!(row("- - - - 0", 2), ["OK", "OK", "ALARM", "OK"]);
    assert_eq!(row("- - - X -", 2), ["ALARM", "retain", "ALARM", "OK"]);
}

#[test]
fn premature_alarms_are_avoided() {
    // "- - - - X" and "- - - X -" with M = 3 do not go to ALARM yet.
    assert_eq!(outcome("- - - - X", 3, Treat::Missing), "retain");
    assert_eq!(outcome("- - - X -", 3, Treat::Missing), "retain");
}

#[test]
fn numbers_and_times_as_cloudwatch_writes_them() {
    assert_eq!(java_double(95.0), "95.0");
    assert_eq!(java_double(0.01758096118768056), "0.01758096118768056");
    assert_eq!(java_double(1141.0), "1141.0");
    assert_eq!(java_double(1.0e7), "1.0E7");
    assert_eq!(java_double(-2.5e-5), "-2.5E-5");
    assert_eq!(java_double(0.0), "0.0");
    let t = 1_732_638_660_000; // 2024-11-26T16:31:00Z
    assert_eq!(reason_time(t), "26/11/24 16:31:00");
    assert_eq!(json_time(t + 853), "2024-11-26T16:31:00.853+0000");
    assert_eq!(long_time(t), "Tuesday 26 November, 2024 16:31:00 UTC");
    assert_eq!(next_tick(t, 60), t + 60_000);
    assert_eq!(next_tick(t + 1, 300), t + 60_000);
    assert_eq!(next_tick(t + 12_000, 10), t + 20_000);
    assert_eq!(ec2_action("arn:aws:automate:us-east-1:ec2:stop").as_deref(), Some("stop"));
    assert_eq!(
        ec2_action("arn:aws:swf:us-east-1:123456789012:action/actions/AWS_EC2.InstanceId.Reboot/1.0").as_deref(),
        Some("reboot")
    );
    assert_eq!(ec2_action("arn:aws:sns:us-east-1:123456789012:topic"), None);
}
