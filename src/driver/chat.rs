//! `duet agent chat`: a durable one-agent chat. A session is a run of a built-in workflow
//! (`chat.lisp`) with one role, `agent`, whose conversation is the chat: each message is
//! the answer to the question the run waits on, the role is prompted with it (carrying
//! every earlier exchange, LANGUAGE.md §8) and the reply printed; then the run waits for
//! the next message. Session `NAME`'s runs run workflow `chat:NAME`, so `duet runs` shows
//! them and the newest is the session's. See `docs/chat.md`.

use std::path::Path;

use duet_lang::frontend::FsLoader;
use duet_runtime::durable::{self, EventKind, NewRun, Observer, Ports, RunEvent};
use duet_runtime::effects::{Capabilities, Workspace};
use duet_runtime::workflow::RunInput;
use duet_runtime::workflow::roles;
use duet_store::{RunId, Status, Store, StoredRun};
use serde::Serialize;

use super::{Limits, Session};

/// The chat workflow's source.
pub const SOURCE: &str = include_str!("chat.lisp");

/// The role the chat's agent plays.
pub const ROLE: &str = "agent";

/// The session `duet agent chat` talks in unless `--session` names another.
pub const DEFAULT_SESSION: &str = "default";

/// The agent kind a new session is played by when neither `--agent`, `DUET_AGENT` nor the
/// store's config names one: offline.
pub const DEFAULT_KIND: &str = "echo";

/// The store's config file, in the store's directory.
pub const CONFIG: &str = "config.json";

/// The prefix of a session's workflow name.
const PREFIX: &str = "chat:";

/// The longest session name.
const NAME_MAX: usize = 64;

/// The workflow name of session `name`'s runs.
pub fn workflow_name(name: &str) -> String {
    format!("{PREFIX}{name}")
}

/// The session a run of `workflow` belongs to, if it is a chat's.
pub fn session_of(workflow: &str) -> Option<&str> {
    workflow.strip_prefix(PREFIX)
}

/// Whether `name` can name a session: 1 to 64 letters, digits, `-`, `_` or `.`; else why not.
pub fn check_name(name: &str) -> Result<(), String> {
    let fits = (1..=NAME_MAX).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    match fits {
        true => Ok(()),
        false => Err(format!(
            "`{}` cannot name a chat session: use 1 to {NAME_MAX} letters, digits, `-`, `_` or \
             `.`",
            super::visible::one_line(name)
        )),
    }
}

/// The newest run of session `name` in `store`, if it has one.
pub fn find(store: &Store, name: &str) -> Result<Option<StoredRun>, String> {
    let wanted = workflow_name(name);
    let runs = store.runs().map_err(|e| e.to_string())?;
    Ok(runs
        .into_iter()
        .filter(|run| run.workflow == wanted)
        .max_by_key(|run| run.id))
}

/// The names of the sessions in `store`, sorted.
pub fn sessions(store: &Store) -> Result<Vec<String>, String> {
    let runs = store.runs().map_err(|e| e.to_string())?;
    let mut names: Vec<String> = runs
        .iter()
        .filter_map(|run| session_of(&run.workflow).map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// Whether a run with `status` has ended: a session whose run ended starts a new one.
pub fn ended(status: &Status) -> bool {
    matches!(
        status,
        Status::Completed | Status::Failed { .. } | Status::Cancelled
    )
}

/// The agent kind playing session run `id`.
pub fn kind_of(store: &Store, id: RunId) -> Result<String, String> {
    let roles = durable::roles(store, id).map_err(|e| e.to_string())?;
    roles
        .into_iter()
        .find(|r| r.name == ROLE)
        .map(|r| r.agent.kind)
        .ok_or_else(|| format!("run {id} is not a chat: it has no role `{ROLE}`"))
}

/// The agent kind the store's config names (`{"agent": "openai"}` in `STORE/config.json`),
/// if it has a config naming one.
pub fn configured_kind(dir: &Path) -> Result<Option<String>, String> {
    let path = dir.join(CONFIG);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    #[derive(serde::Deserialize)]
    struct Config {
        agent: Option<String>,
    }
    let config: Config = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{} is not a config duet reads ({e}); it should be a JSON object such as \
             {{\"agent\": \"openai\"}}",
            path.display()
        )
    })?;
    Ok(config.agent.filter(|k| !k.is_empty()))
}

/// Creates a run of session `name`, its agent of `kind`, working in `workspace`, and reports
/// it started to `ports`; it is not followed yet. The error says why it cannot be.
pub fn create(
    store: &Store,
    name: &str,
    kind: &str,
    workspace: Workspace,
    ports: &mut Ports,
) -> Result<RunId, String> {
    let mut session = Session::new(Limits::default());
    let checked = session.check("chat.lisp", SOURCE.as_bytes(), &mut FsLoader);
    if checked.has_errors() {
        return Err("the built-in chat workflow does not check; this is a bug in duet".into());
    }
    let roles = roles::roles(
        &checked.module.workflows[0],
        &[("*".to_string(), kind.to_string())],
    )?;
    let fid = session.load(&checked);
    session
        .run(fid, &mut std::io::sink(), &mut std::io::sink())
        .map_err(|e| format!("the built-in chat workflow does not load: {e:?}"))?;
    let mut workflow = session.compile_workflow(&checked, 0);
    workflow.name = workflow_name(name);
    let new = NewRun {
        vm: session.into_vm(),
        workflow,
        roles,
        capabilities: Capabilities::default(),
        workspace,
        source: None,
        budget_microusd: None,
    };
    durable::create(store, new, Some(store.dir().display().to_string()), ports)
        .map_err(|e| format!("cannot record the chat's run: {e}"))
}

/// What following a chat's run for one message came to, gathered from its events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Heard {
    /// What the run printed: the reply, with its newline.
    pub reply: String,
    /// Why the agent's call failed, if it did (nothing was added to the conversation).
    pub agent_failed: Option<String>,
    /// An error following the run reported.
    pub error: Option<String>,
    /// How the run ended, if it did (a chat's run waits for the next message instead).
    pub ended: Option<String>,
}

