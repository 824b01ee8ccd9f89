//! The API's routes (`docs/api.md`): the router, the token check, errors and the `GET`
//! routes; the `POST` ones are in [`actions`]. Each runs the command it stands for ([`act`]) and
//! answers with its `--json` output; an error is `{"error": …, "hint": …}` in the words the
//! command would say, with a status that says what kind: 401 no or another token, 404 no
//! such run, 400 a request the command refuses, 409 a run not in a state to take it, 500 the
//! daemon failing.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use duet_runtime::durable::{self, EngineError};
use duet_store::{RunId, StoredRun};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::act::{self, Done, Following};
use super::events::EventLog;
use super::{actions, stream, token};
use crate::daemon::hub::{self, Hub};

/// What the routes share.
#[derive(Clone)]
pub struct Api {
    pub(super) hub: Arc<Hub>,
    token: Arc<str>,
    events: Arc<EventLog>,
}

impl Api {
    /// The API of `hub`, authorised by `token`, streaming from `events`.
    pub fn new(hub: Arc<Hub>, token: String, events: Arc<EventLog>) -> Api {
        Api {
            hub,
            token: token.into(),
            events,
        }
    }

    /// The directory commands run in when a request names none: the one holding the store
    /// (a project's `.duet`), else the store itself.
    pub(super) fn home(&self) -> PathBuf {
        let dir = self.hub.store().dir();
        dir.parent().unwrap_or(dir).to_path_buf()
    }

    /// Runs the command `args` for a request.
    pub(super) async fn run(&self, args: &[&str], following: Following) -> Result<Done, Failure> {
        self.run_in(self.home(), args, following).await
    }

    pub(super) async fn run_in(
        &self,
        cwd: PathBuf,
        args: &[&str],
        following: Following,
    ) -> Result<Done, Failure> {
        let args = args.iter().map(|a| a.to_string()).collect();
        act::command(self.hub.clone(), cwd, args, following)
            .await
            .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e))
    }

    /// The run named `name`, or 404 in the words of `duet status`.
    pub(super) fn find(&self, name: &str) -> Result<(RunId, StoredRun), Failure> {
        durable::find_run(self.hub.store(), name).map_err(|e| match e {
            EngineError::NoSuchRun { .. } => Failure::new(StatusCode::NOT_FOUND, e.to_string()),
            e => Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        })
    }

    /// Run `id` as `GET /v1/runs/ID` shows it.
    pub(super) async fn resource(&self, id: RunId) -> Result<Value, Failure> {
        let done = self
            .run(&["status", &id.to_string(), "--json"], Following::HandOver)
            .await?;
        match (done.code, done.json_lines().pop()) {
            (0, Some(run)) => Ok(run),
            _ => Err(Failure::of(&done, StatusCode::INTERNAL_SERVER_ERROR)),
        }
    }
}

/// The API's routes, every one behind the token.
pub fn router(api: Api) -> Router {
    Router::new()
        .route("/v1/runs", get(list).post(actions::start))
        .route("/v1/runs/{id}", get(status))
        .route("/v1/runs/{id}/history", get(history))
        .route("/v1/runs/{id}/events", get(events))
        .route(
            "/v1/runs/{id}/{action}",
            axum::routing::post(actions::act_on),
        )
        .fallback(unknown)
        .method_not_allowed_fallback(not_allowed)
        .layer(middleware::from_fn_with_state(api.clone(), authorise))
        .with_state(api)
}

/// An error, as the API answers one.
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    error: String,
    hint: String,
}

impl Failure {
    /// A failure with `status` saying `message`: the command's words, split into what went
    /// wrong and what to do — the rest after the first `; ` whose rest names a command.
    pub(super) fn new(status: StatusCode, message: impl Into<String>) -> Failure {
        let message: String = message.into();
        let split = message
            .match_indices("; ")
            .map(|(at, _)| at)
            .find(|at| message[at + 2..].contains('`'));
        let (error, hint) = match split {
            Some(at) => (message[..at].to_string(), message[at + 2..].to_string()),
            None => (message, default_hint(status).to_string()),
        };
        Failure {
            status,
            error,
            hint,
        }
    }

    /// The error of a command that did not do what it was asked: its last error, else what it
    /// said.
    pub(super) fn of(done: &Done, status: StatusCode) -> Failure {
        let message = done.error().unwrap_or_else(|| {
            format!(
                "the command exited with status {}: {}",
                done.code,
                done.err.trim()
            )
        });
        Failure::new(status, message)
    }
}

fn default_hint(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "GET /v1/runs lists the runs; docs/api.md lists the routes",
        StatusCode::METHOD_NOT_ALLOWED => "docs/api.md lists the routes and their methods",
        StatusCode::BAD_REQUEST => "docs/api.md describes each route's request",
        StatusCode::CONFLICT => "GET /v1/runs/ID shows the run's status",
        _ => "the daemon's log, STORE/logs/daemon.log, may say more",
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = axum::Json(json!({"error": self.error, "hint": self.hint}));
        if self.status == StatusCode::UNAUTHORIZED {
            return (self.status, [(header::WWW_AUTHENTICATE, "Bearer")], body).into_response();
        }
        (self.status, body).into_response()
    }
}

