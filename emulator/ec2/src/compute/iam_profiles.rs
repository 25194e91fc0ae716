//! IAM instance-profile associations: the profile an instance runs with, given at
//! launch or later (Associate, Replace, Disassociate, DescribeIamInstanceProfileAssociations).
//!
//! nimbus has no IAM, so a profile is taken on trust from its name or ARN; its `Id`
//! (`AIPA...`) is derived from the ARN, so the same profile has the same id everywhere.

use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};
use sha2::{Digest, Sha256};

use crate::generated::dto::{
    AssociateIamInstanceProfileRequest, AssociateIamInstanceProfileResult,
    DescribeIamInstanceProfileAssociationsRequest, DescribeIamInstanceProfileAssociationsResult,
    DisassociateIamInstanceProfileRequest, DisassociateIamInstanceProfileResult, IamInstanceProfile,
    IamInstanceProfileAssociation, IamInstanceProfileSpecification, ReplaceIamInstanceProfileAssociationRequest,
    ReplaceIamInstanceProfileAssociationResult,
};
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::support::{filtered, paginate};
use crate::state::Ec2State;

/// The profile a specification names: by ARN (checked for form) or by name in the
/// caller's account, never both.
pub fn resolve(ctx: &RequestContext, spec: &IamInstanceProfileSpecification) -> Result<IamInstanceProfile, ApiError> {
    let arn =
        match (spec.arn.as_deref(), spec.name.as_deref()) {
            (Some(_), Some(_)) => return Err(errors::invalid_parameter_combination(
                "The parameter 'iamInstanceProfile.name' may not be used in combination with 'iamInstanceProfile.arn'",
            )),
            (Some(arn), None) => {
                if !well_formed_arn(arn) {
                    return Err(invalid_value("iamInstanceProfile.arn", arn, "Invalid IAM Instance Profile ARN"));
                }
                arn.to_string()
            }
            (None, Some(name)) => {
                let valid = !name.is_empty()
                    && name.len() <= 128
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c));
                if !valid {
                    return Err(invalid_value("iamInstanceProfile.name", name, "Invalid IAM Instance Profile name"));
                }
                format!("arn:aws:iam::{}:instance-profile/{name}", ctx.account())
            }
            (None, None) => return Err(errors::missing_parameter("iamInstanceProfile")),
        };
    Ok(IamInstanceProfile { id: Some(profile_id(&arn)), arn: Some(arn) })
}

/// `arn:<partition>:iam::<12 digits>:instance-profile/<path/>name`.
fn well_formed_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if partition.starts_with("aws")
            && account.len() == 12
            && account.chars().all(|c| c.is_ascii_digit())
            && resource.strip_prefix("instance-profile/").is_some_and(|n| !n.is_empty() && !n.ends_with('/')))
}

/// `AIPA` + 17 characters of IAM's id alphabet, from the ARN.
fn profile_id(arn: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(arn.as_bytes());
    let tail: String = digest.iter().take(17).map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char).collect();
    format!("AIPA{tail}")
}

/// Records the association of `profile` with the instance and shows it on the instance.
pub fn associate_record(
    state: &mut Ec2State,
    ctx: &RequestContext,
    instance_id: &str,
    profile: IamInstanceProfile,
) -> IamInstanceProfileAssociation {
    let association = IamInstanceProfileAssociation {
        association_id: Some(ids::resource_id("iip-assoc")),
        instance_id: Some(instance_id.to_string()),
        iam_instance_profile: Some(profile.clone()),
        state: Some("associated".into()),
        timestamp: Some(Timestamp(ctx.now)),
    };
    state.iam_profile_associations.insert(association.association_id.clone().unwrap_or_default(), association.clone());
    if let Some(rec) = state.instances.get_mut(instance_id) {
        rec.instance.iam_instance_profile = Some(profile);
    }
    association
}

/// Drops the instance's association (at termination).
pub fn on_instance_terminated(state: &mut Ec2State, instance_id: &str) {
    state.iam_profile_associations.retain(|_, a| a.instance_id.as_deref() != Some(instance_id));
}

fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a IamInstanceProfileAssociation, ApiError> {
    state.iam_profile_associations.get(id).ok_or_else(|| {
        ApiError::client("InvalidAssociationID.NotFound", format!("An invalid association-id of '{id}' was given"))
    })
}

