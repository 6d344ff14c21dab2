//! `kubechat serve` exits on SIGTERM even while the console's stdin is an open pipe (a process
//! supervisor, `kubectl exec -i`): the blocking stdin reader must not keep the process alive.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the test waits before it declares the process hung (a hang guard, not a timing
/// assertion: a healthy exit takes a few hundred milliseconds).
const HANG_GUARD: Duration = Duration::from_secs(60);

fn wait_exit(child: &mut Child) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < HANG_GUARD {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn serve_exits_on_sigterm_with_stdin_held_open() {
    let dir = tempfile::tempdir().expect("dir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n\
         clusters: [{name: c, cluster: {server: \"http://127.0.0.1:9\"}}]\n\
         users: [{name: u, user: {token: t}}]\n\
         contexts: [{name: c, context: {cluster: c, user: u}}]\n",
    )
    .expect("kubeconfig");
    let config = dir.path().join("kubechat.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[ledger]\nurl = \"sqlite://{}\"\n\
             [[clusters]]\nname = \"c\"\nkubeconfig = {:?}\n",
            dir.path().join("ledger.db").display(),
            kubeconfig.display().to_string()
        ),
    )
    .expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubechat"))
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .env_remove("KUBECHAT_LEDGER_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kubechat serve");
    // The console banner (on stderr, with the logs) means the stdin reader is running.
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let banner = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("kubechat is running"));
    assert!(banner.is_some(), "serve never printed its console banner");
    std::thread::spawn(move || lines.for_each(drop));

    let term = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(term.success(), "kill -TERM failed");
    let _stdin_stays_open = child.stdin.take();
    match wait_exit(&mut child) {
        Some(status) => assert!(status.success(), "serve exited with {status}"),
        None => {
            let _ = child.kill();
            panic!("serve did not exit on SIGTERM while stdin was an open pipe");
        }
    }
}
