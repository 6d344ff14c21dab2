//! `kubechat undo PLAN_ID --as USER`: asks to revert an executed plan. Prints the preview of
//! the inverse change (approve it with `kubechat approve NEW_ID --as APPROVER`), or why the
//! plan cannot be undone.

use kubechat_chat::{Platform, ThreadRef, UndoRequest};

use super::{OutputArg, PlatformArg, build, print_reply};
use crate::config::Config;

/// Arguments of `undo`.
#[derive(Debug, clap::Args)]
pub struct UndoArgs {
    /// The executed plan to revert (`kc-…`).
    pub plan_id: String,
    /// Who asks (a mapped user of --platform).
    #[arg(long = "as")]
    pub user: String,
    /// The channel it is asked in (applies that channel's context lock).
    #[arg(long, default_value = "cli")]
    pub channel: String,
    #[arg(long, value_enum, default_value_t = PlatformArg::Console)]
    pub platform: PlatformArg,
    #[arg(long, value_enum, default_value_t = OutputArg::Text)]
    pub output: OutputArg,
}

/// Runs `undo`; returns the exit code.
pub async fn run(config: Config, args: UndoArgs) -> anyhow::Result<i32> {
    let app = build(config).await?;
    let id = format!("cli-{}", uuid::Uuid::new_v4().simple());
    let request = UndoRequest {
        thread: ThreadRef {
            platform: Platform::from(args.platform),
            channel: args.channel,
            thread: id.clone(),
        },
        user: args.user,
        plan_id: args.plan_id,
        event_id: id,
        email: None,
    };
    let reply = app.undo(&request).await;
    Ok(print_reply(&reply, args.output))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    #[test]
    fn undo_takes_a_plan_id_and_who_asks() {
        let cli = Cli::try_parse_from(["kubechat", "undo", "kc-1a2b3c4d5e", "--as", "alice"])
            .expect("parses");
        let Command::Undo(args) = cli.command else {
            panic!("undo: {:?}", cli.command)
        };
        assert_eq!(args.plan_id, "kc-1a2b3c4d5e");
        assert_eq!(args.user, "alice");
        assert!(
            Cli::try_parse_from(["kubechat", "undo", "kc-1"]).is_err(),
            "--as is required"
        );
    }
}
