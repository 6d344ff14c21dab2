//! Renders an [`Action`] as the equivalent kubectl command line, for review and learning.
//!
//! The output is shown to people, never executed. Arguments that a shell would split or
//! expand are single-quoted, so the line can be pasted into a terminal as it is.

use super::{Action, MetaChanges, Output, PatchType, Scope, TopResource, Workload};

/// The kubectl command line equivalent to `action`.
pub fn render(action: &Action) -> String {
    let mut line = Line::new();
    use Action::*;
    match action {
        Get {
            resource,
            name,
            scope,
            selector,
            field_selector,
            output,
        } => {
            line.words(["get", resource]);
            line.opt_word(name.as_deref());
            line.scope(scope);
            line.opt_flag("-l", selector.as_deref());
            line.opt_flag("--field-selector", field_selector.as_deref());
            match output {
                Output::Table => {}
                Output::Wide => line.flag("-o", "wide"),
                Output::Yaml => line.flag("-o", "yaml"),
                Output::Json => line.flag("-o", "json"),
                Output::Name => line.flag("-o", "name"),
            }
        }
        Describe {
            resource,
            name,
            namespace,
        } => {
            line.words(["describe", resource, name]);
            line.namespace(namespace.as_deref());
        }
        Logs {
            pod,
            namespace,
            container,
            tail,
            since_seconds,
            previous,
        } => {
            line.words(["logs", pod]);
            line.namespace(Some(namespace));
            line.opt_flag("-c", container.as_deref());
            if let Some(tail) = tail {
                line.eq_flag("--tail", &tail.to_string());
            }
            if let Some(since) = since_seconds {
                line.eq_flag("--since", &duration(*since));
            }
            if *previous {
                line.word("--previous");
            }
        }
        Events { scope, object } => {
            line.word("events");
            line.scope(scope);
            if let Some(o) = object {
                line.eq_flag("--for", &format!("{}/{}", singular(&o.resource), o.name));
            }
        }
        Top {
            resource,
            scope,
            name,
        } => {
            line.words([
                "top",
                match resource {
                    TopResource::Pods => "pods",
                    TopResource::Nodes => "nodes",
                },
            ]);
            line.opt_word(name.as_deref());
            if *resource == TopResource::Pods {
                line.scope(scope);
            }
        }
        Failing { scope } => {
            line.words(["get", "pods"]);
            line.scope(scope);
            line.flag("--field-selector", "status.phase!=Succeeded");
        }
        Diagnose { name, namespace } => {
            line.words(["describe", "pods"]);
            line.namespace(Some(namespace));
            line.flag("-l", &format!("app={name}"));
        }
        AuthCanI {
            verb,
            resource,
            name,
            scope,
        } => {
            line.words(["auth", "can-i", verb]);
            match name {
                Some(n) => line.word(&format!("{resource}/{n}")),
                None => line.word(resource),
            }
            line.scope(scope);
        }
        RolloutStatus { target, namespace } => {
            line.words(["rollout", "status"]);
            line.workload(target, namespace);
        }
        RolloutHistory { target, namespace } => {
            line.words(["rollout", "history"]);
            line.workload(target, namespace);
        }
        Scale {
            target,
            namespace,
            replicas,
        } => {
            line.word("scale");
            line.workload(target, namespace);
            line.eq_flag("--replicas", &replicas.to_string());
        }
        RolloutRestart { target, namespace } => {
            line.words(["rollout", "restart"]);
            line.workload(target, namespace);
        }
        RolloutUndo {
            target,
            namespace,
            to_revision,
        } => {
            line.words(["rollout", "undo"]);
            line.workload(target, namespace);
            if let Some(r) = to_revision {
                line.eq_flag("--to-revision", &r.to_string());
            }
        }
        SetImage {
            target,
            namespace,
            container,
            image,
        } => {
            line.words(["set", "image"]);
            line.word(&format!("{}/{}", target.kind, target.name));
            line.word(&format!("{}={image}", container.as_deref().unwrap_or("*")));
            line.namespace(Some(namespace));
        }
        Delete {
            resource,
            name,
            namespace,
            cascade,
        } => {
            line.words(["delete", singular(resource), name]);
            line.namespace(namespace.as_deref());
            if !cascade.is_background() {
                line.word(&format!("--cascade={}", cascade.as_str()));
            }
        }
        Cordon { node } => line.words(["cordon", node]),
        Uncordon { node } => line.words(["uncordon", node]),
        Drain {
            node,
            ignore_daemonsets,
            delete_emptydir_data,
        } => {
            line.words(["drain", node]);
            if *ignore_daemonsets {
                line.word("--ignore-daemonsets");
            }
            if *delete_emptydir_data {
                line.word("--delete-emptydir-data");
            }
        }
        Label {
            target,
            namespace,
            changes,
        } => {
            line.words(["label", singular(&target.resource), &target.name]);
            line.meta(changes);
            line.namespace(namespace.as_deref());
        }
        Annotate {
            target,
            namespace,
            changes,
        } => {
            line.words(["annotate", singular(&target.resource), &target.name]);
            line.meta(changes);
            line.namespace(namespace.as_deref());
        }
        Apply {
            manifest,
            namespace,
        } => {
            line.words(["apply", "--server-side"]);
            line.namespace(Some(namespace));
            line.words(["-f", "-"]);
            let marker = heredoc_marker(manifest);
            line.raw(&format!(" <<'{marker}'\n{}\n{marker}", manifest.trim_end()));
        }
        Patch {
            target,
            namespace,
            patch_type,
            patch,
        } => {
            line.words(["patch", singular(&target.resource), &target.name]);
            line.namespace(namespace.as_deref());
            line.eq_flag(
                "--type",
                match patch_type {
                    PatchType::Strategic => "strategic",
                    PatchType::Merge => "merge",
                    PatchType::Json => "json",
                },
            );
            line.flag("-p", patch);
        }
        CreateJobFromCronJob {
            cronjob,
            job,
            namespace,
        } => {
            line.words(["create", "job", job]);
            line.eq_flag("--from", &format!("cronjob/{cronjob}"));
            line.namespace(Some(namespace));
        }
    }
    line.finish()
}