/// Lets through only requests that carry the daemon's token.
async fn authorise(State(api): State<Api>, request: Request, next: Next) -> Response {
    let given = request.headers().get(header::AUTHORIZATION);
    if token::authorises(given.map(|v| v.as_bytes()), &api.token) {
        return next.run(request).await;
    }
    let file = token::path(api.hub.store().dir());
    let error = match given {
        None => "the request carries no bearer token".to_string(),
        Some(_) => "the bearer token is not this daemon's".to_string(),
    };
    Failure {
        status: StatusCode::UNAUTHORIZED,
        error,
        hint: format!(
            "send `Authorization: Bearer TOKEN` with the token in {} (a new one is written each \
             time the daemon starts)",
            file.display()
        ),
    }
    .into_response()
}

async fn unknown(uri: Uri) -> Failure {
    Failure::new(
        StatusCode::NOT_FOUND,
        format!("there is no route {}", uri.path()),
    )
}

async fn not_allowed(uri: Uri) -> Failure {
    Failure::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} does not take this method", uri.path()),
    )
}

/// A JSON body as `T` (an empty body is `{}`), or 400 saying what is wrong with it.
pub(super) fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, Failure> {
    let bytes: &[u8] = if bytes.trim_ascii().is_empty() {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(bytes).map_err(|e| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            format!("the request's body is not what the route takes: {e}"),
        )
    })
}

/// `GET /v1/runs`: as `duet runs --json`, an array.
async fn list(State(api): State<Api>) -> Result<Response, Failure> {
    let done = api.run(&["runs", "--json"], Following::HandOver).await?;
    if done.code != 0 {
        return Err(Failure::of(&done, StatusCode::INTERNAL_SERVER_ERROR));
    }
    Ok(axum::Json(done.json_lines()).into_response())
}

/// `GET /v1/runs/ID`: as `duet status ID --json`.
async fn status(
    State(api): State<Api>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Result<Response, Failure> {
    let (id, _) = api.find(&name)?;
    Ok(axum::Json(api.resource(id).await?).into_response())
}

/// The query of `GET /v1/runs/ID/history`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryQuery {
    branch: Option<String>,
    limit: Option<usize>,
}

/// `GET /v1/runs/ID/history[?branch=B&limit=N]`: as `duet history ID --json`, an array.
async fn history(
    State(api): State<Api>,
    axum::extract::Path(name): axum::extract::Path<String>,
    uri: Uri,
) -> Result<Response, Failure> {
    let (id, run) = api.find(&name)?;
    let Query(query) = Query::<HistoryQuery>::try_from_uri(&uri)
        .map_err(|e| Failure::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let branch = query.branch.unwrap_or(run.current_branch);
    api.hub
        .store()
        .branch(id, &branch)
        .map_err(|e| Failure::new(StatusCode::NOT_FOUND, e.to_string()))?;
    let id = id.to_string();
    let limit = query.limit.map(|n| n.to_string());
    let mut args = vec!["history", &id, "--json", "--branch", &branch];
    if let Some(limit) = &limit {
        args.extend(["--limit", limit]);
    }
    let done = api.run(&args, Following::HandOver).await?;
    if done.code != 0 {
        return Err(Failure::of(&done, StatusCode::INTERNAL_SERVER_ERROR));
    }
    Ok(axum::Json(done.json_lines()).into_response())
}

/// `GET /v1/runs/ID/events`: its events as Server-Sent Events, after `Last-Event-ID`.
async fn events(
    State(api): State<Api>,
    axum::extract::Path(name): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let (id, run) = api.find(&name)?;
    let after = match headers.get("last-event-id") {
        None => 0,
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| {
                Failure::new(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "`Last-Event-ID: {}` is not an event id; the ids are the numbers the \
                         stream's events carry",
                        String::from_utf8_lossy(value.as_bytes())
                    ),
                )
            })?,
    };
    // A run the daemon follows ends when its follower says so; one it does not, as stored.
    let ended = hub::ended(&run.status) && !api.hub.follows(id);
    let subscription = api.events.subscribe(id, after, ended);
    let settle: stream::Settle = Box::new(move || {
        let stored = api.hub.store().run(id);
        if stored.is_ok_and(|run| hub::ended(&run.status)) && !api.hub.follows(id) {
            api.events.ended(id);
        }
    });
    Ok(stream::response(id, after, subscription, settle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_splits_into_the_error_and_what_to_do() {
        let failure = Failure::new(
            StatusCode::CONFLICT,
            "run r1 is not waiting for an answer; `duet status r1` shows what it waits for",
        );
        assert_eq!(failure.error, "run r1 is not waiting for an answer");
        assert_eq!(failure.hint, "`duet status r1` shows what it waits for");
        let plain = Failure::new(StatusCode::NOT_FOUND, "there is no route /v2");
        assert_eq!(plain.error, "there is no route /v2");
        assert_eq!(plain.hint, default_hint(StatusCode::NOT_FOUND));
        let twice = Failure::new(StatusCode::NOT_FOUND, "no r9; `duet runs` lists; `a` b");
        assert_eq!(
            (twice.error.as_str(), twice.hint.as_str()),
            ("no r9", "`duet runs` lists; `a` b")
        );
    }
}
