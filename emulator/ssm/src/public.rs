//! The public parameters AWS publishes under `/aws/service/`: the latest AMI of each
//! image family (Amazon Linux, Ubuntu, Debian, Windows), read-only and the same in every
//! account. Their values come from EC2's image catalogue of the region, so
//! `GetParameter`, `resolve:ssm:` and `DescribeImages` agree. Each parameter's history
//! is the family's images oldest first, one version per release.

use std::collections::BTreeMap;

use nimbus_core::types::Timestamp;

use crate::parameters::{Parameter, Version};

/// One image of EC2's public catalogue in a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueImage {
    pub name: String,
    pub image_id: String,
    /// ISO 8601, as DescribeImages' `CreationDate`.
    pub creation_date: String,
}

/// EC2's public images per region (the server wires `nimbus-ec2`'s catalogue).
pub trait ImageCatalogue: Send + Sync {
    fn images(&self, region: &str) -> Vec<CatalogueImage>;
}

/// A catalogue without images (SSM on its own, in unit tests).
pub struct NoImages;

impl ImageCatalogue for NoImages {
    fn images(&self, _: &str) -> Vec<CatalogueImage> {
        Vec::new()
    }
}

/// The public parameters of a region, by name.
pub type Published = BTreeMap<String, Parameter>;

/// A published parameter: its names (AWS publishes some under two, e.g. Ubuntu's
/// release number and code name) and the image names of its family, by prefix and
/// suffix.
struct Family {
    names: &'static [&'static str],
    prefix: &'static str,
    suffix: &'static str,
}

const AL: &str = "/aws/service/ami-amazon-linux-latest/";
const UBUNTU: &str = "/aws/service/canonical/ubuntu/server/";

/// Where AWS documents them: "Query for the latest Amazon Linux AMI IDs using AWS
/// Systems Manager Parameter Store" (AWS Compute Blog), Canonical's "Find Ubuntu images
/// on AWS", Debian's "Cloud/AmazonEC2Image", "Query for the latest Windows AMI using
/// Systems Manager Parameter Store".
fn families() -> Vec<Family> {
    vec![
        Family {
            names: &["al2023-ami-kernel-default-x86_64", "al2023-ami-kernel-6.1-x86_64"],
            prefix: "al2023-ami-2023.",
            suffix: "-kernel-6.1-x86_64",
        },
        Family {
            names: &["al2023-ami-kernel-default-arm64", "al2023-ami-kernel-6.1-arm64"],
            prefix: "al2023-ami-2023.",
            suffix: "-kernel-6.1-arm64",
        },
        Family { names: &["al2023-ami-kernel-6.12-x86_64"], prefix: "al2023-ami-2023.", suffix: "-kernel-6.12-x86_64" },
        Family { names: &["al2023-ami-kernel-6.12-arm64"], prefix: "al2023-ami-2023.", suffix: "-kernel-6.12-arm64" },
        Family {
            names: &["amzn2-ami-kernel-5.10-hvm-x86_64-gp2"],
            prefix: "amzn2-ami-kernel-5.10-hvm-2.0.",
            suffix: "-x86_64-gp2",
        },
        Family {
            names: &["amzn2-ami-kernel-5.10-hvm-arm64-gp2"],
            prefix: "amzn2-ami-kernel-5.10-hvm-2.0.",
            suffix: "-arm64-gp2",
        },
        Family {
            names: &["22.04/stable/current/amd64/hvm/ebs-gp2/ami-id", "jammy/stable/current/amd64/hvm/ebs-gp2/ami-id"],
            prefix: "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-",
            suffix: "",
        },
        Family {
            names: &["22.04/stable/current/arm64/hvm/ebs-gp2/ami-id", "jammy/stable/current/arm64/hvm/ebs-gp2/ami-id"],
            prefix: "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-",
            suffix: "",
        },
        Family {
            names: &["24.04/stable/current/amd64/hvm/ebs-gp3/ami-id", "noble/stable/current/amd64/hvm/ebs-gp3/ami-id"],
            prefix: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-",
            suffix: "",
        },
        Family {
            names: &["24.04/stable/current/arm64/hvm/ebs-gp3/ami-id", "noble/stable/current/arm64/hvm/ebs-gp3/ami-id"],
            prefix: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-",
            suffix: "",
        },
        Family {
            names: &[
                "/aws/service/debian/release/12/latest/amd64",
                "/aws/service/debian/release/bookworm/latest/amd64",
            ],
            prefix: "debian-12-amd64-",
            suffix: "",
        },
        Family {
            names: &[
                "/aws/service/debian/release/12/latest/arm64",
                "/aws/service/debian/release/bookworm/latest/arm64",
            ],
            prefix: "debian-12-arm64-",
            suffix: "",
        },
        Family {
            names: &["/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base"],
            prefix: "Windows_Server-2022-English-Full-Base-",
            suffix: "",
        },
        Family {
            names: &["/aws/service/ami-windows-latest/Windows_Server-2025-English-Full-Base"],
            prefix: "Windows_Server-2025-English-Full-Base-",
            suffix: "",
        },
    ]
}