impl Observer for Heard {
    fn event(&mut self, event: RunEvent) {
        match event.kind {
            EventKind::Output { text } => self.reply.push_str(&text),
            EventKind::AgentError { text, .. } => self.agent_failed = Some(text),
            EventKind::Error { message } => self.error = Some(message),
            EventKind::Ended { status, error, .. } => {
                self.ended = Some(match error {
                    Some(error) => format!("{status:?} ({error})").to_lowercase(),
                    None => format!("{status:?}").to_lowercase(),
                })
            }
            _ => {}
        }
    }
}

/// One message of a session's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Said {
    /// `user` or `agent`.
    pub from: &'static str,
    /// When it came, in milliseconds since the epoch: a message when the run took it, a
    /// reply when it arrived.
    pub at: u64,
    /// What was said.
    pub text: String,
}

/// Session run `id`'s conversation on its current branch, oldest first, each message with
/// its time: the exchanges are the run's own state (as its agent is sent them: at most the
/// newest 200), the times those of the journal's turns that brought them.
pub fn history(store: &Store, id: RunId) -> Result<Vec<Said>, String> {
    let exchanges = durable::conversation(store, id, ROLE).map_err(|e| e.to_string())?;
    let run = store.run(id).map_err(|e| e.to_string())?;
    let turns = store
        .read_turns(id, &run.current_branch, 1)
        .map_err(|partial| partial.error.to_string())?;
    // Each message (a person's answer) with when it came and when a reply to it arrived.
    let mut messages: Vec<(String, u64, Option<u64>)> = Vec::new();
    for turn in &turns {
        let input =
            durable::read_input(store, id, &run.current_branch, turn).map_err(|e| e.to_string())?;
        match input {
            RunInput::Person { text, .. } => messages.push((text, turn.at, None)),
            RunInput::Effect { result: Ok(_), .. } => {
                if let Some((_, _, replied @ None)) = messages.last_mut() {
                    *replied = Some(turn.at);
                }
            }
            _ => {}
        }
    }
    // The exchanges are the newest successful messages: match them from the end (a failed
    // call, or one still under way, is not in the conversation).
    let mut said = Vec::with_capacity(exchanges.len() * 2);
    let mut pending = messages.iter().rev();
    for exchange in exchanges.iter().rev() {
        let (asked, replied) = pending
            .by_ref()
            .find(|(text, _, _)| *text == exchange.prompt)
            .map_or((0, 0), |(_, at, replied)| (*at, replied.unwrap_or(*at)));
        said.push(Said {
            from: "agent",
            at: replied,
            text: exchange.reply.clone(),
        });
        said.push(Said {
            from: "user",
            at: asked,
            text: exchange.prompt.clone(),
        });
    }
    said.reverse();
    Ok(said)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chat_workflow_checks() {
        let mut session = Session::new(Limits::default());
        let checked = session.check("chat.lisp", SOURCE.as_bytes(), &mut FsLoader);
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        assert_eq!(checked.module.workflows.len(), 1);
        assert_eq!(checked.module.workflows[0].roles[0].name, ROLE);
    }

    #[test]
    fn session_names_are_plain() {
        assert!(check_name("default").is_ok());
        assert!(check_name("work-2.b_c").is_ok());
        for bad in ["", "a b", "a/b", "é", &"x".repeat(65)] {
            let refused = check_name(bad).unwrap_err();
            assert!(refused.contains("cannot name a chat session"), "{refused}");
        }
        assert_eq!(session_of(&workflow_name("work")), Some("work"));
        assert_eq!(session_of("sleeper"), None);
    }

    #[test]
    fn the_config_names_the_agent() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(configured_kind(dir.path()), Ok(None));
        std::fs::write(dir.path().join(CONFIG), r#"{"agent": "openai"}"#).unwrap();
        assert_eq!(configured_kind(dir.path()), Ok(Some("openai".into())));
        std::fs::write(dir.path().join(CONFIG), "agent = openai").unwrap();
        let refused = configured_kind(dir.path()).unwrap_err();
        assert!(refused.contains("is not a config duet reads"), "{refused}");
    }
}
