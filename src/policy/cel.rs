//! CEL conditions of policy rules, evaluated with the Kubernetes CEL function set
//! (`kube-cel`: quantity, semver, regex, lists, sets, strings, math).
//!
//! A condition must evaluate to `true` for the action to go ahead; `false` refuses it with the
//! condition's message. Anything else — an evaluation error, a missing field, a non-boolean —
//! also refuses (fail closed), naming the expression, so a typo in a policy never lets a write
//! through.
//!
//! Variables (see docs/policy.md):
//! - `object`: the object as it would be after the change (the server-side dry-run result);
//!   `null` for deletes and reads;
//! - `oldObject`: the live object before the change; `null` for reads;
//! - `request`: `user`, `groups`, `cluster`, `namespace`, `verb`, `risk`, `kind`, `name`,
//!   `production`, `breakGlass`;
//! - `action`: the typed action as JSON (`action.replicas`, `action.image`, …).

use kube_cel::KubeCelExt;
use kube_cel::cel::{Context, Program, Value};

/// A compiled condition.
pub struct Condition {
    /// The CEL source, as written in the policy.
    pub expr: String,
    /// Shown when the condition is false.
    pub message: String,
    /// Line in the policy file.
    pub line: usize,
    program: Program,
}

impl std::fmt::Debug for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Condition")
            .field("expr", &self.expr)
            .field("message", &self.message)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

/// The data a condition sees.
#[derive(Clone, Debug, Default)]
pub struct Input {
    pub request: serde_json::Value,
    pub action: serde_json::Value,
    pub object: Option<serde_json::Value>,
    pub old_object: Option<serde_json::Value>,
}

impl Condition {
    /// Compiles `expr`; the error is the parser's message (with its caret line).
    pub fn compile(expr: &str, message: Option<String>, line: usize) -> Result<Self, String> {
        let program = Program::compile(expr).map_err(|e| e.to_string())?;
        Ok(Condition {
            expr: expr.to_string(),
            message: message.unwrap_or_else(|| format!("the policy requires `{expr}`")),
            line,
            program,
        })
    }

    /// `Ok(())` when the condition holds; otherwise the reason to show.
    pub fn check(&self, input: &Input) -> Result<(), String> {
        let ctx = context(input)?;
        match self.program.execute(&ctx) {
            Ok(Value::Bool(true)) => Ok(()),
            Ok(Value::Bool(false)) => Err(self.message.clone()),
            Ok(other) => Err(format!(
                "policy condition `{}` gave {other:?} instead of true or false, so the action is refused; an admin must fix the policy",
                self.expr
            )),
            Err(e) => Err(format!(
                "policy condition `{}` could not be evaluated ({e}), so the action is refused: {}",
                self.expr, self.message
            )),
        }
    }
}

/// The `request` variable for action `index` of a plan.
pub fn request_value(
    plan: &crate::actions::Plan,
    index: usize,
    requester: &crate::identity::Subject,
    break_glass: bool,
    production: bool,
) -> serde_json::Value {
    let action = plan.actions.get(index);
    let target = action.and_then(|a| a.target());
    serde_json::json!({
        "user": requester.user,
        "groups": requester.groups,
        "cluster": plan.cluster,
        "namespace": action.and_then(|a| a.namespace()).unwrap_or_default(),
        "verb": action.map(|a| a.verb()).unwrap_or_default(),
        "risk": action.map(|a| a.risk().to_string()).unwrap_or_default(),
        "kind": target.as_ref().map(|t| t.0.clone()).unwrap_or_default(),
        "name": target.as_ref().map(|t| t.1.clone()).unwrap_or_default(),
        "production": production,
        "breakGlass": break_glass,
    })
}

fn context(input: &Input) -> Result<Context<'static>, String> {
    let mut ctx = Context::default();
    ctx.register_all();
    let null = serde_json::Value::Null;
    let vars = [
        ("request", &input.request),
        ("action", &input.action),
        ("object", input.object.as_ref().unwrap_or(&null)),
        ("oldObject", input.old_object.as_ref().unwrap_or(&null)),
    ];
    for (name, value) in vars {
        ctx.add_variable(name, to_cel(value))
            .map_err(|e| format!("cannot give `{name}` to a policy condition: {e}"))?;
    }
    Ok(ctx)
}

