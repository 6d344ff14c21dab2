//! From a model's [`ActionDto`]s to typed [`Action`]s, with every check a model can fail:
//! known kinds, well-formed names, names that exist (when the grounding listed that kind),
//! sane values. Errors are sentences the model gets back on its one retry.

use crate::actions::{Action, Output, Scope, TopResource, Workload, WorkloadKind};
use crate::kinds;

use super::schema::{ActionDto, Verb};

/// At most this many actions in one model plan (a long plan is a confused one).
pub const MAX_ACTIONS: usize = 5;
const MAX_REPLICAS: u32 = 1000;
const MAX_TAIL: u32 = 10_000;

/// What the model was told about where it acts, used to check its answer.
#[derive(Clone, Debug, Default)]
pub struct Grounding {
    pub cluster: String,
    /// The channel's namespace: the default, and where `names` were listed.
    pub namespace: String,
    /// Objects in `namespace` (or cluster-scoped) by resource: `("deployments", "payment-api")`.
    pub names: Vec<(String, String)>,
}

impl Grounding {
    fn listed(&self, resource: &str) -> bool {
        self.names.iter().any(|(r, _)| r == resource)
    }

    fn exists(&self, resource: &str, name: &str) -> bool {
        self.names.iter().any(|(r, n)| r == resource && n == name)
    }

    fn known(&self, resource: &str) -> Vec<&str> {
        self.names
            .iter()
            .filter(|(r, _)| r == resource)
            .map(|(_, n)| n.as_str())
            .take(10)
            .collect()
    }
}

