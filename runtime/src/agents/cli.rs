//! Agents that are command-line tools run as subprocesses in the workspace: `claude-code`
//! (`claude -p TEXT --output-format text`) and `codex` (`codex exec TEXT`, which prints
//! only its final message on standard output). The reply is the tool's standard output.

use std::process::Stdio;

use super::{Agent, DRY_RUN, excerpt, failure};
use crate::effects::{Failure, Workspace, process};

/// The command line for `agent`: the program and its arguments.
pub fn command_line(agent: &Agent, text: &str) -> (String, Vec<String>) {
    let mut args: Vec<String> = Vec::new();
    let program = match agent.kind.as_str() {
        "codex" => {
            args.extend(["exec".into(), "--skip-git-repo-check".into()]);
            if let Some(model) = &agent.model {
                args.extend(["--model".into(), model.clone()]);
            }
            "codex"
        }
        _ => {
            args.extend(["-p".into(), "--output-format".into(), "text".into()]);
            if let Some(model) = &agent.model {
                args.extend(["--model".into(), model.clone()]);
            }
            if let Some(system) = &agent.system {
                args.extend(["--append-system-prompt".into(), system.clone()]);
            }
            if !agent.tools.is_empty() {
                args.extend(["--allowedTools".into(), agent.tools.join(",")]);
            }
            "claude"
        }
    };
    args.extend(agent.args.iter().cloned());
    // The prompt goes last, after `--`, so a prompt starting with `-` is never an option.
    args.extend(["--".into(), text.into()]);
    (
        agent.command.clone().unwrap_or_else(|| program.into()),
        args,
    )
}

/// Runs the tool and returns what it printed.
pub async fn ask(
    role: &str,
    agent: &Agent,
    text: &str,
    workspace: &Workspace,
) -> Result<String, Failure> {
    let (program, args) = command_line(agent, text);
    let dir = match &agent.cwd {
        Some(dir) => workspace.directory(dir).map_err(|e| Failure {
            kind: e.kind,
            message: format!("the `:cwd` of role `{role}` is not usable: {}", e.message),
        })?,
        None => workspace.root().to_path_buf(),
    };
    let mut command = tokio::process::Command::new(&program);
    command
        .args(&args)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Killed with everything it started if the call is withdrawn or times out.
    let (child, group) = match process::spawn(&mut command) {
        Ok(spawned) => spawned,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(failure(format!(
                "the role `{role}` is played by a `{}` agent, but the `{program}` command is not installed (not found on PATH); install it, name another program with the role's `:command`, or {DRY_RUN}",
                agent.kind
            )));
        }
        Err(e) => {
            return Err(failure(format!(
                "cannot start `{program}` for role `{role}`: {e}; {DRY_RUN}"
            )));
        }
    };
    let output = child
        .wait_with_output()
        .await
        .map_err(|e| failure(format!("`{program}` for role `{role}` failed: {e}")))?;
    group.finished();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let status = match output.status.code() {
            Some(code) => format!("exit status {code}"),
            None => "a signal".to_string(),
        };
        return Err(failure(format!(
            "`{program}` for role `{role}` ended with {status}: {}",
            excerpt(
                if stderr.trim().is_empty() {
                    &stdout
                } else {
                    &stderr
                },
                600
            )
        )));
    }
    Ok(stdout.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_gets_its_options_and_the_prompt_last() {
        let agent = Agent {
            kind: "claude-code".into(),
            model: Some("opus".into()),
            system: Some("be brief".into()),
            tools: vec!["Read".into(), "Edit".into()],
            ..Agent::default()
        };
        let (program, args) = command_line(&agent, "-plan it");
        assert_eq!(program, "claude");
        assert_eq!(
            args,
            [
                "-p",
                "--output-format",
                "text",
                "--model",
                "opus",
                "--append-system-prompt",
                "be brief",
                "--allowedTools",
                "Read,Edit",
                "--",
                "-plan it"
            ]
        );
    }

    #[test]
    fn codex_runs_exec_and_a_custom_command_replaces_the_program() {
        let agent = Agent {
            kind: "codex".into(),
            command: Some("/opt/codex".into()),
            args: vec!["--sandbox".into(), "workspace-write".into()],
            ..Agent::default()
        };
        let (program, args) = command_line(&agent, "fix it");
        assert_eq!(program, "/opt/codex");
        assert_eq!(
            args,
            [
                "exec",
                "--skip-git-repo-check",
                "--sandbox",
                "workspace-write",
                "--",
                "fix it"
            ]
        );
    }
}
