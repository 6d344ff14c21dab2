//! `kubechat policy check | explain | test`: the policy as operators see it, offline (no
//! cluster, no ledger). `explain` cannot read namespace labels here; pass them with `--label`
//! or see the fail-closed outcome the service would take if it could not read them either.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use jiff::{SignedDuration, Timestamp};
use kubechat_chat::Platform;

use super::PlatformArg;
use crate::config::Config;
use crate::identity::Identities;
use crate::planner::{self, PlanContext, Planned};
use crate::policy::explain::{self, Candidate};
use crate::policy::{self, Labels, Policy, breakglass, cases};

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy file (default: the config's `[policy] file`) and summarise it.
    Check { file: Option<PathBuf> },
    /// Show which rule decides a request, why, and who may approve it.
    Explain {
        /// The request, as typed in chat.
        text: String,
        /// Who asks (a mapped user of --platform).
        #[arg(long = "as")]
        user: String,
        #[arg(long, value_enum, default_value_t = PlatformArg::Console)]
        platform: PlatformArg,
        /// The channel it is asked in (applies its context lock).
        #[arg(long, default_value = "cli")]
        channel: String,
        /// When (RFC 3339), for change windows. Default: now.
        #[arg(long)]
        at: Option<Timestamp>,
        /// A namespace label as the cluster would answer: NAMESPACE:KEY=VALUE (repeatable).
        #[arg(long = "label")]
        labels: Vec<String>,
        /// A policy file instead of the config's.
        #[arg(long)]
        policy: Option<PathBuf>,
    },
    /// Run a table of cases (TOML) against the policy; exit 1 if any case fails.
    Test {
        file: PathBuf,
        /// A policy file instead of the config's.
        #[arg(long)]
        policy: Option<PathBuf>,
    },
}

/// Runs a policy command; returns the exit code.
pub fn run(config: &Config, command: PolicyCommand) -> anyhow::Result<i32> {
    match command {
        PolicyCommand::Check { file } => {
            let p = load(config, file.as_deref())?;
            println!(
                "policy OK ({}): {} rule(s), {} change window(s){}",
                p.source,
                p.rules.len(),
                p.windows.len(),
                if p.needs_labels() {
                    "; reads namespace labels"
                } else {
                    ""
                }
            );
            Ok(0)
        }
        PolicyCommand::Explain {
            text,
            user,
            platform,
            channel,
            at,
            labels,
            policy,
        } => {
            let p = load(config, policy.as_deref())?;
            let given = parse_labels(&labels)?;
            let ask = Ask {
                text: &text,
                user: &user,
                platform: platform.into(),
                channel: &channel,
                at: at.unwrap_or_else(Timestamp::now),
                labels: given,
            };
            println!("{}", explain_request(config, &p, &ask)?);
            Ok(0)
        }
        PolicyCommand::Test { file, policy } => {
            let p = load(config, policy.as_deref())?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let table = cases::parse(&text)
                .map_err(|e| anyhow::anyhow!("invalid case file {}: {e}", file.display()))?;
            let outcomes = cases::run(&p, config, &table);
            let failed = outcomes.iter().filter(|o| !o.problems.is_empty()).count();
            for o in &outcomes {
                if o.problems.is_empty() {
                    println!("ok    {}", o.name);
                } else {
                    println!("FAIL  {}\n      got: {}", o.name, o.got);
                    for problem in &o.problems {
                        println!("      {problem}");
                    }
                }
            }
            println!("{} passed, {failed} failed", outcomes.len() - failed);
            Ok(i32::from(failed > 0))
        }
    }
}

/// The policy file named, else the config's, else the built-in defaults.
fn load(config: &Config, file: Option<&Path>) -> anyhow::Result<Policy> {
    match file.or(config.policy.file.as_deref()) {
        Some(path) => Ok(crate::app::load_policy_file(path)?),
        None => Ok(policy::builtin()),
    }
}

fn parse_labels(args: &[String]) -> anyhow::Result<BTreeMap<String, BTreeMap<String, String>>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for arg in args {
        let parsed = arg
            .split_once(':')
            .and_then(|(ns, kv)| kv.split_once('=').map(|(k, v)| (ns, k, v)));
        let Some((ns, k, v)) = parsed else {
            anyhow::bail!(
                "--label {arg:?}: write it as NAMESPACE:KEY=VALUE (e.g. prod:env=production)"
            );
        };
        out.entry(ns.into()).or_default().insert(k.into(), v.into());
    }
    Ok(out)
}

struct Ask<'a> {
    text: &'a str,
    user: &'a str,
    platform: Platform,
    channel: &'a str,
    at: Timestamp,
    labels: BTreeMap<String, BTreeMap<String, String>>,
}

fn explain_request(config: &Config, policy: &Policy, ask: &Ask<'_>) -> anyhow::Result<String> {
    let identities = Identities::new(&config.identities);
    let person = identities.resolve(ask.platform, ask.user, None)?;
    let (cluster, namespace) = config.context(ask.platform, ask.channel);
    let clusters: Vec<String> = config.clusters.iter().map(|c| c.name.clone()).collect();
    let ctx = PlanContext {
        cluster: &cluster,
        namespace: &namespace,
        clusters: &clusters,
        last_target: None,
    };
    let (text, bg) = breakglass::split(ask.text);
    let plan = match planner::plan(&text, &ctx) {
        Planned::Plan(p) => p,
        Planned::Clarify(t) | Planned::NotUnderstood(t) | Planned::Help(t) => {
            anyhow::bail!("the request does not plan:\n{t}")
        }
    };
    let cluster_cfg = config
        .cluster(&plan.cluster)
        .with_context(|| format!("no cluster called {:?} in the config", plan.cluster))?;
    let mut labels: BTreeMap<String, Labels> = BTreeMap::new();
    for ns in plan.namespaces() {
        let l = match ask.labels.get(ns) {
            Some(l) => Labels::Known(l.clone()),
            None => Labels::Unknown(format!("not read offline; pass --label {ns}:KEY=VALUE")),
        };
        labels.insert(ns.to_string(), l);
    }
    let break_glass = match &bg {
        breakglass::BreakGlass::Reason(r) => Some(r.as_str()),
        breakglass::BreakGlass::MissingReason => anyhow::bail!("{}", breakglass::MISSING_REASON),
        breakglass::BreakGlass::None => None,
    };
    let req = policy::Request {
        plan: &plan,
        requester: &person.subject,
        cluster: cluster_cfg,
        labels: &labels,
        now: ask.at,
        break_glass,
        default_ttl: SignedDuration::from_mins(i64::from(config.defaults.preview_ttl_minutes)),
    };
    let people = identities.people();
    let people: Vec<Candidate<'_>> = people
        .iter()
        .map(|(name, subject)| Candidate { name, subject })
        .collect();
    let mut out = format!("Plan: {}\n", plan.describe());
    if let Err(refusal) = policy::context::check(config.channel(ask.platform, ask.channel), &plan) {
        out.push_str(&format!("Context lock: refused — {refusal}\n"));
    }
    out.push_str(&explain::explain(policy, &req, &person.chat_user, &people));
    Ok(out)
}
