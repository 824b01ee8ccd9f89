//! The API's `POST` routes: `POST /v1/runs` starts a run as `duet run --detach` does, and
//! `POST /v1/runs/ID/answer|resume|back|fork|stop` act on one as the command of that name.
//! Each JSON body mirrors its command's flags (`docs/api.md`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use duet_runtime::durable::{self, EngineError};
use duet_store::RunId;
use serde::Deserialize;
use serde_json::json;

use super::act::Following;
use super::routes::{Api, Failure, body};
use crate::daemon::hub;

/// The body of `POST /v1/runs`: `duet run --detach`'s file (or its text) and flags.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    /// The workflow file, relative to the workspace.
    file: Option<PathBuf>,
    /// The workflow's source text, instead of a file.
    source: Option<String>,
    /// The run's workspace, an absolute path (default: the directory holding the store).
    workspace: Option<PathBuf>,
    workflow: Option<String>,
    #[serde(default)]
    allow: Vec<String>,
    agents: Option<String>,
    /// `--agent ROLE=KIND` for each role.
    #[serde(default)]
    agent: BTreeMap<String, String>,
    budget_usd: Option<f64>,
    max_steps: Option<u64>,
}

/// `POST /v1/runs`: starts a run in the daemon, as `duet run --detach`; 201 with the run.
pub(super) async fn start(State(api): State<Api>, bytes: Bytes) -> Result<Response, Failure> {
    let request: StartBody = body(&bytes)?;
    let workspace = match request.workspace {
        None => api.home(),
        Some(dir) if dir.is_absolute() && dir.is_dir() => dir,
        Some(dir) => {
            return Err(Failure::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "the workspace {} is not an absolute path to a directory",
                    dir.display()
                ),
            ));
        }
    };
    let file = match (request.file, request.source) {
        (Some(file), None) => file,
        (None, Some(source)) => submitted(api.hub.store().dir(), &source)?,
        _ => {
            return Err(Failure::new(
                StatusCode::BAD_REQUEST,
                "the body names the workflow by `file` (a path) or gives its `source` text: one \
                 of the two",
            ));
        }
    };
    // Read first as `duet run` reads it: a file that cannot be read is not the daemon's to
    // refuse.
    let file = workspace.join(file);
    duet_lang::frontend::read_source(&file)
        .map_err(|message| Failure::new(StatusCode::BAD_REQUEST, message))?;
    let mut args: Vec<String> = vec!["run".into(), "--detach".into(), "--json".into()];
    args.push(file.to_string_lossy().into_owned());
    let flags = [
        ("--workflow", request.workflow),
        ("--agents", request.agents),
        ("--budget-usd", request.budget_usd.map(|n| n.to_string())),
        ("--max-steps", request.max_steps.map(|n| n.to_string())),
    ];
    for (flag, value) in flags {
        if let Some(value) = value {
            args.extend([flag.to_string(), value]);
        }
    }
    for capability in request.allow {
        args.extend(["--allow".into(), capability]);
    }
    for (role, kind) in request.agent {
        args.extend(["--agent".into(), format!("{role}={kind}")]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let done = api.run_in(workspace, &args, Following::HandOver).await?;
    let started = done
        .json_lines()
        .iter()
        .find_map(|event| event["run"].as_str().and_then(|r| r.parse::<RunId>().ok()));
    match (done.code, started) {
        (3, Some(id)) => {
            let run = api.resource(id).await?;
            Ok((StatusCode::CREATED, axum::Json(run)).into_response())
        }
        (2, _) => Err(Failure::of(&done, StatusCode::BAD_REQUEST)),
        _ => Err(Failure::of(&done, StatusCode::INTERNAL_SERVER_ERROR)),
    }
}

/// Writes workflow text given in a request to `STORE/sources/HASH.lisp`, where `duet run`
/// reads it (and `--reload` finds it again).
fn submitted(store: &Path, source: &str) -> Result<PathBuf, Failure> {
    let dir = store.join("sources");
    let hash = blake3::hash(source.as_bytes()).to_hex();
    let file = dir.join(format!("{}.lisp", &hash[..16]));
    duet_store::private_dir(&dir)
        .and_then(|()| std::fs::write(&file, source))
        .map_err(|e| {
            Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot keep the workflow's text in {}: {e}", file.display()),
            )
        })?;
    Ok(file)
}

