//! Agents behind HTTP chat endpoints: `openai` (any OpenAI-compatible server), `anthropic`
//! (the Messages API) and `ollama` (its `/api/chat`). Every request asks for a stream —
//! Server-Sent Events from OpenAI-compatible servers and Anthropic, one JSON object a line
//! from Ollama — and the pieces go out as notes while the reply is put together
//! ([`super::replies`]); a server that answers with one JSON object instead is read whole.
//!
//! A rate limit (429), a server error (5xx, Anthropic's 529 included), an error an Anthropic
//! stream calls passing (`overloaded_error`), or a connection that drops before the reply is
//! whole is tried again, up to the role's `:retries` times: after the server's
//! `Retry-After` (or `retry-after-ms`) when it gives one, else after an exponential backoff
//! with jitter ([`Policy`]). Each retry is a [`Note::Retry`]; a call that fails every
//! attempt names each attempt's cause. A server that cannot be reached at all, a missing
//! key, any other HTTP error, a malformed stream and a stall fail at once.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde_json::{Value, json};

use super::replies::{Assembly, Dialect, Problem, Tokens};
use super::stream::{Lines, Sse};
use super::{
    Agent, DEFAULT_RETRIES, DRY_RUN, Exchange, Note, Notes, Policy, Question, Reply, excerpt,
    failure, schema, stalled,
};
use crate::effects::Failure;

pub use super::replies::reply_text;

/// Where a kind's requests go, the environment variable with its key, and the model it
/// uses when the role names none.
struct Service {
    endpoint: String,
    path: &'static str,
    key_env: Option<&'static str>,
    model: &'static str,
}

fn service(kind: &str) -> Service {
    match kind {
        "anthropic" => Service {
            endpoint: "https://api.anthropic.com".into(),
            path: "/v1/messages",
            key_env: standard_key("anthropic"),
            model: "claude-sonnet-4-5",
        },
        "ollama" => Service {
            endpoint: std::env::var("OLLAMA_HOST")
                .ok()
                .filter(|h| !h.is_empty())
                .map(|h| {
                    if h.contains("://") {
                        h
                    } else {
                        format!("http://{h}")
                    }
                })
                .unwrap_or_else(|| "http://localhost:11434".into()),
            path: "/api/chat",
            key_env: None,
            model: "llama3.2",
        },
        _ => Service {
            endpoint: std::env::var("OPENAI_BASE_URL")
                .ok()
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "https://api.openai.com/v1".into()),
            path: "/chat/completions",
            key_env: standard_key("openai"),
            model: "gpt-4o-mini",
        },
    }
}

/// The environment variable holding the API key of `kind`, if the kind has one: the only
/// variable a role may send without the `network` capability.
pub fn standard_key(kind: &str) -> Option<&'static str> {
    match kind {
        "openai" => Some("OPENAI_API_KEY"),
        "anthropic" => Some("ANTHROPIC_API_KEY"),
        _ => None,
    }
}

/// Whether `schema` describes a JSON object: what OpenAI's `response_format` and
/// Anthropic's tool input take.
fn object_schema(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(types)) => types == &[json!("object")],
        _ => false,
    }
}

/// The name of the tool whose input is an Anthropic reply with a schema.
const REPLY_TOOL: &str = "reply";

/// The streaming request body for `agent` asking `text`; a `schema` goes as the kind's
/// structured output where it has one for it, else as an instruction after the text.
pub fn body(agent: &Agent, conversation: &[Exchange], text: &str, schema: Option<&Value>) -> Value {
    let model = agent
        .model
        .clone()
        .unwrap_or_else(|| service(&agent.kind).model.into());
    let dialect = Dialect::of(&agent.kind);
    let native = schema.filter(|s| dialect == Dialect::Ollama || object_schema(s));
    let text = match (schema, native) {
        (Some(schema), None) => format!("{text}{}", schema::instruction(schema)),
        _ => text.to_string(),
    };
    match dialect {
        Dialect::Anthropic => {
            let mut body = json!({
                "model": model,
                "max_tokens": agent.max_tokens.unwrap_or(4096),
                "messages": messages(conversation, None, &text),
                "stream": true,
            });
            if let Some(system) = &agent.system {
                body["system"] = json!(system);
            }
            if let Some(t) = agent.temperature {
                body["temperature"] = json!(t);
            }
            if let Some(schema) = native {
                body["tools"] = json!([{
                    "name": REPLY_TOOL,
                    "description": "Give your answer as this tool's input.",
                    "input_schema": schema,
                }]);
                body["tool_choice"] = json!({"type": "tool", "name": REPLY_TOOL});
            }
            body
        }
        dialect => {
            let messages = messages(conversation, agent.system.as_deref(), &text);
            let mut body = json!({"model": model, "messages": messages, "stream": true});
            if dialect == Dialect::OpenAi {
                // The last chunk then says how many tokens the call used.
                body["stream_options"] = json!({"include_usage": true});
            }
            if dialect == Dialect::Ollama {
                let mut options = json!({});
                if let Some(t) = agent.temperature {
                    options["temperature"] = json!(t);
                }
                if let Some(n) = agent.max_tokens {
                    options["num_predict"] = json!(n);
                }
                body["options"] = options;
                if let Some(schema) = native {
                    body["format"] = schema.clone();
                }
            } else {
                if let Some(t) = agent.temperature {
                    body["temperature"] = json!(t);
                }
                if let Some(n) = agent.max_tokens {
                    body["max_tokens"] = json!(n);
                }
                if let Some(schema) = native {
                    body["response_format"] = json!({
                        "type": "json_schema",
                        "json_schema": {"name": REPLY_TOOL, "schema": schema, "strict": false},
                    });
                }
            }
            body
        }
    }
}