/// The association as an answer to a change shows it: the move under way.
fn in_transition(mut a: IamInstanceProfileAssociation, shown: &str) -> IamInstanceProfileAssociation {
    a.state = Some(shown.to_string());
    a
}

pub fn associate_iam_instance_profile(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AssociateIamInstanceProfileRequest,
) -> Result<AssociateIamInstanceProfileResult, ApiError> {
    let rec = crate::state::lookup::instance(state, &input.instance_id)?;
    let (shown, _) = crate::state::lifecycle::shown_state(state, rec, ctx.now);
    if matches!(shown.as_str(), "shutting-down" | "terminated") {
        return Err(errors::incorrect_instance_state(format!(
            "The instance '{}' is not in a valid state for this operation.",
            input.instance_id
        )));
    }
    let profile = resolve(ctx, &input.iam_instance_profile)?;
    if state.iam_profile_associations.values().any(|a| a.instance_id.as_deref() == Some(&input.instance_id)) {
        return Err(errors::incorrect_state(format!(
            "There is an existing association for instance {}",
            input.instance_id
        )));
    }
    let association = associate_record(state, ctx, &input.instance_id, profile);
    Ok(AssociateIamInstanceProfileResult {
        iam_instance_profile_association: Some(in_transition(association, "associating")),
    })
}

pub fn replace_iam_instance_profile_association(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ReplaceIamInstanceProfileAssociationRequest,
) -> Result<ReplaceIamInstanceProfileAssociationResult, ApiError> {
    let old = get(state, &input.association_id)?.clone();
    let profile = resolve(ctx, &input.iam_instance_profile)?;
    state.iam_profile_associations.remove(&input.association_id);
    let instance_id = old.instance_id.unwrap_or_default();
    let association = associate_record(state, ctx, &instance_id, profile);
    Ok(ReplaceIamInstanceProfileAssociationResult {
        iam_instance_profile_association: Some(in_transition(association, "associating")),
    })
}

pub fn disassociate_iam_instance_profile(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DisassociateIamInstanceProfileRequest,
) -> Result<DisassociateIamInstanceProfileResult, ApiError> {
    get(state, &input.association_id)?;
    let association = state.iam_profile_associations.remove(&input.association_id).unwrap_or_default();
    if let Some(rec) = association.instance_id.as_deref().and_then(|i| state.instances.get_mut(i)) {
        rec.instance.iam_instance_profile = None;
    }
    Ok(DisassociateIamInstanceProfileResult {
        iam_instance_profile_association: Some(in_transition(association, "disassociating")),
    })
}

impl Filterable for IamInstanceProfileAssociation {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "instance-id" => self.instance_id.iter().cloned().collect(),
            "state" => self.state.iter().cloned().collect(),
            _ => return None,
        })
    }
}

pub fn describe_iam_instance_profile_associations(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeIamInstanceProfileAssociationsRequest,
) -> Result<DescribeIamInstanceProfileAssociationsResult, ApiError> {
    let paging = input.page();
    let ids = input.association_ids.unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    let all = state
        .iam_profile_associations
        .iter()
        .filter(|(id, _)| ids.is_empty() || ids.contains(id))
        .map(|(_, a)| a.clone());
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |a| a.association_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeIamInstanceProfileAssociationsResult { iam_instance_profile_associations: Some(page), next_token: next })
}

#[cfg(test)]
mod tests {
    use nimbus_core::RequestContext;
    use serde_json::json;

    use crate::catalogue;
    use crate::testing::{call, refused, str_at};
    use crate::Ec2;

