//! `kubechat eval FILE [--planner rules|llm|both]`: planner accuracy per category and latency.

use std::path::PathBuf;

use crate::config::Config;
use crate::eval::{self, EvalContext, Mode};

/// Arguments of `kubechat eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The dataset (JSON lines), e.g. evals/planner.jsonl.
    pub file: PathBuf,
    /// Which planner: the rules, the model alone, or both (rules first, as in production).
    /// `llm` and `both` use the `[llm]` providers of the config.
    #[arg(long, value_enum, default_value_t = Mode::Rules)]
    pub planner: Mode,
    /// The channel namespace the cases are asked in.
    #[arg(long, default_value = "payments")]
    pub namespace: String,
    /// List every failed case and why.
    #[arg(long)]
    pub verbose: bool,
    /// Exit non-zero when overall accuracy is below this (0–100), for CI gates.
    #[arg(long)]
    pub min_accuracy: Option<f64>,
}

/// Runs the eval and prints the report; the exit code reflects `--min-accuracy`.
pub async fn run(config: &Config, args: EvalArgs) -> anyhow::Result<i32> {
    let cases = eval::load(&args.file)?;
    let ctx = EvalContext {
        cluster: config.default_cluster().name.clone(),
        namespace: args.namespace.clone(),
        clusters: config.clusters.iter().map(|c| c.name.clone()).collect(),
    };
    #[cfg(feature = "llm")]
    let chain = crate::llm::Chain::from_config(&config.llm);
    #[cfg(feature = "llm")]
    let model = chain.as_ref();
    #[cfg(not(feature = "llm"))]
    let model: eval::Model<'_> = None;
    if args.planner != Mode::Rules && model.is_none() {
        anyhow::bail!(
            "--planner {:?} needs a model: add [[llm.providers]] to the config (see docs/llm.md)",
            args.planner
        );
    }
    let report = eval::run(&cases, args.planner, model, &ctx).await;
    print!("{}", report.render(args.verbose));
    let accuracy = 100.0 * report.accuracy();
    if let Some(min) = args.min_accuracy
        && accuracy < min
    {
        eprintln!("accuracy {accuracy:.1}% is below --min-accuracy {min}");
        return Ok(1);
    }
    Ok(0)
}