/// The chat messages of a call: the system prompt (for kinds that send it as a message),
/// the conversation's exchanges in turn, then `text`.
fn messages(conversation: &[Exchange], system: Option<&str>, text: &str) -> Vec<Value> {
    let system = system.map(|s| json!({"role": "system", "content": s}));
    let exchanges = conversation.iter().flat_map(|e| {
        [
            json!({"role": "user", "content": e.prompt}),
            json!({"role": "assistant", "content": e.reply}),
        ]
    });
    system
        .into_iter()
        .chain(exchanges)
        .chain(std::iter::once(json!({"role": "user", "content": text})))
        .collect()
}

/// Where a call goes and with which key.
struct Target<'q> {
    question: &'q Question<'q>,
    url: String,
    key: Option<String>,
    /// The model asked for.
    model: String,
}

impl Target<'_> {
    /// The reply a stream added up to, with the tokens it named.
    fn reply(&self, assembly: &Assembly) -> Reply {
        Reply {
            text: assembly.reply(),
            session: None,
            usage: assembly.tokens().usage(self.kind(), &self.model),
        }
    }

    fn kind(&self) -> &str {
        &self.question.agent.kind
    }

    fn role(&self) -> &str {
        self.question.role
    }
}

/// How one attempt ended, when it brought no reply.
enum Missed {
    /// Trying again will not help: the call fails with this.
    Fail(Failure),
    /// Trying again may: why this attempt failed, and when the server said to come back.
    Retry {
        cause: String,
        after: Option<Duration>,
    },
}

/// Sends the request, trying again as the role's `:retries` allow, and returns the reply.
pub async fn ask(
    question: &Question<'_>,
    notes: &Notes,
    policy: &Policy,
) -> Result<Reply, Failure> {
    let Question { role, agent, .. } = *question;
    let kind = agent.kind.as_str();
    let service = service(kind);
    let custom_endpoint = agent.endpoint.is_some();
    let endpoint = agent.endpoint.clone().unwrap_or(service.endpoint);
    let url = format!("{}{}", endpoint.trim_end_matches('/'), service.path);
    let key_env = agent.api_key_env.as_deref().or(service.key_env);
    let key = match key_env {
        Some(var) => match std::env::var(var) {
            Ok(key) if !key.is_empty() => Some(key),
            // A self-hosted OpenAI-compatible server usually needs no key.
            _ if custom_endpoint && agent.api_key_env.is_none() => None,
            _ => {
                return Err(failure(format!(
                    "the role `{role}` is played by an `{kind}` agent, but the environment variable {var} that holds its API key is not set; set it, name another variable with the role's `:api-key-env`, or {DRY_RUN}"
                )));
            }
        },
        None => None,
    };
    let model = agent.model.clone().unwrap_or_else(|| service.model.into());
    let target = Target {
        question,
        url,
        key,
        model,
    };
    let client = client()?;
    let body = body(agent, question.conversation, question.text, question.schema);
    let retries = agent.retries.unwrap_or(DEFAULT_RETRIES);
    let mut causes: Vec<String> = Vec::new();
    for attempt in 1..=retries.saturating_add(1) {
        match once(&client, &target, &body, notes, policy).await {
            Ok(reply) => return Ok(reply),
            Err(Missed::Fail(mut failed)) => {
                if !causes.is_empty() {
                    failed.message =
                        format!("{} (before that: {})", failed.message, numbered(&causes));
                }
                return Err(failed);
            }
            Err(Missed::Retry { cause, after }) => {
                causes.push(cause.clone());
                if attempt > retries {
                    break;
                }
                let delay = after.unwrap_or_else(|| backoff(policy, attempt));
                notes.send(Note::Retry {
                    attempt: attempt + 1,
                    delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    reason: cause,
                });
                tokio::time::sleep(delay).await;
            }
        }
    }
    let tries = match causes.len() {
        1 => "its only attempt".to_string(),
        n => format!("all {n} attempts"),
    };
    Err(failure(format!(
        "the `{kind}` agent of role `{role}` failed {tries} at {}: {}; try again later, give the role more `:retries` (it has {retries}), or {DRY_RUN}",
        target.url,
        numbered(&causes)
    )))
}