/// kubectl accepts plural and singular names alike; singular reads better for one object.
fn singular(resource: &str) -> &str {
    crate::kinds::lookup(resource)
        .map(|k| k.singular)
        .unwrap_or(resource)
}

/// A heredoc terminator no line of `text` equals, so the whole manifest stays inside it
/// ("EOF", else "EOF_1", …).
fn heredoc_marker(text: &str) -> String {
    let mut marker = String::from("EOF");
    let mut n = 0;
    while text.lines().any(|l| l == marker) {
        n += 1;
        marker = format!("EOF_{n}");
    }
    marker
}

/// Seconds as kubectl's duration syntax (`90s`, `5m`, `2h`).
fn duration(seconds: u64) -> String {
    if seconds > 0 && seconds.is_multiple_of(3600) {
        format!("{}h", seconds / 3600)
    } else if seconds > 0 && seconds.is_multiple_of(60) {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

/// A command line under construction.
struct Line(String);

impl Line {
    fn new() -> Self {
        Line(String::from("kubectl"))
    }

    fn word(&mut self, word: &str) {
        self.0.push(' ');
        self.0.push_str(&quote(word));
    }

    fn words<'a>(&mut self, words: impl IntoIterator<Item = &'a str>) {
        for w in words {
            self.word(w);
        }
    }

    fn opt_word(&mut self, word: Option<&str>) {
        if let Some(w) = word {
            self.word(w);
        }
    }

    fn flag(&mut self, flag: &str, value: &str) {
        self.word(flag);
        self.word(value);
    }

    fn opt_flag(&mut self, flag: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.flag(flag, v);
        }
    }

    fn eq_flag(&mut self, flag: &str, value: &str) {
        self.word(&format!("{flag}={value}"));
    }

    fn namespace(&mut self, namespace: Option<&str>) {
        self.opt_flag("-n", namespace);
    }

    fn scope(&mut self, scope: &Scope) {
        match scope {
            Scope::Namespace(ns) => self.flag("-n", ns),
            Scope::AllNamespaces => self.word("-A"),
            Scope::Cluster => {}
        }
    }

    fn workload(&mut self, target: &Workload, namespace: &str) {
        self.word(&format!("{}/{}", target.kind, target.name));
        self.namespace(Some(namespace));
    }

    fn meta(&mut self, changes: &MetaChanges) {
        for (k, v) in &changes.set {
            self.word(&format!("{k}={v}"));
        }
        for k in &changes.remove {
            self.word(&format!("{k}-"));
        }
        if changes.overwrite {
            self.word("--overwrite");
        }
    }

    fn raw(&mut self, text: &str) {
        self.0.push_str(text);
    }

    fn finish(self) -> String {
        self.0
    }
}

/// Single-quotes a word when a POSIX shell would otherwise split or expand it.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '-' | '_' | '.' | '/' | ':' | '=' | ',' | '@' | '+')
        });
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_a_shell_would_mangle() {
        assert_eq!(quote("payment-api"), "payment-api");
        assert_eq!(quote("app in (a,b)"), "'app in (a,b)'");
        assert_eq!(quote("*=nginx:1"), "'*=nginx:1'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn durations_use_the_largest_whole_unit() {
        assert_eq!(duration(7200), "2h");
        assert_eq!(duration(300), "5m");
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(0), "0s");
    }
}
