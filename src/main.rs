//! The kubechat binary: parse the command line, set up logging, run, exit with its code.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
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