/// `causes` as `attempt 1: …; attempt 2: …`.
fn numbered(causes: &[String]) -> String {
    causes
        .iter()
        .enumerate()
        .map(|(i, cause)| format!("attempt {}: {cause}", i + 1))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The delay before retry number `retry` (1 for the first) without a `Retry-After`: the
/// policy's backoff doubled for each retry before it, at most its maximum, less a random
/// part of up to half (so clients that failed together do not come back together). The
/// randomness never reaches the journal.
fn backoff(policy: &Policy, retry: u32) -> Duration {
    let doubled = policy
        .backoff
        .saturating_mul(1u32 << retry.saturating_sub(1).min(20))
        .min(policy.backoff_max);
    let half = u64::try_from(doubled.as_millis() / 2).unwrap_or(u64::MAX);
    let jitter = match half {
        0 => 0,
        half => getrandom::u64().unwrap_or(0) % (half + 1),
    };
    doubled.saturating_sub(Duration::from_millis(jitter))
}

/// How long the server asked to wait: `retry-after-ms` (milliseconds, OpenAI), or
/// `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = header("retry-after")?;
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let at = http_date(value)?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    Some(Duration::from_secs(at.saturating_sub(now).max(0) as u64))
}

/// Seconds since the epoch of an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn http_date(text: &str) -> Option<i64> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as i64
        + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

/// The HTTP client: one per tokio runtime, so the calls of a run share connections
/// (a client's pooled connections live on the runtime that made them).
fn client() -> Result<reqwest::Client, Failure> {
    static CLIENT: std::sync::Mutex<Option<(tokio::runtime::Id, reqwest::Client)>> =
        std::sync::Mutex::new(None);
    let runtime = tokio::runtime::Handle::current().id();
    let mut cached = CLIENT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((id, client)) = cached.as_ref()
        && *id == runtime
    {
        return Ok(client.clone());
    }
    // reqwest is built without a default TLS provider; the first call installs ring's.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .user_agent(concat!("duet/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| failure(format!("cannot make an HTTP client: {e}")))?;
    *cached = Some((runtime, client.clone()));
    Ok(client)
}

/// How a reply's body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// Server-Sent Events.
    Sse,
    /// One JSON object a line.
    Lines,
    /// One JSON object: a server that does not stream.
    Whole,
}

