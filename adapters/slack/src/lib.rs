//! kubechat's Slack adapter (tmp)
pub mod api;
pub mod blocks;
pub mod inbound;
pub mod mrkdwn;
pub mod verify;
