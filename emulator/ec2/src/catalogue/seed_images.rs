//! Seed images: a team's own AMIs, given to nimbus in a JSON file (`--seed-images FILE`)
//! so that scripts naming their real AMI ids run unchanged. The file has the shape of
//! `fixtures/images.json` (DescribeImages' `Images`, one object per image) with two
//! additions: `ImageId` keeps the id the team uses (else one is derived per region, as
//! for the public catalogue) and `Regions` lists where the image exists (every region
//! when absent). Seeds join the region's catalogue: visible to every account, unless
//! `"Public": false`, which keeps one to its `OwnerId`.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::generated::dto::Image;

/// The account seeds belong to when the file names none: nimbus's default account, so
/// `--owners self` finds them with the default credentials.
const DEFAULT_OWNER: &str = "000000000000";

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SeedImageError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("expected an object with an \"Images\" (or \"images\") list")]
    Shape,
    #[error("image {index}: {message}")]
    Image { index: usize, message: String },
}

#[derive(Debug, Clone, Default)]
pub struct SeedImage {
    image: Image,
    regions: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct SeedImages(Vec<SeedImage>);

static INSTALLED: OnceLock<SeedImages> = OnceLock::new();

impl SeedImages {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Parses and checks a seed file, filling in what AWS would show for what it leaves out.
    pub fn parse(text: &str) -> Result<SeedImages, SeedImageError> {
        let doc: Value = serde_json::from_str(text).map_err(|e| SeedImageError::Json(e.to_string()))?;
        let list =
            doc.get("Images").or_else(|| doc.get("images")).and_then(Value::as_array).ok_or(SeedImageError::Shape)?;
        let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
        let mut out = Vec::new();
        for (index, entry) in list.iter().enumerate() {
            let fail = |message: String| SeedImageError::Image { index, message };
            let Some(object) = entry.as_object() else {
                return Err(fail("not an object".into()));
            };
            let mut fields: Map<String, Value> = object.clone();
            let regions = match fields.remove("Regions") {
                None => None,
                Some(v) => {
                    let names: Vec<String> =
                        serde_json::from_value(v).map_err(|_| fail("Regions is not a list of names".into()))?;
                    if let Some(bad) = names.iter().find(|r| !nimbus_core::regions::is_known(r)) {
                        return Err(fail(format!("unknown region {bad}")));
                    }
                    Some(names)
                }
            };
            let mut image: Image = serde_json::from_value(Value::Object(fields)).map_err(|e| fail(e.to_string()))?;
            let name = image.name.clone().ok_or_else(|| fail("Name is required".into()))?;
            if name.len() < 3 || name.len() > 128 {
                return Err(fail(format!("Name {name:?} must be 3 to 128 characters long")));
            }
            if let Some(id) = image.image_id.as_deref() {
                if !is_ami_id(id) {
                    return Err(fail(format!("ImageId {id:?} is not an AMI id (ami- and 8 or 17 hex digits)")));
                }
                for region in regions
                    .clone()
                    .unwrap_or_else(|| nimbus_core::regions::all().iter().map(|r| r.region_name.clone()).collect())
                {
                    if !seen.insert((region.clone(), id.to_string())) {
                        return Err(fail(format!("ImageId {id} is given twice in {region}")));
                    }
                }
            }
            fill_defaults(&mut image, &name);
            out.push(SeedImage { image, regions });
        }
        Ok(SeedImages(out))
    }

