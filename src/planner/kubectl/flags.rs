//! kubectl-style flag parsing (`-n x`, `-nx`, `-n=x`, `--namespace x`, `--namespace=x`,
//! `--previous`, `--previous=false`, `--` ends flags).
//!
//! Every flag a verb accepts is declared; an unknown flag is an error naming it, because a
//! silently ignored flag can change what a command means.

use crate::planner::Planned;
use crate::planner::reply::{self, Topic};

/// One accepted flag.
pub(super) struct Spec {
    /// Every spelling, long and short (`["-n", "--namespace"]`).
    pub names: &'static [&'static str],
    /// The key the verb looks the flag up by.
    pub key: &'static str,
    /// Takes a value (otherwise it is a boolean switch).
    pub value: bool,
}

/// Shorthand for a [`Spec`].
pub(super) const fn flag(names: &'static [&'static str], key: &'static str, value: bool) -> Spec {
    Spec { names, key, value }
}

/// Flags every verb accepts.
const GLOBAL: &[Spec] = &[
    flag(&["-n", "--namespace"], "namespace", true),
    flag(&["--context"], "context", true),
    flag(&["-A", "--all-namespaces"], "all", false),
];

/// Parsed arguments: positionals in order and flags with their values.
#[derive(Debug, Default)]
pub(super) struct Args {
    pub pos: Vec<String>,
    flags: Vec<(&'static str, Option<String>)>,
}

impl Args {
    /// The last value given for `key`.
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Whether `key` was given at all.
    pub(super) fn has(&self, key: &str) -> bool {
        self.flags.iter().any(|(k, _)| *k == key)
    }

    /// A boolean switch: absent → false, `--x` → true, `--x=false` → false.
    pub(super) fn switch(&self, key: &str) -> Result<bool, Planned> {
        match self.flags.iter().rev().find(|(k, _)| *k == key) {
            None => Ok(false),
            Some((_, None)) => Ok(true),
            Some((_, Some(v))) => match v.as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(reply::not_understood(
                    &format!("\"{v}\" is not true or false"),
                    Topic::Kubectl,
                )),
            },
        }
    }
}

/// Splits `args` (after the verb) into positionals and the flags in `specs` (plus the global
/// ones).
pub(super) fn parse(args: &[String], specs: &[Spec]) -> Result<Args, Planned> {
    let mut out = Args::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            out.pos.extend(args[i..].iter().cloned());
            break;
        }
        if !arg.starts_with('-') || arg == "-" {
            out.pos.push(arg.clone());
            continue;
        }
        let (name, inline) = split_flag(arg, specs);
        let Some(spec) = specs.iter().chain(GLOBAL).find(|s| s.names.contains(&name)) else {
            return Err(refused_flag(name).unwrap_or_else(|| unknown_flag(name)));
        };
        let value = if spec.value {
            match inline {
                Some(v) => Some(v.to_string()),
                None => {
                    let Some(v) = args.get(i) else {
                        return Err(reply::not_understood(
                            &format!("the flag {name} needs a value"),
                            Topic::Kubectl,
                        ));
                    };
                    i += 1;
                    Some(v.clone())
                }
            }
        } else {
            inline.map(str::to_string)
        };
        out.flags.push((spec.key, value));
    }
    Ok(out)
}

/// `--flag=value` → (`--flag`, value); `-nprod` → (`-n`, `prod`) when `-n` takes a value.
fn split_flag<'a>(arg: &'a str, specs: &[Spec]) -> (&'a str, Option<&'a str>) {
    if arg.starts_with("--") {
        return match arg.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (arg, None),
        };
    }
    // A short flag: one letter, then an optional "=value" or attached value.
    let Some((end, _)) = arg.char_indices().nth(2) else {
        return (arg, None);
    };
    let (name, rest) = arg.split_at(end);
    let takes_value = specs
        .iter()
        .chain(GLOBAL)
        .any(|s| s.value && s.names.contains(&name));
    if let Some(v) = rest.strip_prefix('=') {
        (name, Some(v))
    } else if takes_value {
        (name, Some(rest))
    } else {
        (arg, None)
    }
}

fn unknown_flag(name: &str) -> Planned {
    reply::not_understood(
        &format!(
            "I don't support the flag {name} here, and ignoring it could change what the command does"
        ),
        Topic::Kubectl,
    )
}

/// Flags kubechat refuses on purpose, with the reason.
fn refused_flag(name: &str) -> Option<Planned> {
    Some(match name {
        "--dry-run" => reply::refuse(
            "take --dry-run",
            "every change is already dry-run on the server and shown as a preview with Approve / Abort before anything happens.",
        ),
        "-w" | "--watch" | "--watch-only" => reply::refuse(
            "watch (-w)",
            "a chat reply is a snapshot. Ask again, or ask for events (\"events in <namespace>\").",
        ),
        "-f" | "--filename" | "-k" | "--kustomize" | "-R" | "--recursive" => reply::refuse(
            "read files (-f)",
            "it has no access to your machine. Paste the manifest after \"apply\" instead.",
        ),
        "--as"
        | "--as-group"
        | "--as-uid"
        | "--user"
        | "--token"
        | "--kubeconfig"
        | "--server"
        | "-s"
        | "--cluster"
        | "--username"
        | "--password"
        | "--insecure-skip-tls-verify"
        | "--certificate-authority"
        | "--client-certificate"
        | "--client-key" => reply::refuse(
            &format!("take {name}"),
            "it always acts as you, through impersonation of your own identity, on the configured clusters. Use --context <cluster> to pick a cluster.",
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[Spec] = &[
        flag(&["-c", "--container"], "container", true),
        flag(&["-p", "--previous"], "previous", false),
    ];

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn short_long_attached_and_inline_values() {
        let a = parse(
            &args("x -nprod -c=app --previous=false --context c1 y"),
            SPECS,
        )
        .expect("parses");
        assert_eq!(a.pos, ["x", "y"]);
        assert_eq!(a.get("namespace"), Some("prod"));
        assert_eq!(a.get("container"), Some("app"));
        assert_eq!(a.get("context"), Some("c1"));
        assert_eq!(a.switch("previous"), Ok(false));
        assert_eq!(a.switch("all"), Ok(false));
    }

    #[test]
    fn unknown_and_refused_flags_are_named() {
        let Err(Planned::NotUnderstood(m)) = parse(&args("x --bogus"), SPECS) else {
            panic!("expected an error");
        };
        assert!(m.contains("--bogus"), "{m}");
        let Err(Planned::NotUnderstood(m)) = parse(&args("x --dry-run=server"), SPECS) else {
            panic!("expected a refusal");
        };
        assert!(m.contains("dry-run"), "{m}");
    }

    #[test]
    fn double_dash_ends_flags() {
        let a = parse(&args("-- -x"), SPECS).expect("parses");
        assert_eq!(a.pos, ["-x"]);
    }
}
