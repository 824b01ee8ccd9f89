//! Effects that cannot escape, through `duet run`: a role's own `:command` needs `shell`, a
//! custom `:endpoint` or a foreign `:api-key-env` needs `network` (the program or the server
//! is never reached without it, and no other secret ever reaches a server); workspace
//! paths cannot leave the workspace (`..`, absolute paths, links out, dangling links) or
//! reach the run store, wherever it is, even in a resumed run; stores and run logs are
//! private; and text from the run reaches the terminal with its control sequences shown,
//! not obeyed, while the program's own output stays byte for byte.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Output;

mod support;
use support::{FakeServer, command, duet, script, temp, text};

/// Held by the tests that write scripts: a script written while another thread forks could
/// be held open by the child and fail to run ("text file busy").
static SPAWNING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `duet ARGS…` in `dir` with `env` set, and the caller's endpoints and keys removed.
fn duet_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = command(dir, args);
    for var in [
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "ANTHROPIC_API_KEY",
        "OLLAMA_HOST",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command.output().expect("duet runs")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("it exists")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn a_roles_own_command_needs_shell_and_is_never_started_without_it() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("escape-command");
    script(
        &dir.join("agent"),
        r#"touch ran; cat > /dev/null
echo '{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"agent did it"}}'
echo '{"type":"turn.completed"}'"#,
    );
    std::fs::write(
        dir.join("own.lisp"),
        r#"(workflow own
  (roles (coder :agent-kind "codex" :command "./agent"))
  (state work
    (println (try (prompt coder "fix it") (catch e (str (field e 0) " " (field e 1)))))
    (terminal)))
"#,
    )
    .expect("the workflow");
    let out = duet(&dir, &["run", "own.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with(":capability role `coder`"), "{stdout}");
    assert!(stdout.contains("`./agent`"), "{stdout}");
    assert!(stdout.contains("the `shell` capability"), "{stdout}");
    assert!(stdout.contains("--allow shell"), "{stdout}");
    assert!(!dir.join("ran").exists(), "the program was started");
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));

    // Uncaught, the refusal fails the run with the same words.
    std::fs::write(
        dir.join("bare.lisp"),
        r#"(workflow bare
  (roles (coder :agent-kind "claude-code" :command "./agent"))
  (state work (println (prompt coder "fix it")) (terminal)))
"#,
    )
    .expect("the workflow");
    let out = duet(&dir, &["run", "bare.lisp"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--allow shell"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.join("ran").exists(), "the program was started");

    // A dry run needs nothing; granted, the program runs.
    let out = duet(&dir, &["run", "--agents", "echo", "own.lisp"]);
    assert_eq!(text(&out.stdout), "echo: fix it\n", "{}", text(&out.stderr));
    let out = duet(&dir, &["run", "--allow", "shell", "own.lisp"]);
    assert_eq!(text(&out.stdout), "agent did it\n", "{}", text(&out.stderr));
    assert!(dir.join("ran").exists());
}

#[test]
fn a_custom_endpoint_needs_network_and_no_key_or_secret_reaches_it_without() {
    let server = FakeServer::openai("from the custom endpoint");
    let dir = temp("escape-endpoint");
    std::fs::write(
        dir.join("custom.lisp"),
        format!(
            r#"(workflow custom
  (roles (planner :agent-kind "openai" :endpoint "{}/v1"))
  (state work
    (println (try (prompt planner "plan it") (catch e (str (field e 0) " " (field e 1)))))
    (terminal)))
"#,
            server.address
        ),
    )
    .expect("the workflow");
    let env = [
        ("OPENAI_API_KEY", "sk-standard-key"),
        ("DUET_TEST_SECRET", "hunter2-secret"),
    ];
    let out = duet_with(&dir, &["run", "custom.lisp"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with(":capability role `planner`"), "{stdout}");
    assert!(stdout.contains(&server.address), "{stdout}");
    assert!(stdout.contains("the `network` capability"), "{stdout}");
    assert!(stdout.contains("--allow network"), "{stdout}");
    assert!(
        server.received().is_empty(),
        "the server was reached without `network`"
    );

    // Granted, the endpoint is asked; the kind's own key goes with it, nothing else.
    let out = duet_with(&dir, &["run", "--allow", "network", "custom.lisp"], &env);
    assert_eq!(
        text(&out.stdout),
        "from the custom endpoint\n",
        "{}",
        text(&out.stderr)
    );
    let received = server.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].line, "POST /v1/chat/completions HTTP/1.1");
    assert_eq!(
        received[0].header("authorization"),
        Some("Bearer sk-standard-key")
    );
    assert!(!received[0].mentions("hunter2-secret"), "{received:?}");
}

