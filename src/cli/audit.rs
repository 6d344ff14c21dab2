//! `kubechat audit …`: verify, export, show, checkpoint, archive. Reads work while the
//! ledger refuses writes; every command names what is wrong and what to do.

use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use jiff::Timestamp;
use secrecy::ExposeSecret;

use crate::config::Config;
use crate::ledger::chain::Walker;
use crate::ledger::checkpoint::{Checkpoint, Verifier};
use crate::ledger::{EntryKind, ExportFormat, Filter, Ledger, VerifyReport, verify_export};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Re-walk the hash chain and the checkpoints; report the first bad entry and why.
    Verify {
        /// Public key (64 hex digits) to check checkpoint signatures with. Default:
        /// [ledger.checkpoint] public_key, or the one of its signing_key.
        #[arg(long)]
        public_key: Option<String>,
        /// A checkpoint kept outside the database (`kubechat audit checkpoint --out`): the
        /// ledger must still contain it (reveals removed newest entries).
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// Verify an export or archive file (jsonl) instead of the database.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Stream entries (constant memory) to stdout or --out.
    Export {
        #[arg(long, default_value = "jsonl")]
        format: String,
        /// Entries at or after this time (RFC 3339, or a date = midnight UTC).
        #[arg(long)]
        since: Option<String>,
        /// Entries before this time.
        #[arg(long)]
        until: Option<String>,
        /// Only this actor (`slack:U123`, `kubechat`).
        #[arg(long)]
        actor: Option<String>,
        #[arg(long)]
        cluster: Option<String>,
        #[arg(long)]
        namespace: Option<String>,
        /// Only this kind (message, planned, previewed, approved, executing, …).
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the full story of one request: every entry of the plan, in order.
    Show {
        plan_id: String,
        /// Print the entries as a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Write a signed checkpoint now and print it; keep a copy outside the database.
    Checkpoint {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Archive entries older than --before to --out (jsonl), then remove them from the
    /// ledger, recording that in the ledger itself.
    Archive {
        /// RFC 3339 time or date; rounded down to the whole second.
        #[arg(long)]
        before: String,
        #[arg(long)]
        out: PathBuf,
    },
}

/// Parses `2025-03-01` (midnight UTC) or an RFC 3339 time.
fn parse_time(flag: &str, text: &str) -> anyhow::Result<Timestamp> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    if let Ok(d) = text.parse::<jiff::civil::Date>() {
        return Ok(d.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp());
    }
    bail!("--{flag} {text:?} is not a time: use 2025-03-01 or 2025-03-01T12:00:00Z")
}

fn parse_kind(text: &str) -> anyhow::Result<EntryKind> {
    EntryKind::parse(text).with_context(|| {
        format!("--kind {text:?} is not an entry kind: use message, planned, answered, clarified, previewed, approved, refused, aborted, expired, denied, executing, executed, failed, interrupted, superseded, checkpoint or archived")
    })
}

/// Runs an audit command; returns the exit code (2 when verify finds a break).
pub async fn run(config: Config, command: AuditCommand) -> anyhow::Result<i32> {
    if let AuditCommand::Verify {
        public_key,
        checkpoint,
        file: Some(file),
    } = &command
    {
        let walker = walker(&config, public_key.as_deref(), checkpoint.as_ref())?;
        let reader = BufReader::new(
            std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?,
        );
        return Ok(print_report(&verify_export(reader, walker)?));
    }
    let url = config.ledger.url.expose_secret();
    let ledger = Ledger::open_with(url, config.ledger.checkpoint.options()).await?;
    match command {
        AuditCommand::Verify {
            public_key,
            checkpoint,
            file: None,
        } => {
            let walker = walker(&config, public_key.as_deref(), checkpoint.as_ref())?;
            Ok(print_report(&ledger.verify_with(walker).await?))
        }
        AuditCommand::Verify { file: Some(_), .. } => unreachable!("handled above"),
        AuditCommand::Export {
            format,
            since,
            until,
            actor,
            cluster,
            namespace,
            kind,
            out,
        } => {
            let format: ExportFormat = format.parse()?;
            let filter = Filter {
                since: since.map(|t| parse_time("since", &t)).transpose()?,
                until: until.map(|t| parse_time("until", &t)).transpose()?,
                actor,
                cluster,
                namespace,
                kind: kind.map(|k| parse_kind(&k)).transpose()?,
                through_seq: None,
            };
            let mut sink = output(out.as_ref())?;
            let n = ledger.export(format, &filter, &mut sink).await?;
            sink.flush()?;
            eprintln!("exported {n} entries");
            Ok(0)
        }
        AuditCommand::Show { plan_id, json } => show(&ledger, &plan_id, json).await,
        AuditCommand::Checkpoint { out } => {
            let entry = ledger.checkpoint_now().await?;
            let mut cp: Checkpoint = serde_json::from_value(entry.payload)?;
            cp.time = Some(entry.time.to_string());
            let text = serde_json::to_string_pretty(&cp)?;
            let mut sink = output(out.as_ref())?;
            writeln!(sink, "{text}")?;
            sink.flush()?;
            eprintln!(
                "checkpoint of {} entries written as entry {}; keep this copy outside the database",
                cp.tree_size, entry.seq
            );
            Ok(0)
        }
        AuditCommand::Archive { before, out } => {
            let before = parse_time("before", &before)?;
            let file = std::fs::File::create_new(&out).with_context(|| {
                format!("cannot create {} (it must not exist yet)", out.display())
            })?;
            let mut sink = BufWriter::new(file);
            let actor = std::env::var("USER").map_or("cli".to_owned(), |u| format!("cli:{u}"));
            match ledger.archive(before, &actor, &mut sink).await? {
                Some(entry) => {
                    sink.flush()?;
                    println!(
                        "archived entries {}..={} to {} (sha256 {}); recorded as entry {}",
                        entry.payload["from_seq"],
                        entry.payload["through_seq"],
                        out.display(),
                        entry.payload["file_sha256"].as_str().unwrap_or_default(),
                        entry.seq
                    );
                    Ok(0)
                }
                None => {
                    drop(sink);
                    std::fs::remove_file(&out)?;
                    println!("nothing to archive before {before} (or only entries of open plans)");
                    Ok(0)
                }
            }
        }
    }
}

fn output(path: Option<&PathBuf>) -> anyhow::Result<Box<dyn Write + Send>> {
    Ok(match path {
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout())),
    })
}

