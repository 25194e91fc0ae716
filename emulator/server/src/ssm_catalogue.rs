//! SSM and EC2 read each other without depending on each other: SSM's public AMI
//! parameters read EC2's image catalogue, and EC2's `resolve:ssm:` image ids read SSM's
//! parameters. The server joins them here.

pub struct Ec2Images;

impl nimbus_ssm::ImageCatalogue for Ec2Images {
    fn images(&self, region: &str) -> Vec<nimbus_ssm::CatalogueImage> {
        nimbus_ec2::public_image_ids(region)
            .into_iter()
            .map(|(name, image_id, creation_date)| nimbus_ssm::CatalogueImage { name, image_id, creation_date })
            .collect()
    }
}

/// EC2's `resolve:ssm:` image ids read SSM's parameters.
pub struct SsmParameters(pub std::sync::Arc<nimbus_ssm::Ssm>);

impl nimbus_ec2::ParameterResolver for SsmParameters {
    fn resolve_image(&self, account: &str, region: &str, name: &str) -> Result<String, nimbus_ec2::ParameterRefusal> {
        self.0.resolve_image(account, region, name).map_err(|e| match e {
            nimbus_ssm::ResolveError::NotFound => nimbus_ec2::ParameterRefusal::NotFound,
            nimbus_ssm::ResolveError::NotAnImage => nimbus_ec2::ParameterRefusal::NotAnImage,
        })
    }
}
