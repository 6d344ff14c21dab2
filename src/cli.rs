//! The command line: `serve`, `chat`, `ask`, `approve`, `abort`, `check-config`, `audit`,
//! `migrate`, `policy`, `undo`. Every command that acts goes through the same [`App`] as chat does.

mod audit;
mod eval;
mod policy;
mod undo;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use kubechat_chat::{Decision, Inbound, Platform, ThreadRef, Verdict};

use crate::app::{App, Reply, Status};
use crate::clock::Clock;
use crate::config::Config;
use crate::executor::{ClusterConn, Executor};
use crate::ledger::Ledger;
use crate::telemetry::Metrics;

/// kubechat: chat-ops for Kubernetes, with previews, approvals and an audit ledger.
#[derive(Debug, Parser)]
#[command(name = "kubechat", version)]
pub struct Cli {
    /// Config file. Default: ./kubechat.toml if it exists, else built-in defaults
    /// (kubeconfig's current context, sqlite://kubechat.db, console only).
    #[arg(long, short, global = true, env = "KUBECHAT_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service: every configured adapter (the console when none) plus the HTTP server.
    Serve,
    /// An interactive terminal session (type requests; `approve ID`, `abort ID`, `/as NAME`).
    Chat {
        /// Who you are (a console user mapped in [[identities]]).
        #[arg(long = "as", env = "KUBECHAT_USER")]
        user: String,
    },
    /// Run one request through the loop and exit.
    Ask {
        /// The request, as you would type it in chat.
        text: String,
        /// Who asks (a mapped user of --platform).
        #[arg(long = "as")]
        user: String,
        /// The channel it is asked in (applies that channel's context lock).
        #[arg(long, default_value = "cli")]
        channel: String,
        #[arg(long, value_enum, default_value_t = PlatformArg::Console)]
        platform: PlatformArg,
        /// Approve the preview as these users, in order (for scripts and tests).
        #[arg(long = "approve-as")]
        approve_as: Vec<String>,
        #[arg(long, value_enum, default_value_t = OutputArg::Text)]
        output: OutputArg,
    },
    /// Approve a pending preview.
    Approve(DecideArgs),
    /// Abort a pending preview.
    Abort(DecideArgs),
    /// Ask to revert an executed plan: previews the inverse change for approval.
    Undo(undo::UndoArgs),
    /// Print the effective configuration, secrets redacted.
    CheckConfig,
    /// Run the ledger's database migrations and exit.
    Migrate,
    /// Inspect the audit ledger.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Measure the planner: accuracy per category and latency over a dataset (docs/llm.md).
    Eval(eval::EvalArgs),
    /// Check, explain and test the policy (`[policy] file`, or the built-in defaults).
    Policy {
        #[command(subcommand)]
        command: policy::PolicyCommand,
    },
}

/// Arguments of `approve` and `abort`.
#[derive(Debug, clap::Args)]
pub struct DecideArgs {
    pub plan_id: String,
    /// Who decides (a mapped user of --platform).
    #[arg(long = "as")]
    pub user: String,
    #[arg(long, value_enum, default_value_t = PlatformArg::Console)]
    pub platform: PlatformArg,
    #[arg(long, value_enum, default_value_t = OutputArg::Text)]
    pub output: OutputArg,
}

pub use audit::AuditCommand;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PlatformArg {
    Console,
    Slack,
    Mattermost,
    Matrix,
    Discord,
}