    fn launch(ec2: &Ec2, ctx: &RequestContext, extra: serde_json::Value) -> String {
        let image = catalogue::public_images(&ctx.region)
            .into_iter()
            .find(|i| i.architecture.as_deref() == Some("x86_64"))
            .and_then(|i| i.image_id)
            .unwrap();
        let mut input = json!({"ImageId": image, "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1});
        input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        str_at(&call(ec2, ctx, "RunInstances", input), "/Instances/0/InstanceId")
    }

    fn associations(ec2: &Ec2, ctx: &RequestContext, instance: &str) -> Vec<serde_json::Value> {
        let filters = json!({"Filters": [{"Name": "instance-id", "Values": [instance]}]});
        call(ec2, ctx, "DescribeIamInstanceProfileAssociations", filters)["IamInstanceProfileAssociations"]
            .as_array()
            .unwrap()
            .clone()
    }

    #[test]
    fn a_profile_given_at_launch_is_an_association() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let id = launch(&ec2, &ctx, json!({"IamInstanceProfile": {"Name": "web"}}));
        let found = associations(&ec2, &ctx, &id);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["State"], "associated");
        let arn = format!("arn:aws:iam::{}:instance-profile/web", ctx.account());
        assert_eq!(found[0]["IamInstanceProfile"]["Arn"], arn.as_str());
        let described = call(&ec2, &ctx, "DescribeInstances", json!({"InstanceIds": [id]}));
        let shown = &described["Reservations"][0]["Instances"][0]["IamInstanceProfile"];
        assert_eq!(shown, &found[0]["IamInstanceProfile"]);
        assert_eq!(shown["Id"].as_str().unwrap().len(), 21);
    }

    #[test]
    fn associate_replace_disassociate() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let id = launch(&ec2, &ctx, json!({}));
        let spec = json!({"InstanceId": id, "IamInstanceProfile": {"Name": "a"}});
        let made = call(&ec2, &ctx, "AssociateIamInstanceProfile", spec.clone());
        assert_eq!(made["IamInstanceProfileAssociation"]["State"], "associating");
        assert_eq!(refused(&ec2, &ctx, "AssociateIamInstanceProfile", spec), "IncorrectState");
        let assoc = str_at(&made, "/IamInstanceProfileAssociation/AssociationId");
        assert!(assoc.starts_with("iip-assoc-"));
        let arn_b = "arn:aws:iam::123456789012:instance-profile/team/b";
        let replaced = call(
            &ec2,
            &ctx,
            "ReplaceIamInstanceProfileAssociation",
            json!({"AssociationId": assoc, "IamInstanceProfile": {"Arn": arn_b}}),
        );
        let new_assoc = str_at(&replaced, "/IamInstanceProfileAssociation/AssociationId");
        assert_ne!(new_assoc, assoc);
        assert_eq!(associations(&ec2, &ctx, &id)[0]["IamInstanceProfile"]["Arn"], arn_b);
        assert_eq!(
            refused(&ec2, &ctx, "DisassociateIamInstanceProfile", json!({"AssociationId": assoc})),
            "InvalidAssociationID.NotFound"
        );
        let gone = call(&ec2, &ctx, "DisassociateIamInstanceProfile", json!({"AssociationId": new_assoc}));
        assert_eq!(gone["IamInstanceProfileAssociation"]["State"], "disassociating");
        assert!(associations(&ec2, &ctx, &id).is_empty());
        let described = call(&ec2, &ctx, "DescribeInstances", json!({"InstanceIds": [id]}));
        assert!(described["Reservations"][0]["Instances"][0].get("IamInstanceProfile").is_none());
    }

    #[test]
    fn bad_profiles_are_refused() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let id = launch(&ec2, &ctx, json!({}));
        for (profile, code) in [
            (json!({"Arn": "arn:aws:iam::1:role/x"}), "InvalidParameterValue"),
            (json!({"Name": "bad name"}), "InvalidParameterValue"),
            (
                json!({"Name": "a", "Arn": "arn:aws:iam::123456789012:instance-profile/a"}),
                "InvalidParameterCombination",
            ),
            (json!({}), "MissingParameter"),
        ] {
            let input = json!({"InstanceId": id, "IamInstanceProfile": profile});
            assert_eq!(refused(&ec2, &ctx, "AssociateIamInstanceProfile", input), code, "{profile}");
        }
        let input = json!({"InstanceId": "i-0123456789abcdef0", "IamInstanceProfile": {"Name": "a"}});
        assert_eq!(refused(&ec2, &ctx, "AssociateIamInstanceProfile", input), "InvalidInstanceID.NotFound");
        call(&ec2, &ctx, "TerminateInstances", json!({"InstanceIds": [id]}));
        let input = json!({"InstanceId": id, "IamInstanceProfile": {"Name": "a"}});
        assert_eq!(refused(&ec2, &ctx, "AssociateIamInstanceProfile", input), "IncorrectInstanceState");
    }
}