/// JSON to CEL as Kubernetes does it: integers are `int` (so `replicas == 2` holds), field
/// names unchanged (names with dots or dashes are read with `['app.kubernetes.io/name']`).
fn to_cel(value: &serde_json::Value) -> Value {
    use kube_cel::cel::objects::{Key, Map};
    use std::sync::Arc;
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(u)) => Value::UInt(u),
            _ => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::String(Arc::new(s.clone())),
        serde_json::Value::Array(items) => {
            Value::List(Arc::new(items.iter().map(to_cel).collect()))
        }
        serde_json::Value::Object(obj) => {
            let map = obj
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v)))
                .collect();
            Value::Map(Map { map: Arc::new(map) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(object: serde_json::Value) -> Input {
        Input {
            request: json!({"user": "alice", "groups": ["dev"], "namespace": "prod"}),
            action: json!({"action": "scale", "replicas": 1}),
            object: Some(object),
            old_object: None,
        }
    }

    fn deployment(replicas: u32, image: &str) -> serde_json::Value {
        json!({"spec": {"replicas": replicas, "template": {"spec": {"containers": [
            {"name": "api", "image": image}]}}}})
    }

    #[test]
    fn replicas_may_not_go_below_two() {
        let c = Condition::compile(
            "object.spec.replicas >= 2",
            Some("replicas may not go below 2 in prod".into()),
            1,
        )
        .expect("compiles");
        assert_eq!(c.check(&input(deployment(3, "x"))), Ok(()));
        assert_eq!(
            c.check(&input(deployment(1, "x"))),
            Err("replicas may not go below 2 in prod".into())
        );
    }

    #[test]
    fn images_must_come_from_the_corporate_registry() {
        let c = Condition::compile(
            "object.spec.template.spec.containers.all(c, c.image.startsWith('registry.corp/'))",
            None,
            1,
        )
        .expect("compiles");
        assert!(
            c.check(&input(deployment(2, "registry.corp/api:2")))
                .is_ok()
        );
        let err = c
            .check(&input(deployment(2, "docker.io/evil:1")))
            .expect_err("refused");
        assert!(err.contains("the policy requires"), "{err}");
    }

    #[test]
    fn request_and_action_are_visible_and_kubernetes_functions_work() {
        for expr in [
            "request.user == 'alice' && 'dev' in request.groups && request.namespace == 'prod'",
            "object.metadata.labels['app.kubernetes.io/name'] == 'api'",
            "action.replicas == 1",
            "quantity('1Gi').isGreaterThan(quantity('500Mi'))",
            "semver('1.2.3').isLessThan(semver('2.0.0'))",
        ] {
            let c = Condition::compile(expr, None, 1).expect("compiles");
            let object = json!({"metadata": {"labels": {"app.kubernetes.io/name": "api"}}});
            assert_eq!(c.check(&input(object)), Ok(()), "{expr}");
        }
    }

    #[test]
    fn errors_and_non_booleans_refuse() {
        let missing = Condition::compile("object.spec.nope > 1", None, 1).expect("compiles");
        let err = missing
            .check(&input(deployment(2, "x")))
            .expect_err("fail closed");
        assert!(err.contains("could not be evaluated"), "{err}");
        let number = Condition::compile("1 + 1", None, 1).expect("compiles");
        let err = number.check(&input(json!({}))).expect_err("not a bool");
        assert!(err.contains("instead of true or false"), "{err}");
        let on_null = Condition::compile("object.spec.replicas >= 2", None, 1).expect("ok");
        assert!(on_null.check(&Input::default()).is_err(), "null object");
    }

    #[test]
    fn syntax_errors_are_reported_at_compile_time() {
        let err = Condition::compile("object.spec.replicas >=", None, 1).expect_err("bad");
        assert!(err.contains("Syntax error"), "{err}");
    }
}
