//! Systems Manager, the part scripts and Terraform configs lean on: Parameter Store
//! (an account's own parameters, with versions, labels, tiers and tags) and the public
//! parameters AWS publishes under `/aws/service/` (the latest AMI ids, which EC2's
//! `resolve:ssm:` reads too).

mod errors;
mod generated;
mod names;
mod parameters;
mod public;
mod registry;
mod tags;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use nimbus_core::model::ServiceModel;
use nimbus_core::state::Partitioned;
use nimbus_core::{ApiError, RequestContext, Service};
use serde_json::Value;

pub use generated::model::MODEL;
pub use parameters::SsmState;
pub use public::{CatalogueImage, ImageCatalogue};

use public::Published;

/// Why `resolve:ssm:<name>` gave no image id (EC2 words the refusal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// No such parameter, version or label.
    NotFound,
    /// The account's parameter is not of data type `aws:ec2:image`.
    NotAnImage,
}

pub struct Ssm {
    state: Partitioned<SsmState>,
    images: Arc<dyn ImageCatalogue>,
    /// The public parameters of each region, built from the image catalogue on first use.
    published: Mutex<HashMap<String, Arc<Published>>>,
}

impl Default for Ssm {
    fn default() -> Self {
        Ssm::new(Arc::new(public::NoImages))
    }
}

impl Ssm {
    /// An SSM whose public AMI parameters point at `images` (the server wires EC2's
    /// catalogue; a catalogue without images publishes no AMI parameters).
    pub fn new(images: Arc<dyn ImageCatalogue>) -> Self {
        Ssm { state: Partitioned::new(), images, published: Mutex::new(HashMap::new()) }
    }

    fn published(&self, region: &str) -> Arc<Published> {
        let mut cache = nimbus_core::state::lock(&self.published);
        cache.entry(region.to_string()).or_insert_with(|| Arc::new(public::build(self.images.as_ref(), region))).clone()
    }

    /// The value of `name` (`name`, `name:version` or `name:label`) as EC2's
    /// `resolve:ssm:` reads it: AWS's public parameters, or the account's own
    /// parameters of data type `aws:ec2:image`.
    pub fn resolve_image(&self, account: &str, region: &str, name: &str) -> Result<String, ResolveError> {
        let published = self.published(region);
        self.state.read(account, region, |s| parameters::get::resolve_image(s, &published, name))
    }

    fn read<R>(&self, ctx: &RequestContext, f: impl FnOnce(&SsmState, &Published) -> R) -> R {
        let published = self.published(&ctx.region);
        self.state.read(ctx.account(), &ctx.region, |s| f(s, &published))
    }

    fn write<R>(
        &self,
        ctx: &RequestContext,
        f: impl FnOnce(&mut SsmState) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        self.state.write(ctx.account(), &ctx.region, f)
    }
}

impl Service for Ssm {
    fn model(&self) -> &'static ServiceModel {
        &MODEL
    }

    fn implemented(&self) -> &'static [&'static str] {
        generated::IMPLEMENTED
    }

    fn call(&self, ctx: &RequestContext, operation: &str, input: Value) -> Result<Value, ApiError> {
        match registry::lookup(operation) {
            Some(handler) => handler.call(self, ctx, input),
            None => Err(ApiError::not_implemented("SSM", operation)),
        }
    }

    fn validation_error_code(&self) -> &'static str {
        "ValidationException"
    }

    fn reset(&self) {
        self.state.clear();
    }

    fn state(&self) -> Value {
        self.state.dump()
    }

    fn mutates(&self, _: &RequestContext, operation: &str) -> bool {
        !registry::lookup(operation).is_some_and(registry::Handler::reads)
    }

    fn snapshot(&self) -> Result<Value, String> {
        self.state.try_dump()
    }

    fn restore(&self, snapshot: Value) -> Result<(), String> {
        let parts = Partitioned::<SsmState>::new();
        parts.restore(snapshot)?;
        self.state.replace_with(parts);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every model operation is registered (and reaches its handler) or answers
    /// NotImplemented.
    #[test]
    fn the_registry_covers_the_model() {
        let names: Vec<&str> = registry::REGISTRY.iter().map(|(name, _)| *name).collect();
        nimbus_core::service::assert_registry_covers_model(&Ssm::default(), &names);
    }
}