/// The body of `POST /v1/runs/ID/answer`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    text: String,
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    wait: bool,
}

/// The body of `POST /v1/runs/ID/resume`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResumeBody {
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    reload: bool,
    budget_usd: Option<f64>,
    #[serde(default)]
    wait: bool,
}

/// The body of `POST /v1/runs/ID/back`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BackBody {
    count: Option<u64>,
}

/// The body of `POST /v1/runs/ID/fork`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForkBody {
    at: u64,
    name: Option<String>,
    #[serde(default)]
    reload: bool,
}

/// The body of `POST /v1/runs/ID/stop`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StopBody {}

/// `POST /v1/runs/ID/answer|resume|back|fork|stop`: as the command of that name; the run as
/// it is then, with the command's events, what it said and its exit status.
pub(super) async fn act_on(
    State(api): State<Api>,
    axum::extract::Path((name, action)): axum::extract::Path<(String, String)>,
    bytes: Bytes,
) -> Result<Response, Failure> {
    let (id, run) = api.find(&name)?;
    let run_id = id.to_string();
    let mut args: Vec<String> = vec![action.clone(), run_id];
    let mut following = Following::HandOver;
    let mut allow = Vec::new();
    match action.as_str() {
        "answer" => {
            let request: AnswerBody = body(&bytes)?;
            if !durable::waits_for_person(&run.status) {
                let ended = hub::ended(&run.status);
                let refused = EngineError::NotWaitingForAnswer { run: id, ended };
                return Err(Failure::new(StatusCode::CONFLICT, refused.to_string()));
            }
            args.extend([request.text, "--json".into()]);
            allow = request.allow;
            following = waiting(request.wait);
        }
        "resume" => {
            let request: ResumeBody = body(&bytes)?;
            args.push("--json".into());
            if request.reload {
                args.push("--reload".into());
            }
            if let Some(usd) = request.budget_usd {
                args.extend(["--budget-usd".into(), usd.to_string()]);
            }
            allow = request.allow;
            following = waiting(request.wait);
        }
        "back" => {
            let request: BackBody = body(&bytes)?;
            args.extend(["--count".into(), request.count.unwrap_or(1).to_string()]);
        }
        "fork" => {
            let request: ForkBody = body(&bytes)?;
            args.extend(["--at".into(), request.at.to_string()]);
            if let Some(name) = request.name {
                args.extend(["--name".into(), name]);
            }
            if request.reload {
                args.push("--reload".into());
            }
        }
        "stop" => {
            let StopBody {} = body(&bytes)?;
        }
        _ => {
            return Err(Failure::new(
                StatusCode::NOT_FOUND,
                format!(
                    "there is no action `{action}`; a run takes answer, resume, back, fork and \
                     stop"
                ),
            ));
        }
    }
    if matches!(action.as_str(), "answer" | "resume") && api.hub.follows(id) {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            api.hub.followed_already(id),
        ));
    }
    for capability in allow {
        args.extend(["--allow".into(), capability]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let done = api.run(&args, following).await?;
    let error = done.error();
    let status = match (done.code, &error) {
        (0, _) => StatusCode::OK,
        (3, _) if following == Following::HandOver => StatusCode::ACCEPTED,
        (2, _) => return Err(Failure::of(&done, StatusCode::BAD_REQUEST)),
        (1, Some(_)) => return Err(Failure::of(&done, StatusCode::INTERNAL_SERVER_ERROR)),
        // The run failed, or waits again: what the command reports, not an error of the API.
        _ => StatusCode::OK,
    };
    let mut answer = json!({
        "run": api.resource(id).await?,
        "exit": done.code,
    });
    let events = done.json_lines();
    if !events.is_empty() {
        answer["events"] = json!(events);
    }
    let said = done.said();
    if !said.is_empty() {
        answer["said"] = json!(said);
    }
    Ok((status, axum::Json(answer)).into_response())
}

/// How `answer` or `resume` follows the run: to its end when the request says `wait`.
fn waiting(wait: bool) -> Following {
    if wait {
        Following::ToTheEnd
    } else {
        Following::HandOver
    }
}