/// One attempt: the request sent, the reply read as it streams.
async fn once(
    client: &reqwest::Client,
    target: &Target<'_>,
    body: &Value,
    notes: &Notes,
    policy: &Policy,
) -> Result<Reply, Missed> {
    let (kind, role, url) = (target.kind(), target.role(), target.url.as_str());
    let mut request = client.post(url).json(body);
    request = match (kind, &target.key) {
        ("anthropic", Some(key)) => request
            .header("x-api-key", key)
            .header("anthropic-version", "2023-06-01"),
        ("anthropic", None) => request.header("anthropic-version", "2023-06-01"),
        (_, Some(key)) => request.bearer_auth(key),
        (_, None) => request,
    };
    let stall = |pieces| Missed::Fail(stalled(target.question, url, policy, pieces));
    let mut response = match tokio::time::timeout(policy.stall, request.send()).await {
        Err(_) => return Err(stall(0)),
        Ok(Ok(response)) => response,
        // Nothing listens there, or no such host: trying again will not change that.
        Ok(Err(e)) if e.is_connect() => {
            return Err(Missed::Fail(failure(format!(
                "the `{kind}` agent of role `{role}` could not reach {url}: cannot connect (is the server running and the endpoint right?); {DRY_RUN}"
            ))));
        }
        Ok(Err(e)) => {
            return Err(Missed::Retry {
                cause: format!("the request failed: {}", error_chain(&e)),
                after: None,
            });
        }
    };
    let status = response.status();
    if !status.is_success() {
        let after = retry_after(response.headers());
        let mut raw = Vec::new();
        while let Ok(Ok(Some(chunk))) = tokio::time::timeout(policy.stall, response.chunk()).await {
            raw.extend_from_slice(&chunk);
        }
        let raw = String::from_utf8_lossy(&raw);
        let said = serde_json::from_str::<Value>(&raw)
            .ok()
            .and_then(|v| {
                v.pointer("/error/message")
                    .or_else(|| v.get("error"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| excerpt(&raw, 400));
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(Missed::Retry {
                cause: format!("HTTP {status}: {}", excerpt(&said, 200)),
                after,
            });
        }
        return Err(Missed::Fail(failure(format!(
            "the `{kind}` agent of role `{role}` got HTTP {status} from {url}: {said}"
        ))));
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let dialect = Dialect::of(kind);
    let framing = if content_type.contains("event-stream") {
        Framing::Sse
    } else if content_type.contains("ndjson")
        || (dialect == Dialect::Ollama && !content_type.contains("json"))
    {
        Framing::Lines
    } else {
        Framing::Whole
    };
    let mut assembly = Assembly::new(dialect);
    let (mut sse, mut lines, mut whole) = (Sse::default(), Lines::default(), Vec::new());
    let malformed = |why: String| {
        Missed::Fail(failure(format!(
            "the `{kind}` agent of role `{role}` got a malformed stream from {url}: {why}; is the endpoint a `{kind}` server?"
        )))
    };
    let take = |assembly: &mut Assembly, data: &str| match assembly.take(data) {
        Ok(Some(piece)) => {
            notes.send(Note::Delta(piece));
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(Problem::Malformed(why)) => Err(malformed(why)),
        Err(Problem::Server { message, retry }) if retry => Err(Missed::Retry {
            cause: format!("the stream reported {}", excerpt(&message, 200)),
            after: None,
        }),
        Err(Problem::Server { message, .. }) => Err(Missed::Fail(failure(format!(
            "the `{kind}` agent of role `{role}` was told by {url}: {message}"
        )))),
    };
    loop {
        let chunk = match tokio::time::timeout(policy.stall, response.chunk()).await {
            Err(_) => return Err(stall(assembly.pieces())),
            Ok(Err(e)) => {
                return Err(Missed::Retry {
                    cause: format!(
                        "the connection dropped after {} pieces of the reply: {}",
                        assembly.pieces(),
                        error_chain(&e)
                    ),
                    after: None,
                });
            }
            Ok(Ok(None)) => break,
            Ok(Ok(Some(chunk))) => chunk,
        };
        match framing {
            Framing::Sse => {
                for event in sse.feed(&chunk) {
                    take(&mut assembly, &event.data)?;
                }
            }
            Framing::Lines => {
                for line in lines.feed(&chunk) {
                    take(&mut assembly, &line)?;
                }
            }
            Framing::Whole => whole.extend_from_slice(&chunk),
        }
        if assembly.done() {
            // The stream's own end: no need to wait for the server to close it.
            return Ok(target.reply(&assembly));
        }
    }
    match framing {
        Framing::Sse => {
            if let Some(event) = sse.finish() {
                take(&mut assembly, &event.data)?;
            }
        }
        Framing::Lines => {
            if let Some(line) = lines.finish() {
                take(&mut assembly, &line)?;
            }
        }
        Framing::Whole => {
            let raw = String::from_utf8_lossy(&whole);
            let json = serde_json::from_str::<Value>(&raw).ok();
            let reply = json
                .as_ref()
                .and_then(|v| reply_text(kind, v))
                .ok_or_else(|| {
                    Missed::Fail(failure(format!(
                        "the reply of {url} to role `{role}` has no text where a `{kind}` reply keeps it: {}",
                        excerpt(&raw, 400)
                    )))
                })?;
            notes.send(Note::Delta(reply.clone()));
            let tokens = json.map(|v| Tokens::of(dialect, &v)).unwrap_or_default();
            return Ok(Reply {
                text: reply,
                session: None,
                usage: tokens.usage(kind, &target.model),
            });
        }
    }
    if assembly.complete() {
        return Ok(target.reply(&assembly));
    }
    Err(Missed::Retry {
        cause: format!(
            "the stream ended after {} pieces of the reply, before its end",
            assembly.pieces()
        ),
        after: None,
    })
}

/// An HTTP error with its causes (reqwest's own message is often just "error sending
/// request").
fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text = format!("{text}: {said}");
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conversation_goes_before_the_prompt_as_turns_of_user_and_assistant() {
        let earlier = [Exchange {
            prompt: "plan it".into(),
            reply: "the plan".into(),
            session: None,
        }];
        for kind in ["openai", "ollama", "anthropic"] {
            let agent = Agent {
                kind: kind.into(),
                system: Some("terse".into()),
                ..Agent::default()
            };
            let body = body(&agent, &earlier, "now build it", None);
            let turns: Vec<(String, String)> = body["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    let text = |k: &str| m[k].as_str().unwrap().to_string();
                    (text("role"), text("content"))
                })
                .collect();
            let mut expected = vec![
                ("user".to_string(), "plan it".to_string()),
                ("assistant".into(), "the plan".into()),
                ("user".into(), "now build it".into()),
            ];
            if kind != "anthropic" {
                expected.insert(0, ("system".into(), "terse".into()));
            }
            assert_eq!(turns, expected, "{kind}");
        }
    }

    #[test]
    fn anthropic_bodies_carry_the_system_prompt_a_token_limit_and_stream() {
        let agent = Agent {
            kind: "anthropic".into(),
            system: Some("terse".into()),
            ..Agent::default()
        };
        let body = body(&agent, &[], "hi", None);
        assert_eq!(body["system"], "terse");
        assert_eq!(body["max_tokens"], 4096);
        assert_eq!(body["messages"][0]["content"], "hi");
        assert_eq!(body["stream"], true);
    }

    #[test]
    fn ollama_options_go_in_their_own_object() {
        let agent = Agent {
            kind: "ollama".into(),
            temperature: Some(0.5),
            max_tokens: Some(10),
            ..Agent::default()
        };
        let body = body(&agent, &[], "hi", None);
        assert_eq!(body["stream"], true);
        assert_eq!(body["options"]["num_predict"], 10);
        assert_eq!(body["model"], "llama3.2");
    }

    #[test]
    fn schemas_use_structured_output_where_the_kind_has_it() {
        let object = json!({"type": "object", "required": ["a"]});
        let list = json!({"type": "array"});
        let kind = |kind: &str| Agent {
            kind: kind.into(),
            ..Agent::default()
        };
        let openai = body(&kind("openai"), &[], "hi", Some(&object));
        assert_eq!(openai["response_format"]["type"], "json_schema");
        assert_eq!(openai["response_format"]["json_schema"]["schema"], object);
        assert_eq!(openai["messages"][0]["content"], "hi");
        let anthropic = body(&kind("anthropic"), &[], "hi", Some(&object));
        assert_eq!(anthropic["tools"][0]["input_schema"], object);
        assert_eq!(anthropic["tool_choice"]["name"], "reply");
        let ollama = body(&kind("ollama"), &[], "hi", Some(&list));
        assert_eq!(ollama["format"], list);
        // Not an object: OpenAI and Anthropic are told in the prompt instead.
        let openai = body(&kind("openai"), &[], "hi", Some(&list));
        assert!(openai.get("response_format").is_none());
        let text = openai["messages"][0]["content"].as_str().unwrap();
        assert!(
            text.starts_with("hi") && text.contains("JSON Schema"),
            "{text}"
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_its_maximum() {
        let policy = Policy {
            backoff: Duration::from_millis(100),
            backoff_max: Duration::from_millis(350),
            ..Policy::default()
        };
        for _ in 0..50 {
            let first = backoff(&policy, 1).as_millis();
            let second = backoff(&policy, 2).as_millis();
            let late = backoff(&policy, 30).as_millis();
            assert!((50..=100).contains(&first), "{first}");
            assert!((100..=200).contains(&second), "{second}");
            assert!((175..=350).contains(&late), "{late}");
        }
    }

    #[test]
    fn retry_after_is_read_in_seconds_milliseconds_or_as_a_date() {
        let headers = |pairs: &[(&'static str, &str)]| {
            let mut map = HeaderMap::new();
            for (k, v) in pairs {
                map.insert(*k, v.parse().unwrap());
            }
            map
        };
        assert_eq!(
            retry_after(&headers(&[("retry-after", "2")])),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "0")])),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "250"), ("retry-after", "9")])),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(&headers(&[(
                "retry-after",
                "Sun, 06 Nov 1994 08:49:37 GMT"
            )])),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(
            http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
    }
}