impl From<PlatformArg> for Platform {
    fn from(p: PlatformArg) -> Platform {
        match p {
            PlatformArg::Console => Platform::Console,
            PlatformArg::Slack => Platform::Slack,
            PlatformArg::Mattermost => Platform::Mattermost,
            PlatformArg::Matrix => Platform::Matrix,
            PlatformArg::Discord => Platform::Discord,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    Text,
    Json,
}

/// Loads the configuration the way every command does.
pub fn load_config(path: Option<&PathBuf>) -> anyhow::Result<Config> {
    match path {
        Some(p) => Ok(Config::load(p)?),
        None if std::path::Path::new("kubechat.toml").exists() => {
            Ok(Config::load(std::path::Path::new("kubechat.toml"))?)
        }
        None => Ok(Config::builtin()),
    }
}

/// Connects to every configured cluster. A cluster that cannot be loaded is reported and
/// skipped, so the service still starts and answers "no connection" for it.
pub async fn connect(config: &Config) -> Executor {
    let mut conns = Vec::new();
    let mut unavailable = std::collections::HashMap::new();
    for c in &config.clusters {
        match ClusterConn::load(c).await {
            Ok(conn) => conns.push(conn),
            Err(e) => {
                unavailable.insert(c.name.clone(), e.to_string());
                eprintln!(
                    "kubechat: cluster {:?} is not available: {e}\n  \
                     Fix: point `kubeconfig`/`context` of [[clusters]] name = {:?} at a reachable cluster \
                     (or set KUBECONFIG), then restart. kubechat runs meanwhile; requests to this cluster are refused.",
                    c.name, c.name
                );
            }
        }
    }
    Executor::new(conns).with_unavailable(unavailable)
}

/// Builds the app from config: ledger, clusters, clock, metrics.
pub async fn build(config: Config) -> anyhow::Result<App> {
    use secrecy::ExposeSecret;
    let url = config.ledger.url.expose_secret().to_string();
    let options = config.ledger.checkpoint.options();
    let ledger = Ledger::open_with(&url, options).await.with_context(|| {
        format!(
            "cannot open the audit ledger at {}",
            crate::config::redact_url(&url)
        )
    })?;
    let executor = connect(&config).await;
    let policy_file = config.policy.file.clone();
    let app = App::new(
        config,
        executor,
        ledger,
        Clock::system(),
        Metrics::default(),
    );
    if let Some(path) = policy_file {
        app.use_policy_file(&path)
            .with_context(|| "fix the policy file ([policy] file in the config)".to_string())?;
    }
    Ok(app)
}

/// Runs a command; returns the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    let config = load_config(cli.config.as_ref())?;
    match cli.command {
        Command::CheckConfig => {
            println!("{}", config.redacted());
            Ok(0)
        }
        Command::Migrate => {
            use secrecy::ExposeSecret;
            let ledger = Ledger::open(config.ledger.url.expose_secret()).await?;
            println!(
                "ledger migrations are up to date ({})",
                ledger.backend_name()
            );
            Ok(0)
        }
        Command::Audit { command } => audit::run(config, command).await,
        Command::Policy { command } => policy::run(&config, command),
        Command::Eval(args) => eval::run(&config, args).await,
        Command::Serve => crate::serve::serve(build(config).await?).await.map(|()| 0),
        Command::Chat { user } => crate::serve::chat(build(config).await?, user)
            .await
            .map(|()| 0),
        Command::Ask {
            text,
            user,
            channel,
            platform,
            approve_as,
            output,
        } => {
            let app = build(config).await?;
            let platform = Platform::from(platform);
            let thread = ThreadRef {
                platform,
                channel,
                thread: format!("cli-{}", uuid::Uuid::new_v4().simple()),
            };
            let msg = Inbound {
                thread: thread.clone(),
                user,
                text,
                event_id: thread.thread.clone(),
                email: None,
            };
            let mut reply = app.handle_message(&msg).await;
            for approver in approve_as {
                if reply.status != Status::Preview && reply.status != Status::Approved {
                    break;
                }
                let hash = reply.card.as_ref().map(|c| c.plan_hash.clone());
                let card = reply.card.clone();
                let mut ids = std::mem::take(&mut reply.ledger);
                let decision = Decision {
                    thread: thread.clone(),
                    user: approver,
                    plan_id: reply.plan_id.clone().unwrap_or_default(),
                    plan_hash: hash,
                    verdict: Verdict::Approve,
                    event_id: format!("cli-{}", uuid::Uuid::new_v4().simple()),
                    email: None,
                };
                let next = app.decide(&decision).await;
                ids.extend(&next.ledger);
                reply = Reply {
                    ledger: ids,
                    card: next.card.clone().or(card),
                    ..next
                };
            }
            Ok(print_reply(&reply, output))
        }
        Command::Approve(args) => decide(config, args, Verdict::Approve).await,
        Command::Abort(args) => decide(config, args, Verdict::Abort).await,
        Command::Undo(args) => undo::run(config, args).await,
    }
}

async fn decide(config: Config, args: DecideArgs, verdict: Verdict) -> anyhow::Result<i32> {
    let DecideArgs {
        plan_id,
        user,
        platform,
        output,
    } = args;
    let app = build(config).await?;
    let id = format!("cli-{}", uuid::Uuid::new_v4().simple());
    let decision = Decision {
        thread: ThreadRef {
            platform: platform.into(),
            channel: "cli".into(),
            thread: id.clone(),
        },
        user,
        plan_id,
        plan_hash: None,
        verdict,
        event_id: id,
        email: None,
    };
    let reply = app.decide(&decision).await;
    Ok(print_reply(&reply, output))
}

/// Prints a reply; returns the exit code (0 for answered/preview/approved/executed).
fn print_reply(reply: &Reply, output: OutputArg) -> i32 {
    let code = if reply.status.is_success() { 0 } else { 1 };
    match output {
        OutputArg::Json => {
            #[derive(serde::Serialize)]
            struct Shown<'a> {
                status: Status,
                plan_id: &'a Option<String>,
                kubectl: &'a [String],
                reply: &'a str,
                ledger: &'a [i64],
                #[serde(skip_serializing_if = "std::ops::Not::not")]
                undoable: bool,
            }
            let shown = Shown {
                status: reply.status,
                plan_id: &reply.plan_id,
                kubectl: &reply.kubectl,
                reply: &reply.reply,
                ledger: &reply.ledger,
                undoable: reply.undoable,
            };
            match serde_json::to_string_pretty(&shown) {
                Ok(json) => println!("{json}"),
                Err(e) => eprintln!("kubechat: cannot render JSON: {e}"),
            }
        }
        OutputArg::Text if code == 0 && reply.undoable => println!(
            "{}\n(undo with `kubechat undo {} --as YOU`)",
            reply.reply,
            reply.plan_id.as_deref().unwrap_or_default()
        ),
        OutputArg::Text if code == 0 => println!("{}", reply.reply),
        OutputArg::Text => eprintln!("{}", reply.reply),
    }
    code
}
