//! Catalogue facts for code outside EC2: the instance runtime (`--instances run`) picks
//! an AMI's default login user from its name, and sizes a sandbox by its instance type;
//! SSM publishes the latest image ids of the catalogue's families.

/// The name of catalogue image `image_id` in `region` (public or seed images).
pub fn public_image_name(region: &str, image_id: &str) -> Option<String> {
    super::public_images(region).into_iter().find(|i| i.image_id.as_deref() == Some(image_id)).and_then(|i| i.name)
}

/// The public images of `region` (AWS's catalogue and the seed images everyone sees)
/// as `(name, image id, creation date)`: what SSM's public AMI parameters point at.
pub fn public_image_ids(region: &str) -> Vec<(String, String, String)> {
    super::public_images(region)
        .into_iter()
        .filter(|i| i.public != Some(false))
        .filter_map(|i| Some((i.name?, i.image_id?, i.creation_date.unwrap_or_default())))
        .collect()
}

/// vCPUs and memory in MiB of an instance type, from the catalogue.
pub fn instance_type_shape(instance_type: &str) -> Option<(u32, u64)> {
    let info = super::instance_type(instance_type)?;
    let vcpus = info.v_cpu_info.as_ref()?.default_v_cpus? as u32;
    let memory = info.memory_info.as_ref()?.size_in_mi_b? as u64;
    Some((vcpus, memory))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_shapes() {
        let image = super::super::public_images("us-east-1").into_iter().next().unwrap();
        let id = image.image_id.clone().unwrap();
        assert_eq!(public_image_name("us-east-1", &id), image.name);
        assert_eq!(public_image_name("us-east-1", "ami-nothing"), None);
        assert_eq!(instance_type_shape("t3.micro"), Some((2, 1024)));
        let ids = public_image_ids("us-east-1");
        assert!(ids
            .iter()
            .any(|(name, id, _)| Some(name) == image.name.as_ref() && *id == image.image_id.clone().unwrap()));
    }
}
