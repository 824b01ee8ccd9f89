//! Agents behind HTTP chat endpoints: `openai` (any OpenAI-compatible server), `anthropic`
//! (the Messages API) and `ollama` (its `/api/chat`). One request per prompt, no streaming;
//! the reply is the assistant's text.

use serde_json::{Value, json};

use super::{Agent, DRY_RUN, excerpt, failure};
use crate::effects::Failure;

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

/// The request body for `agent` asking `text`, with the model to use.
pub fn body(agent: &Agent, text: &str) -> Value {
    let model = agent
        .model
        .clone()
        .unwrap_or_else(|| service(&agent.kind).model.into());
    let mut messages = Vec::new();
    match agent.kind.as_str() {
        "anthropic" => {
            messages.push(json!({"role": "user", "content": text}));
            let mut body = json!({
                "model": model,
                "max_tokens": agent.max_tokens.unwrap_or(4096),
                "messages": messages,
            });
            if let Some(system) = &agent.system {
                body["system"] = json!(system);
            }
            if let Some(t) = agent.temperature {
                body["temperature"] = json!(t);
            }
            body
        }
        kind => {
            if let Some(system) = &agent.system {
                messages.push(json!({"role": "system", "content": system}));
            }
            messages.push(json!({"role": "user", "content": text}));
            let mut body = json!({"model": model, "messages": messages});
            if kind == "ollama" {
                body["stream"] = json!(false);
                let mut options = json!({});
                if let Some(t) = agent.temperature {
                    options["temperature"] = json!(t);
                }
                if let Some(n) = agent.max_tokens {
                    options["num_predict"] = json!(n);
                }
                body["options"] = options;
            } else {
                if let Some(t) = agent.temperature {
                    body["temperature"] = json!(t);
                }
                if let Some(n) = agent.max_tokens {
                    body["max_tokens"] = json!(n);
                }
            }
            body
        }
    }
}

/// The assistant's text in a reply of `kind`.
pub fn reply_text(kind: &str, reply: &Value) -> Option<String> {
    match kind {
        "anthropic" => {
            let blocks = reply.get("content")?.as_array()?;
            let text: Vec<&str> = blocks
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect();
            (!text.is_empty()).then(|| text.concat())
        }
        "ollama" => Some(reply.pointer("/message/content")?.as_str()?.to_string()),
        _ => Some(
            reply
                .pointer("/choices/0/message/content")?
                .as_str()?
                .to_string(),
        ),
    }
}

/// Sends the request and returns the reply's text.
pub async fn ask(role: &str, agent: &Agent, text: &str) -> Result<String, Failure> {
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
    // reqwest is built without a default TLS provider; the first call installs ring's.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .user_agent(concat!("duet/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| failure(format!("cannot make an HTTP client: {e}")))?;
    let mut request = client.post(&url).json(&body(agent, text));
    request = match (kind, key) {
        ("anthropic", Some(key)) => request
            .header("x-api-key", key)
            .header("anthropic-version", "2023-06-01"),
        ("anthropic", None) => request.header("anthropic-version", "2023-06-01"),
        (_, Some(key)) => request.bearer_auth(key),
        (_, None) => request,
    };
    let response = request.send().await.map_err(|e| {
        let why = if e.is_connect() {
            "cannot connect (is the server running and the endpoint right?)".to_string()
        } else {
            e.to_string()
        };
        failure(format!(
            "the `{kind}` agent of role `{role}` could not reach {url}: {why}; {DRY_RUN}"
        ))
    })?;
    let status = response.status();
    let raw = response.text().await.map_err(|e| {
        failure(format!(
            "the reply of {url} to role `{role}` broke off: {e}"
        ))
    })?;
    let parsed: Option<Value> = serde_json::from_str(&raw).ok();
    if !status.is_success() {
        let said = parsed
            .as_ref()
            .and_then(|v| {
                v.pointer("/error/message")
                    .or_else(|| v.get("error"))
                    .and_then(Value::as_str)
            })
            .map_or_else(|| excerpt(&raw, 400), str::to_string);
        return Err(failure(format!(
            "the `{kind}` agent of role `{role}` got HTTP {status} from {url}: {said}"
        )));
    }
    parsed
        .as_ref()
        .and_then(|v| reply_text(kind, v))
        .ok_or_else(|| {
            failure(format!(
                "the reply of {url} to role `{role}` has no text where a `{kind}` reply keeps it: {}",
                excerpt(&raw, 400)
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anthropic_bodies_carry_the_system_prompt_and_a_token_limit() {
        let agent = Agent {
            kind: "anthropic".into(),
            system: Some("terse".into()),
            ..Agent::default()
        };
        let body = body(&agent, "hi");
        assert_eq!(body["system"], "terse");
        assert_eq!(body["max_tokens"], 4096);
        assert_eq!(body["messages"][0]["content"], "hi");
    }

    #[test]
    fn replies_are_read_where_each_kind_puts_them() {
        let openai = json!({"choices": [{"message": {"content": "a"}}]});
        let anthropic =
            json!({"content": [{"type": "text", "text": "b"}, {"type": "text", "text": "c"}]});
        let ollama = json!({"message": {"content": "d"}});
        assert_eq!(reply_text("openai", &openai).as_deref(), Some("a"));
        assert_eq!(reply_text("anthropic", &anthropic).as_deref(), Some("bc"));
        assert_eq!(reply_text("ollama", &ollama).as_deref(), Some("d"));
        assert_eq!(reply_text("openai", &ollama), None);
    }

    #[test]
    fn ollama_options_go_in_their_own_object() {
        let agent = Agent {
            kind: "ollama".into(),
            temperature: Some(0.5),
            max_tokens: Some(10),
            ..Agent::default()
        };
        let body = body(&agent, "hi");
        assert_eq!(body["stream"], false);
        assert_eq!(body["options"]["num_predict"], 10);
        assert_eq!(body["model"], "llama3.2");
    }
}
