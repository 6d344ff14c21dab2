//! The kubechat binary: parse the command line, set up logging, run, exit with its code.

use clap::Parser;

/// How long blocking threads get after the command finished. The console reads stdin on a
/// blocking thread that a pipe kept open never releases; without a bound, `serve` would not
/// exit on SIGTERM while stdin is an open pipe (e.g. under a process supervisor).
const BLOCKING_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kubechat: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let code = runtime.block_on(run());
    runtime.shutdown_timeout(BLOCKING_GRACE);
    code
}

async fn run() -> std::process::ExitCode {
    kubechat::executor::install_crypto_provider();
    let cli = kubechat::cli::Cli::parse();
    let format = kubechat::cli::load_config(cli.config.as_ref())
        .map(|c| c.server.log_format.clone())
        .unwrap_or_else(|_| "plain".into());
    kubechat::telemetry::init_logging(&format);
    match kubechat::cli::run(cli).await {
        Ok(code) => std::process::ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("kubechat: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