/// Converts and checks every action; all problems are reported together.
pub fn actions(dtos: &[ActionDto], g: &Grounding) -> Result<Vec<Action>, Vec<String>> {
    if dtos.is_empty() {
        return Err(vec![
            "outcome is \"plan\" but actions is empty: give at least one action, or use \"clarify\"".into(),
        ]);
    }
    if dtos.len() > MAX_ACTIONS {
        return Err(vec![format!(
            "{} actions is too many: at most {MAX_ACTIONS}",
            dtos.len()
        )]);
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, dto) in dtos.iter().enumerate() {
        match action(dto, g) {
            Ok(a) => out.push(a),
            Err(e) => errors.push(format!("actions[{i}] ({:?}): {e}", dto.verb)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A DNS-1123 subdomain, as Kubernetes object and namespace names are.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

fn name_of(dto: &ActionDto) -> Result<String, String> {
    let name = dto.name.as_deref().map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err("name is required for this verb".into());
    }
    if !valid_name(name) {
        return Err(format!("{name:?} is not a valid Kubernetes name"));
    }
    Ok(name.to_string())
}

fn namespace_of(dto: &ActionDto, g: &Grounding) -> Result<String, String> {
    match dto.namespace.as_deref().map(str::trim) {
        None | Some("") => Ok(g.namespace.clone()),
        Some(ns) if valid_name(ns) => Ok(ns.to_string()),
        Some(ns) => Err(format!("{ns:?} is not a valid namespace name")),
    }
}

/// The canonical plural of a kind the model named.
fn resource_of(kind: Option<&str>) -> Result<String, String> {
    let kind = kind.map(str::trim).unwrap_or_default();
    if kind.is_empty() {
        return Err("kind is required for this verb".into());
    }
    if let Some(k) = kinds::lookup(kind) {
        return Ok(k.resource.to_string());
    }
    if kinds::is_qualified_custom(kind) {
        return Ok(kind.to_string());
    }
    Err(match kinds::suggest(kind) {
        Some(s) => format!("unknown kind {kind:?} (did you mean {s:?}?)"),
        None => format!(
            "unknown kind {kind:?}: use a kubectl resource name such as pods or deployments"
        ),
    })
}

/// A workload target; the kind defaults to deployment, as in kubectl's everyday use.
fn workload_of(dto: &ActionDto, g: &Grounding, ns: &str) -> Result<Workload, String> {
    let kind = match dto.kind.as_deref().map(str::trim) {
        None | Some("") => WorkloadKind::Deployment,
        Some(k) => WorkloadKind::parse(k).ok_or_else(|| {
            format!("{k:?} has no rollouts or replicas: use deployment, statefulset, daemonset or replicaset")
        })?,
    };
    let name = name_of(dto)?;
    check_exists(g, kind.resource(), &name, ns)?;
    Ok(Workload { kind, name })
}

/// When the grounding listed this kind in this namespace, the name must be among them.
fn check_exists(g: &Grounding, resource: &str, name: &str, ns: &str) -> Result<(), String> {
    if ns == g.namespace && g.listed(resource) && !g.exists(resource, name) {
        let known = g.known(resource);
        return Err(format!(
            "there is no {resource} named {name:?} in {ns}; existing: {}",
            known.join(", ")
        ));
    }
    Ok(())
}

fn scope_of(dto: &ActionDto, g: &Grounding, resource: &str) -> Result<Scope, String> {
    if kinds::lookup(resource).is_some_and(|k| !k.namespaced) {
        return Ok(Scope::Cluster);
    }
    if dto.all_namespaces == Some(true) {
        return Ok(Scope::AllNamespaces);
    }
    Ok(Scope::Namespace(namespace_of(dto, g)?))
}

fn action(dto: &ActionDto, g: &Grounding) -> Result<Action, String> {
    let ns = namespace_of(dto, g)?;
    Ok(match dto.verb {
        Verb::Get => get(dto, g)?,
        Verb::Describe | Verb::Delete => {
            let resource = resource_of(dto.kind.as_deref())?;
            let name = name_of(dto)?;
            let namespaced = kinds::lookup(&resource).is_none_or(|k| k.namespaced);
            if namespaced {
                check_exists(g, &resource, &name, &ns)?;
            }
            let namespace = namespaced.then_some(ns);
            if dto.verb == Verb::Describe {
                Action::Describe {
                    resource,
                    name,
                    namespace,
                }
            } else {
                Action::Delete {
                    resource,
                    name,
                    namespace,
                    cascade: Default::default(),
                }
            }
        }
        Verb::Logs => logs(dto, g, ns)?,
        Verb::Events => Action::Events {
            scope: Scope::Namespace(ns),
            object: match (&dto.kind, &dto.name) {
                (Some(k), Some(_)) => Some(crate::actions::ObjectRef {
                    resource: resource_of(Some(k))?,
                    name: name_of(dto)?,
                }),
                _ => None,
            },
        },
        Verb::Failing => Action::Failing {
            scope: if dto.all_namespaces == Some(true) {
                Scope::AllNamespaces
            } else {
                Scope::Namespace(ns)
            },
        },
        Verb::Diagnose => Action::Diagnose {
            name: name_of(dto)?,
            namespace: ns,
        },
        Verb::Top => top(dto, g)?,
        Verb::RolloutStatus => Action::RolloutStatus {
            target: workload_of(dto, g, &ns)?,
            namespace: ns,
        },
        Verb::RolloutHistory => Action::RolloutHistory {
            target: workload_of(dto, g, &ns)?,
            namespace: ns,
        },
        Verb::RolloutRestart => Action::RolloutRestart {
            target: workload_of(dto, g, &ns)?,
            namespace: ns,
        },
        Verb::RolloutUndo => Action::RolloutUndo {
            target: workload_of(dto, g, &ns)?,
            namespace: ns,
            to_revision: dto.revision,
        },
        Verb::Scale => {
            let replicas = dto.replicas.ok_or("scale needs replicas")?;
            if replicas > MAX_REPLICAS {
                return Err(format!(
                    "{replicas} replicas is not a sane count (at most {MAX_REPLICAS})"
                ));
            }
            Action::Scale {
                target: workload_of(dto, g, &ns)?,
                namespace: ns,
                replicas,
            }
        }
        Verb::SetImage => {
            let image = dto.image.as_deref().map(str::trim).unwrap_or_default();
            if image.is_empty() || image.contains(char::is_whitespace) || image.len() > 512 {
                return Err(format!("{image:?} is not an image reference"));
            }
            Action::SetImage {
                target: workload_of(dto, g, &ns)?,
                namespace: ns,
                container: dto.container.clone().filter(|c| !c.is_empty()),
                image: image.to_string(),
            }
        }
        Verb::Cordon => Action::Cordon {
            node: node_of(dto, g)?,
        },
        Verb::Uncordon => Action::Uncordon {
            node: node_of(dto, g)?,
        },
        Verb::Drain => Action::Drain {
            node: node_of(dto, g)?,
            ignore_daemonsets: true,
            delete_emptydir_data: false,
        },
    })
}

fn get(dto: &ActionDto, g: &Grounding) -> Result<Action, String> {
    let resource = resource_of(dto.kind.as_deref())?;
    let scope = scope_of(dto, g, &resource)?;
    let name = match dto.name.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(_) => Some(name_of(dto)?),
    };
    if let (Some(n), Some(ns)) = (&name, scope.namespace()) {
        check_exists(g, &resource, n, ns)?;
    }
    let selector = dto.selector.clone().filter(|s| !s.trim().is_empty());
    if let Some(s) = &selector
        && s.chars().any(|c| c.is_whitespace() && c != ' ')
    {
        return Err(format!("{s:?} is not a label selector"));
    }
    Ok(Action::Get {
        resource,
        name,
        scope,
        selector,
        field_selector: None,
        output: Output::Table,
    })
}

fn logs(dto: &ActionDto, g: &Grounding, namespace: String) -> Result<Action, String> {
    if let Some(k) = dto.kind.as_deref()
        && !k.is_empty()
        && kinds::lookup(k).map(|k| k.resource) != Some("pods")
    {
        return Err(format!("logs are read from one pod, not from a {k}"));
    }
    let pod = name_of(dto)?;
    check_exists(g, "pods", &pod, &namespace)?;
    let tail = dto.tail.map(|t| t.clamp(1, MAX_TAIL));
    Ok(Action::Logs {
        pod,
        namespace,
        container: dto.container.clone().filter(|c| !c.is_empty()),
        tail,
        since_seconds: None,
        previous: dto.previous.unwrap_or(false),
    })
}

fn top(dto: &ActionDto, g: &Grounding) -> Result<Action, String> {
    let resource = match dto
        .kind
        .as_deref()
        .and_then(kinds::lookup)
        .map(|k| k.resource)
    {
        Some("nodes") => TopResource::Nodes,
        Some("pods") | None => TopResource::Pods,
        Some(other) => return Err(format!("top measures pods or nodes, not {other}")),
    };
    let scope = match resource {
        TopResource::Nodes => Scope::Cluster,
        TopResource::Pods => scope_of(dto, g, "pods")?,
    };
    Ok(Action::Top {
        resource,
        scope,
        name: None,
    })
}

fn node_of(dto: &ActionDto, g: &Grounding) -> Result<String, String> {
    let node = name_of(dto)?;
    if g.listed("nodes") && !g.exists("nodes", &node) {
        return Err(format!(
            "there is no node named {node:?}; existing: {}",
            g.known("nodes").join(", ")
        ));
    }
    Ok(node)
}