/// The walker for verify: signature key and a checkpoint kept outside, if given.
fn walker(
    config: &Config,
    public_key: Option<&str>,
    kept: Option<&PathBuf>,
) -> anyhow::Result<Walker> {
    let verifier = match public_key {
        Some(hex) => Some(Verifier::from_hex(hex)?),
        None => config.ledger.checkpoint.verifier(),
    };
    let mut walker = Walker::new();
    if let Some(path) = kept {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read checkpoint {}", path.display()))?;
        let cp: Checkpoint = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a kubechat checkpoint", path.display()))?;
        let Some(v) = &verifier else {
            bail!("checking a kept checkpoint needs the public key: pass --public-key");
        };
        let time = cp.time.as_deref().unwrap_or_default();
        if let Err(why) = v.check(&cp, time) {
            bail!(
                "the checkpoint in {} is not authentic: {why}",
                path.display()
            );
        }
        walker = walker.expecting(cp.tree_size, &cp.head_hash);
    }
    Ok(match verifier {
        Some(v) => walker.with_verifier(v),
        None => walker,
    })
}

fn print_report(report: &VerifyReport) -> i32 {
    let signatures = if report.signatures_checked {
        "signatures checked"
    } else {
        "signatures NOT checked (no public key)"
    };
    match &report.first_break {
        None => {
            println!(
                "ledger OK: {} entries, head {}; {} checkpoints ({signatures}), newest covers {} entries",
                report.entries,
                report.head_hash,
                report.checkpoints,
                report.last_checkpoint.unwrap_or(0)
            );
            0
        }
        Some(b) => {
            println!(
                "ledger BROKEN at entry {}: {} ({} entries read)",
                b.seq, b.reason, report.entries
            );
            2
        }
    }
}

async fn show(ledger: &Ledger, plan_id: &str, json: bool) -> anyhow::Result<i32> {
    let entries = ledger.plan_entries(plan_id).await?;
    if entries.is_empty() {
        eprintln!("no ledger entries for plan {plan_id:?}: check the id (it is in the preview)");
        return Ok(1);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(0);
    }
    for e in &entries {
        println!(
            "#{} {} {:<11} by {}  [{} / {}]",
            e.seq,
            e.time,
            e.kind.as_str(),
            e.actor,
            e.cluster.as_deref().unwrap_or("-"),
            e.namespace.as_deref().unwrap_or("-")
        );
        for line in serde_json::to_string_pretty(&e.payload)?.lines() {
            println!("    {line}");
        }
    }
    Ok(0)
}