/// A family's parameter name in full: Amazon Linux and Ubuntu names are given below
/// their folder.
fn full_name(name: &str, prefix: &str) -> String {
    if name.starts_with('/') {
        name.to_string()
    } else if prefix.starts_with("ubuntu/") {
        format!("{UBUNTU}{name}")
    } else {
        format!("{AL}{name}")
    }
}

fn parse_date(d: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(d).map(|t| Timestamp(t.with_timezone(&chrono::Utc))).unwrap_or_default()
}

/// The region's public parameters, from its image catalogue. A family with no image in
/// the region publishes nothing there.
pub fn build(catalogue: &dyn ImageCatalogue, region: &str) -> Published {
    let images = catalogue.images(region);
    let mut out = Published::new();
    for family in families() {
        let mut members: Vec<&CatalogueImage> =
            images.iter().filter(|i| i.name.starts_with(family.prefix) && i.name.ends_with(family.suffix)).collect();
        if members.is_empty() {
            continue;
        }
        members.sort_by(|a, b| (&a.creation_date, &a.name).cmp(&(&b.creation_date, &b.name)));
        let versions: Vec<Version> = members
            .iter()
            .zip(1..)
            .map(|(image, version)| Version {
                version,
                value: image.image_id.clone(),
                kind: "String".into(),
                tier: "Standard".into(),
                data_type: "text".into(),
                modified: parse_date(&image.creation_date),
                ..Default::default()
            })
            .collect();
        for name in family.names {
            let name = full_name(name, family.prefix);
            out.insert(name.clone(), Parameter { name, versions: versions.clone(), tags: Vec::new() });
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Two releases of AL2023 and one Ubuntu image, with ids that say their region.
    pub struct FewImages;

    impl ImageCatalogue for FewImages {
        fn images(&self, region: &str) -> Vec<CatalogueImage> {
            let image = |name: &str, id: &str, date: &str| CatalogueImage {
                name: name.into(),
                image_id: format!("{id}{}", if region == "us-east-1" { "0" } else { "1" }),
                creation_date: date.into(),
            };
            vec![
                image(
                    "al2023-ami-2023.9.20251208.0-kernel-6.1-x86_64",
                    "ami-0aaaaaaaaaaaaaaa",
                    "2025-12-08T03:04:43.000Z",
                ),
                image(
                    "al2023-ami-2023.8.20250818.0-kernel-6.1-x86_64",
                    "ami-0bbbbbbbbbbbbbbb",
                    "2025-08-18T04:33:35.000Z",
                ),
                image(
                    "al2023-ami-2023.9.20251208.0-kernel-6.1-arm64",
                    "ami-0ccccccccccccccc",
                    "2025-12-08T04:47:31.000Z",
                ),
                image(
                    "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20260731",
                    "ami-0ddddddddddddddd",
                    "2026-07-31T08:20:04.000Z",
                ),
            ]
        }
    }

    #[test]
    fn families_follow_the_catalogue() {
        let p = build(&FewImages, "eu-west-1");
        let al = &p["/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"];
        assert_eq!(al.versions.len(), 2);
        assert_eq!(al.latest().value, "ami-0aaaaaaaaaaaaaaa1");
        assert_eq!(al.versions[0].value, "ami-0bbbbbbbbbbbbbbb1");
        assert_eq!(
            p["/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64"].latest().value,
            al.latest().value
        );
        assert!(p.contains_key("/aws/service/canonical/ubuntu/server/jammy/stable/current/amd64/hvm/ebs-gp2/ami-id"));
        assert!(!p.contains_key("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.12-x86_64"));
        assert_ne!(build(&FewImages, "us-east-1")[&al.name].latest().value, al.latest().value);
    }
}