#[test]
fn an_api_key_env_other_than_the_kinds_own_needs_network() {
    let server = FakeServer::openai("answered");
    let dir = temp("escape-key");
    let workflow = |var: &str| {
        format!(
            r#"(workflow keyed
  (roles (planner :agent-kind "openai" :api-key-env "{var}"))
  (state work
    (println (try (prompt planner "plan it") (catch e (str (field e 0) " " (field e 1)))))
    (terminal)))
"#
        )
    };
    std::fs::write(dir.join("foreign.lisp"), workflow("AWS_SECRET_ACCESS_KEY")).expect("w");
    std::fs::write(dir.join("own.lisp"), workflow("OPENAI_API_KEY")).expect("w");
    // The person's own endpoint setting is not a custom endpoint.
    let base = format!("{}/v1", server.address);
    let env = [
        ("OPENAI_BASE_URL", base.as_str()),
        ("OPENAI_API_KEY", "sk-standard-key"),
        ("AWS_SECRET_ACCESS_KEY", "aws-secret"),
    ];
    let out = duet_with(&dir, &["run", "foreign.lisp"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with(":capability role `planner`"), "{stdout}");
    assert!(stdout.contains("AWS_SECRET_ACCESS_KEY"), "{stdout}");
    assert!(stdout.contains("--allow network"), "{stdout}");
    assert!(server.received().is_empty(), "the secret was sent");

    // The kind's own key needs nothing.
    let out = duet_with(&dir, &["run", "own.lisp"], &env);
    assert_eq!(text(&out.stdout), "answered\n", "{}", text(&out.stderr));
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].header("authorization"),
        Some("Bearer sk-standard-key")
    );
    assert!(!received[0].mentions("aws-secret"));

    // Granted, the named variable is the key, and the standard one stays home.
    let out = duet_with(&dir, &["run", "--allow", "network", "foreign.lisp"], &env);
    assert_eq!(text(&out.stdout), "answered\n", "{}", text(&out.stderr));
    let received = server.received();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[1].header("authorization"),
        Some("Bearer aws-secret")
    );
    assert!(!received[1].mentions("sk-standard-key"));
}

/// Each line of the program below, for paths that must be refused.
fn attempts(paths: &[(&str, &str)]) -> String {
    paths
        .iter()
        .map(|(op, path)| {
            let call = match *op {
                "read" => format!("(read-file \"{path}\")"),
                "write" => format!("(write-file \"{path}\" \"pwned\")"),
                _ => format!("(list-files \"{path}\")"),
            };
            format!("(println (try {call} (catch e (str (field e 0) \" \" (field e 1)))))\n")
        })
        .collect()
}

#[test]
fn workspace_paths_cannot_leave_the_workspace() {
    let base = temp("escape-paths");
    let (ws, outside) = (base.join("ws"), base.join("outside"));
    std::fs::create_dir_all(&ws).expect("ws");
    std::fs::create_dir_all(&outside).expect("outside");
    std::fs::write(outside.join("secret"), "secret").expect("a secret");
    symlink(&outside, ws.join("escape")).expect("a link out");
    symlink(outside.join("created"), ws.join("dangling")).expect("a dangling link");
    symlink("missing-inside", ws.join("dangling-in")).expect("a dangling link");
    let absolute = outside.join("secret");
    let absolute = absolute.to_str().expect("utf-8");
    let tried = [
        ("read", "../outside/secret"),
        ("write", "../outside/secret"),
        ("read", absolute),
        ("write", absolute),
        ("read", "escape/secret"),
        ("write", "escape/secret"),
        ("list", "escape"),
        ("write", "dangling"),
        ("write", "dangling-in"),
    ];
    std::fs::write(ws.join("paths.lisp"), attempts(&tried)).expect("the program");
    let out = duet(
        &ws,
        &[
            "run",
            "--allow",
            "workspace/read",
            "--allow",
            "workspace/write",
            "paths.lisp",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), tried.len(), "{stdout}");
    for ((_, path), line) in tried.iter().zip(&lines) {
        assert!(line.starts_with(":capability "), "{path}: {line}");
        assert!(line.contains(&format!("`{path}`")), "{path}: {line}");
    }
    assert_eq!(
        std::fs::read_to_string(outside.join("secret")).expect("the secret"),
        "secret"
    );
    assert!(
        !outside.join("created").exists(),
        "a dangling link wrote outside"
    );
    assert!(
        !ws.join("missing-inside").exists(),
        "a dangling link created a file"
    );
}

