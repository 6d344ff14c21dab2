//! The plan a model must answer with: a small, flat DTO (easy for small local models), its
//! JSON schema (generated with schemars, sent as the provider's constrained output format),
//! and the parse step. Conversion into typed actions and its checks are in [`super::validate`].
//!
//! The DTO deliberately offers fewer verbs than [`crate::actions::Action`]: no `apply` or
//! `patch` (a model must never author manifests or patches), no label/annotate or drain
//! flags. Those stay available through the rule planner, where a person typed them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the model decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// `actions` holds the plan.
    Plan,
    /// The request is ambiguous: `message` is the question to ask back.
    Clarify,
    /// kubechat should not do this (exec, secrets, out of scope): `message` says why.
    Refuse,
}

/// The verbs a model may propose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verb {
    Get,
    Describe,
    Logs,
    Events,
    Failing,
    Diagnose,
    Top,
    RolloutStatus,
    RolloutHistory,
    Scale,
    RolloutRestart,
    RolloutUndo,
    SetImage,
    Delete,
    Cordon,
    Uncordon,
    Drain,
}

/// One proposed action. Fields that do not apply to the verb are null.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionDto {
    pub verb: Verb,
    /// Resource kind as kubectl names it: "pods", "deployment", "statefulset", "node", …
    pub kind: Option<String>,
    /// The object's name (a pod, workload or node); null to list.
    pub name: Option<String>,
    /// Namespace; null means the channel's namespace.
    pub namespace: Option<String>,
    /// true to list across every namespace.
    pub all_namespaces: Option<bool>,
    /// Label selector for lists, e.g. "app=web".
    pub selector: Option<String>,
    /// scale: the replica count.
    pub replicas: Option<u32>,
    /// set_image: the new image reference.
    pub image: Option<String>,
    /// logs / set_image: the container.
    pub container: Option<String>,
    /// logs: how many lines from the end.
    pub tail: Option<u32>,
    /// logs: the previous (crashed) container's logs.
    pub previous: Option<bool>,
    /// rollout_undo: the revision to go back to; null for the previous one.
    pub revision: Option<u64>,
}

/// The whole answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanDto {
    pub outcome: Outcome,
    /// plan: one line saying what the plan does; clarify: the question; refuse: the reason.
    pub message: String,
    /// The actions, in order (empty unless outcome is "plan").
    pub actions: Vec<ActionDto>,
}

/// The answer to a diagnosis request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiagnosisDto {
    /// The most likely cause, in one or two sentences.
    pub cause: String,
    /// The facts from the evidence that support it (quoted or paraphrased), at most five.
    pub evidence: Vec<String>,
    /// The one next step you suggest, if a kubechat action fits (it will need approval).
    pub next_action: Option<ActionDto>,
}

/// A plain-words explanation of a pending plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplanationDto {
    pub explanation: String,
}

/// The JSON schema of `T` in the subset every provider's constrained decoding accepts
/// (OpenAI strict mode, Anthropic structured outputs, Ollama): inline, every property
/// required (optional ones are nullable), no extra properties, no numeric formats or bounds.
pub fn schema_of<T: JsonSchema>() -> Value {
    let settings = schemars::generate::SchemaSettings::draft2020_12().with(|s| {
        s.inline_subschemas = true;
    });
    let schema = settings.into_generator().into_root_schema_for::<T>();
    let mut value = schema.to_value();
    if let Some(map) = value.as_object_mut() {
        map.remove("$schema");
        map.remove("title");
    }
    strictify(&mut value);
    value
}

fn strictify(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for key in ["format", "minimum", "maximum"] {
                map.remove(key);
            }
            if map.get("type").and_then(Value::as_str) == Some("object")
                && let Some(Value::Object(props)) = map.get("properties")
            {
                let keys: Vec<Value> = props.keys().cloned().map(Value::String).collect();
                map.insert("required".into(), Value::Array(keys));
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for v in map.values_mut() {
                strictify(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strictify),
        _ => {}
    }
}

/// Parses a model's answer. Errors say what is wrong, for the fallback log and the retry.
pub fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let text = text.trim();
    // Some servers wrap JSON in a Markdown fence despite the schema; accept that one habit.
    let text = text
        .strip_prefix("```json")
        .or_else(|| text.strip_prefix("```"))
        .and_then(|t| t.strip_suffix("```"))
        .unwrap_or(text);
    serde_json::from_str(text).map_err(|e| {
        format!(
            "the answer does not match the schema ({e}): {}",
            super::clip(text, 200)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_schema_is_strict_and_inline() {
        let s = schema_of::<PlanDto>();
        assert_eq!(s["type"], "object");
        assert_eq!(s["additionalProperties"], false);
        let mut required: Vec<&str> = s["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        required.sort_unstable();
        assert_eq!(required, ["actions", "message", "outcome"]);
        let action = &s["properties"]["actions"]["items"];
        assert_eq!(action["additionalProperties"], false);
        assert_eq!(action["required"].as_array().map(Vec::len), Some(12));
        let text = s.to_string();
        assert!(
            !text.contains("$ref") && !text.contains("\"format\""),
            "{text}"
        );
        let verbs = action["properties"]["verb"]["enum"].to_string();
        assert!(verbs.contains("rollout_restart"), "{verbs}");
        assert!(
            !verbs.contains("apply") && !verbs.contains("patch"),
            "{verbs}"
        );
    }

    #[test]
    fn parse_accepts_fenced_json_and_explains_bad_answers() {
        let ok = r#"```json
{"outcome":"clarify","message":"Which deployment?","actions":[]}
```"#;
        let dto: PlanDto = parse(ok).expect("parses");
        assert_eq!(dto.outcome, Outcome::Clarify);
        let err =
            parse::<PlanDto>(r#"{"outcome":"plan","message":"x","actions":[{"verb":"exec"}]}"#)
                .expect_err("exec is no verb");
        assert!(err.contains("unknown variant"), "{err}");
        assert!(parse::<PlanDto>("Sure! Here is your plan").is_err());
    }
}