    /// Makes these the process's seed images; false when some were installed already.
    pub fn install(self) -> bool {
        INSTALLED.set(self).is_ok()
    }
}

fn is_ami_id(id: &str) -> bool {
    id.strip_prefix("ami-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn fill_defaults(image: &mut Image, name: &str) {
    use crate::generated::dto::{BlockDeviceMapping, EbsBlockDevice};
    let owner = image.owner_id.get_or_insert_with(|| DEFAULT_OWNER.to_string()).clone();
    let text = |v: &mut Option<String>, default: &str| {
        v.get_or_insert_with(|| default.to_string());
    };
    text(&mut image.architecture, "x86_64");
    text(&mut image.state, "available");
    text(&mut image.image_type, "machine");
    text(&mut image.root_device_type, "ebs");
    text(&mut image.root_device_name, "/dev/xvda");
    text(&mut image.virtualization_type, "hvm");
    text(&mut image.hypervisor, "xen");
    text(&mut image.platform_details, "Linux/UNIX");
    text(&mut image.usage_operation, "RunInstances");
    text(&mut image.creation_date, "2024-01-01T00:00:00.000Z");
    let location = format!("{owner}/{name}");
    text(&mut image.image_location, &location);
    image.public.get_or_insert(true);
    image.ena_support.get_or_insert(true);
    if image.block_device_mappings.as_ref().is_none_or(Vec::is_empty) {
        image.block_device_mappings = Some(vec![BlockDeviceMapping {
            device_name: image.root_device_name.clone(),
            ebs: Some(EbsBlockDevice {
                delete_on_termination: Some(true),
                volume_size: Some(8),
                volume_type: Some("gp3".into()),
                iops: Some(3000),
                throughput: Some(125),
                encrypted: Some(false),
                ..Default::default()
            }),
            ..Default::default()
        }]);
    }
}

/// The installed seed images of a region, with their ids and snapshot ids.
pub fn for_region(region: &str, derive: impl Fn(&str, &str) -> String) -> Vec<Image> {
    let Some(seeds) = INSTALLED.get() else {
        return Vec::new();
    };
    seeds
        .0
        .iter()
        .filter(|s| s.regions.as_ref().is_none_or(|r| r.iter().any(|name| name == region)))
        .map(|s| {
            let mut img = s.image.clone();
            let name = img.name.clone().unwrap_or_default();
            if img.image_id.is_none() {
                img.image_id = Some(derive("ami", &format!("{region}/seed/{name}")));
            }
            let id = img.image_id.clone().unwrap_or_default();
            for m in img.block_device_mappings.iter_mut().flatten() {
                let device = m.device_name.clone().unwrap_or_default();
                if let Some(ebs) = m.ebs.as_mut() {
                    ebs.snapshot_id.get_or_insert_with(|| derive("snap", &format!("{region}/{id}/{device}")));
                }
            }
            img
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_seed_gets_what_aws_would_show() {
        let seeds =
            SeedImages::parse(r#"{"Images": [{"ImageId": "ami-0123456789abcdef0", "Name": "team-base-2026.11"}]}"#)
                .unwrap();
        let img = &seeds.0[0].image;
        assert_eq!(img.owner_id.as_deref(), Some(DEFAULT_OWNER));
        assert_eq!(img.image_location.as_deref(), Some("000000000000/team-base-2026.11"));
        assert_eq!(img.state.as_deref(), Some("available"));
        assert_eq!(img.public, Some(true));
        let root = &img.block_device_mappings.as_ref().unwrap()[0];
        assert_eq!(root.device_name.as_deref(), Some("/dev/xvda"));
        assert_eq!(root.ebs.as_ref().unwrap().volume_size, Some(8));
    }

    #[test]
    fn bad_seeds_say_which_and_why() {
        let cases = [
            ("[]", "expected an object"),
            ("{\"Images\": [{\"ImageId\": \"ami-1\", \"Name\": \"ok-name\"}]}", "image 0: ImageId \"ami-1\""),
            ("{\"Images\": [{\"Name\": \"ok-name\", \"Regions\": [\"mars-1\"]}]}", "unknown region mars-1"),
            ("{\"Images\": [{\"ImageId\": \"ami-12345678\"}]}", "Name is required"),
            (
                "{\"Images\": [{\"ImageId\": \"ami-12345678\", \"Name\": \"a-1\"}, {\"ImageId\": \"ami-12345678\", \"Name\": \"a-2\", \"Regions\": [\"eu-west-1\"]}]}",
                "image 1: ImageId ami-12345678 is given twice in eu-west-1",
            ),
            ("{\"Images\": [{\"Name\": \"ok-name\", \"Architecture\": 7}]}", "image 0:"),
            ("{", "not JSON"),
        ];
        for (text, want) in cases {
            let err = SeedImages::parse(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
    }
}
