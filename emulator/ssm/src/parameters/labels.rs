//! LabelParameterVersion and UnlabelParameterVersion. A label names one version at a
//! time (labelling another version moves it); a version holds at most 10.

use nimbus_core::{ApiError, RequestContext};

use super::SsmState;
use crate::generated::dto::{
    LabelParameterVersionRequest, LabelParameterVersionResult, UnlabelParameterVersionRequest,
    UnlabelParameterVersionResult,
};
use crate::{errors, names};

const MAX_LABELS: usize = 10;

pub fn label_parameter_version(
    state: &mut SsmState,
    _ctx: &RequestContext,
    input: LabelParameterVersionRequest,
) -> Result<LabelParameterVersionResult, ApiError> {
    let p = state.parameters.get_mut(&input.name).ok_or_else(errors::parameter_not_found)?;
    let number = input.parameter_version.unwrap_or(p.latest().version);
    let index = p
        .versions
        .iter()
        .position(|v| v.version == number)
        .ok_or_else(|| errors::version_not_found(&p.name, number))?;
    let (valid, invalid): (Vec<String>, Vec<String>) = input.labels.into_iter().partition(|l| names::valid_label(l));
    let mut labels = p.versions[index].labels.clone();
    for l in &valid {
        if !labels.contains(l) {
            labels.push(l.clone());
        }
    }
    if labels.len() > MAX_LABELS {
        return Err(ApiError::client(
            "ParameterVersionLabelLimitExceeded",
            "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.",
        ));
    }
    for (i, v) in p.versions.iter_mut().enumerate() {
        if i == index {
            v.labels = labels.clone();
        } else {
            v.labels.retain(|l| !valid.contains(l));
        }
    }
    Ok(LabelParameterVersionResult { invalid_labels: Some(invalid), parameter_version: Some(number) })
}

pub fn unlabel_parameter_version(
    state: &mut SsmState,
    _ctx: &RequestContext,
    input: UnlabelParameterVersionRequest,
) -> Result<UnlabelParameterVersionResult, ApiError> {
    let p = state.parameters.get_mut(&input.name).ok_or_else(errors::parameter_not_found)?;
    let name = p.name.clone();
    let v = p
        .versions
        .iter_mut()
        .find(|v| v.version == input.parameter_version)
        .ok_or_else(|| errors::version_not_found(&name, input.parameter_version))?;
    let (removed, invalid): (Vec<String>, Vec<String>) = input.labels.into_iter().partition(|l| v.labels.contains(l));
    v.labels.retain(|l| !removed.contains(l));
    Ok(UnlabelParameterVersionResult { removed_labels: Some(removed), invalid_labels: Some(invalid) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parameters::testing::put;

    fn label(s: &mut SsmState, version: Option<i64>, labels: &[&str]) -> Result<LabelParameterVersionResult, ApiError> {
        let input = LabelParameterVersionRequest {
            name: "/l".into(),
            parameter_version: version,
            labels: labels.iter().map(|l| l.to_string()).collect(),
        };
        label_parameter_version(s, &RequestContext::for_tests(), input)
    }

    #[test]
    fn labels_move_between_versions() {
        let mut s = SsmState::default();
        put(&mut s, "/l", "a", "String");
        put(&mut s, "/l", "b", "String");
        let out = label(&mut s, Some(1), &["prod", "1bad"]).unwrap();
        assert_eq!((out.parameter_version, out.invalid_labels.unwrap()), (Some(1), vec!["1bad".to_string()]));
        label(&mut s, None, &["prod"]).unwrap();
        assert!(s.parameters["/l"].versions[0].labels.is_empty());
        assert_eq!(s.parameters["/l"].versions[1].labels, ["prod"]);
        assert_eq!(label(&mut s, Some(7), &["x"]).unwrap_err().code, "ParameterVersionNotFound");
        let many: Vec<String> = (0..10).map(|i| format!("l{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(label(&mut s, Some(2), &many).unwrap_err().code, "ParameterVersionLabelLimitExceeded");

        let out = unlabel_parameter_version(
            &mut s,
            &RequestContext::for_tests(),
            UnlabelParameterVersionRequest {
                name: "/l".into(),
                parameter_version: 2,
                labels: vec!["prod".into(), "nope".into()],
            },
        )
        .unwrap();
        assert_eq!(
            (out.removed_labels.unwrap(), out.invalid_labels.unwrap()),
            (vec!["prod".into()], vec!["nope".into()])
        );
    }
}