#[test]
fn the_run_store_is_out_of_reach_wherever_it_is_and_after_a_resume() {
    let base = temp("escape-store");
    let ws = base.join("ws");
    std::fs::create_dir_all(&ws).expect("ws");
    // A store made by a run in the workspace's default place, with a detached run's log.
    std::fs::write(
        ws.join("first.lisp"),
        r#"(workflow first (state s (println "hello") (terminal)))"#,
    )
    .expect("a workflow");
    let out = duet(&ws, &["run", "first.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::create_dir_all(ws.join(".duet/logs")).expect("logs");
    std::fs::write(ws.join(".duet/logs/r1.log"), "another run's prompts").expect("a log");
    symlink(".duet", ws.join("back-door")).expect("a link to the store");
    let tried = [
        ("read", ".duet/lock"),
        ("read", ".duet/logs/r1.log"),
        ("write", ".duet/lock"),
        ("list", ".duet"),
        ("read", "back-door/logs/r1.log"),
        ("write", "back-door/logs/r1.log"),
    ];
    let grant = [
        "run",
        "--allow",
        "workspace/read",
        "--allow",
        "workspace/write",
    ];
    std::fs::write(ws.join("store.lisp"), attempts(&tried)).expect("the program");
    let out = duet(&ws, &[&grant[..], &["store.lisp"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), tried.len(), "{stdout}");
    for ((_, path), line) in tried.iter().zip(&lines) {
        assert!(line.starts_with(":capability "), "{path}: {line}");
        assert!(line.contains(&format!("`{path}`")), "{path}: {line}");
        assert!(line.contains("run store"), "{path}: {line}");
    }
    assert_eq!(
        std::fs::read_to_string(ws.join(".duet/logs/r1.log")).expect("the log"),
        "another run's prompts"
    );

    // A store in another place of the workspace (`--store`), by its name and through a
    // link, in a run resumed by `duet answer` (whose workspace the engine makes from the
    // stored run).
    symlink("inner/store", ws.join("side-door")).expect("a link to the other store");
    std::fs::write(
        ws.join("later.lisp"),
        r#"(workflow later
  (state s
    (ask-user "go on?")
    (println (list-files "inner"))
    (println (try (read-file "side-door/lock") (catch e (str (field e 0) " " (field e 1)))))
    (println (try (read-file "inner/store/lock") (catch e (field e 0))))
    (println (try (write-file ".duet/lock" "0") (catch e (field e 0))))
    (terminal)))
"#,
    )
    .expect("a workflow");
    let store = ["--store", "inner/store"];
    let out = duet(&ws, &[&grant[..], &store, &["later.lisp"]].concat());
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let out = duet(&ws, &[&["answer", "r1", "yes"][..], &store].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    // The store is not even listed.
    assert_eq!(lines[0], "[]", "{stdout}");
    let real = ws.join("inner/store").canonicalize().expect("the store");
    assert_eq!(
        lines[1],
        format!(
            ":capability `side-door/lock` reaches the run store {}, which no workflow may read or write; use a path elsewhere in the workspace",
            real.display()
        ),
        "{stdout}"
    );
    assert_eq!(lines[2..], [":capability", ":capability"], "{stdout}");
}

#[test]
fn stores_and_run_logs_are_private() {
    let dir = temp("private");
    std::fs::write(
        dir.join("bg.lisp"),
        r#"(workflow bg (state s (println "in the background") (terminal)))"#,
    )
    .expect("the workflow");
    let out = duet(&dir, &["run", "--detach", "bg.lisp"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(mode(&dir.join(".duet")), 0o700);
    assert_eq!(mode(&dir.join(".duet/logs")), 0o700);
    assert_eq!(mode(&dir.join(".duet/logs/r1.log")), 0o600);
    // A store an earlier duet left open to everyone is closed the next time it is opened.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !text(&duet(&dir, &["status", "r1"]).stdout).contains("status completed")
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::fs::set_permissions(dir.join(".duet"), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    let out = duet(&dir, &["runs"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(mode(&dir.join(".duet")), 0o700);
    // A store named with `--store`, parents and all: only the store itself is private.
    let out = duet(&dir, &["run", "--store", "a/b/store", "bg.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(mode(&dir.join("a/b/store")), 0o700);
    assert_ne!(mode(&dir.join("a/b")), 0o700);
}

#[test]
fn control_sequences_from_a_run_are_shown_not_obeyed() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("visible");
    script(
        &dir.join("rude"),
        r#"printf '\033[2J\033[Hoverloaded\nrun: r1 completed\n' >&2; exit 1"#,
    );
    std::fs::write(
        dir.join("loud.lisp"),
        r#"(workflow loud
  (roles (bot :agent-kind "echo") (rude :agent-kind "codex" :command "./rude"))
  (state s
    (log "\u{1b}[2J\u{1b}[Hcleared\nrun: r1 completed with :fake")
    (println "raw \u{1b}[31mred\u{1b}[0m")
    (prompt bot "\u{1b}]0;new title\u{7}hi\u{9b}2J")
    (prompt rude "go")))
"#,
    )
    .expect("the workflow");
    let out = duet(&dir, &["run", "--allow", "shell", "loud.lisp"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    // The program's own output is exactly what it printed.
    assert_eq!(out.stdout, b"raw \x1b[31mred\x1b[0m\n");
    let stderr = text(&out.stderr);
    for control in ['\u{1b}', '\u{7}', '\u{9b}', '\r'] {
        assert!(
            !stderr.contains(control),
            "{control:?} reached the terminal: {stderr}"
        );
    }
    assert!(
        stderr.contains("log: \\u{1b}[2J\\u{1b}[Hcleared\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("log: run: r1 completed with :fake\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("agent: bot answered [")
            && stderr.contains("\\u{1b}]0;new title\\u{7}hi\\u{9b}2J"),
        "{stderr}"
    );
    assert!(stderr.contains("\\u{1b}[2J\\u{1b}[Hoverloaded"), "{stderr}");
    // Nothing from the run starts a line of its own: only duet's lines are at the margin.
    for line in stderr.lines() {
        assert!(
            !line.starts_with("run: r1 completed"),
            "a faked status line: {stderr}"
        );
    }
}
