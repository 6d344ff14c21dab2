//! What the planner says when it does not produce a plan: help, "not understood" with
//! examples, and refusals of things kubechat deliberately does not do.

use super::Planned;

/// Which examples fit the reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Topic {
    General,
    Reads,
    Writes,
    Logs,
    Nodes,
    Kubectl,
}

fn examples(topic: Topic) -> &'static [&'static str] {
    match topic {
        Topic::General => &[
            "show pods in payments",
            "what's failing in payments?",
            "logs of checkout-7d9f, last 100 lines",
            "restart payment-api",
            "kubectl get deployments -n payments",
        ],
        Topic::Reads => &[
            "show pods in payments",
            "describe deployment payment-api",
            "events for pod checkout-7d9f",
            "top pods in payments",
            "kubectl get widgets.example.com -n payments",
        ],
        Topic::Writes => &[
            "scale payment-api to 5",
            "restart payment-api in payments",
            "roll back payment-api",
            "set image of payment-api to registry/pay:1.4.2",
            "delete pod checkout-7d9f",
        ],
        Topic::Logs => &[
            "logs of checkout-7d9f, last 100 lines",
            "logs of checkout-7d9f container app since 10 minutes",
            "previous logs of checkout-7d9f",
            "kubectl logs checkout-7d9f -c app --tail=50",
        ],
        Topic::Nodes => &[
            "cordon node n1",
            "drain node n1",
            "uncordon node n1",
            "top nodes",
        ],
        Topic::Kubectl => &[
            "kubectl get pods -n payments -l app=web",
            "kubectl logs checkout-7d9f --tail=100",
            "kubectl scale deploy/payment-api --replicas=3",
            "kubectl rollout undo deploy/payment-api --to-revision=2",
        ],
    }
}

/// How every "not understood" reply starts (routing to a model keys on it).
pub(super) const NOT_UNDERSTOOD: &str = "I couldn't plan that: ";

/// "I couldn't plan that: <problem>." plus a few requests that work.
pub(super) fn not_understood(problem: &str, topic: Topic) -> Planned {
    let mut out = String::with_capacity(256);
    out.push_str(NOT_UNDERSTOOD);
    out.push_str(problem);
    out.push_str(".\nTry for example:");
    for e in examples(topic) {
        out.push_str("\n• ");
        out.push_str(e);
    }
    out.push_str("\nSay \"help\" for more.");
    Planned::NotUnderstood(out)
}

/// A refusal of a kubectl feature kubechat does not offer, with the reason and an alternative.
pub(super) fn refuse(what: &str, why: &str) -> Planned {
    Planned::NotUnderstood(format!("kubechat does not {what}: {why}"))
}

/// The refusal for kubectl verbs kubechat never runs, or `None` when `verb` is not one.
pub(super) fn refused_verb(verb: &str) -> Option<Planned> {
    let (what, why) = match verb {
        "exec" | "ssh" | "shell" => (
            "run commands inside containers (exec)",
            "an interactive shell cannot be previewed, approved or audited step by step. Use \"logs of <pod>\", \"describe pod <pod>\" or \"why is <pod> crashing\" to investigate, and your own kubectl for break-glass access.",
        ),
        "attach" => (
            "attach to containers",
            "a live session cannot be previewed or audited. Use \"logs of <pod>\" instead.",
        ),
        "port-forward" => (
            "port-forward",
            "it opens a network tunnel from the bot, which chat cannot use or audit. Use kubectl port-forward from your own machine.",
        ),
        "proxy" => (
            "run kubectl proxy",
            "it would expose the API through the bot. Use kubectl proxy from your own machine.",
        ),
        "cp" => (
            "copy files to or from containers (cp)",
            "file transfer through chat cannot be previewed or audited. Use kubectl cp from your own machine.",
        ),
        "edit" => (
            "open an editor (edit)",
            "chat has no editor. Send \"kubectl patch <kind> <name> -p '<json>'\" or \"apply\" with the full manifest instead, so the change can be previewed.",
        ),
        "run" => (
            "start ad-hoc pods (run)",
            "workloads should come from reviewed manifests. Send \"apply\" followed by the manifest, or \"create a job from cronjob <name>\".",
        ),
        "debug" => (
            "start debug containers (debug)",
            "that is an interactive session. Ask \"why is <pod> crashing\" for a diagnosis.",
        ),
        _ => return None,
    };
    Some(refuse(what, why))
}

/// The question when logs are asked without one pod.
pub(super) fn ask_for_pod(of: Option<&str>) -> Planned {
    Planned::Clarify(match of {
        Some(what) => format!(
            "Logs of which pod? kubechat reads logs from one pod at a time, and {what} is not a pod. List its pods (e.g. \"show pods\") and ask for the logs of one."
        ),
        None => "Logs of which pod? e.g. \"logs of checkout-7d9f, last 100 lines\".".to_string(),
    })
}

/// The question when "top" names neither pods nor nodes.
pub(super) fn ask_top() -> Planned {
    Planned::Clarify(
        "Resource usage of pods or of nodes? e.g. \"top pods in payments\" or \"top nodes\"."
            .to_string(),
    )
}

/// The help text: what kubechat understands, with reads, writes and kubectl syntax.
pub(super) fn help() -> Planned {
    Planned::Help(
        "I turn requests into Kubernetes actions. Reads run at once; changes get a preview with Approve / Abort first.\n\
         Reads:\n\
         • show pods in payments · list deployments everywhere · describe deployment payment-api\n\
         • what's failing in payments? · why is checkout crashing?\n\
         • logs of checkout-7d9f, last 100 lines · previous logs of checkout-7d9f\n\
         • events for pod checkout-7d9f · top pods in payments · can I delete pods in payments?\n\
         Changes:\n\
         • scale payment-api to 5 · restart payment-api · roll back payment-api\n\
         • set image of payment-api to registry/pay:1.4.2 · delete pod checkout-7d9f\n\
         • cordon node n1 · drain node n1 · label pod checkout-7d9f team=checkout\n\
         • create a job from cronjob nightly · apply, followed by a YAML manifest\n\
         kubectl syntax works too: kubectl get pods -n payments -l app=web · kubectl rollout undo deploy/payment-api --to-revision=2\n\
         Add \"in <namespace>\" or \"on <cluster>\" to point elsewhere; \"it\" means the last object we talked about."
            .to_string(),
    )
}
