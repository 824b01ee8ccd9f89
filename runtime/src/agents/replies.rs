//! Replies of the HTTP kinds, whole or streamed: where each dialect keeps the assistant's
//! text, and how its stream of pieces adds up to it.
//!
//! - OpenAI-compatible (`openai`): SSE `data:` chunks whose `choices[0].delta.content` are
//!   the pieces, then `data: [DONE]`; an `error` object in a chunk is the server's error.
//! - Anthropic (`anthropic`): SSE events typed by their `type` — `content_block_start`,
//!   `content_block_delta` (`text_delta` text, or `input_json_delta` JSON of a tool's input,
//!   which is the reply when a schema was asked for as a tool), `message_stop` at the end,
//!   `ping` at any time, `error` in the stream (`overloaded_error` is worth a retry).
//! - Ollama (`ollama`): one JSON object a line, `message.content` the pieces, `done: true`
//!   on the last; an `error` field is the server's error.
//!
//! Token counts ([`Tokens`]) come where each dialect puts them: OpenAI's `usage` (the last
//! chunk, when the request asks for it with `stream_options.include_usage`), Anthropic's
//! `message_start` (input) and `message_delta` (output), Ollama's last line
//! (`prompt_eval_count`, `eval_count`); whole replies carry the same fields.

use serde_json::Value;

use super::{Usage, excerpt};

/// The model and token counts a reply or a piece of one gave, each when it gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Tokens {
    model: Option<String>,
    input: Option<u64>,
    output: Option<u64>,
    cached: Option<u64>,
}

impl Tokens {
    /// What `json` (a piece of a reply, or a whole one) of `dialect` says.
    pub(crate) fn of(dialect: Dialect, json: &Value) -> Tokens {
        let count = |pointer: &str| json.pointer(pointer).and_then(Value::as_u64);
        let model = json
            .get("model")
            .or_else(|| json.pointer("/message/model"))
            .and_then(Value::as_str)
            .map(str::to_string);
        match dialect {
            Dialect::OpenAi => Tokens {
                model,
                input: count("/usage/prompt_tokens"),
                output: count("/usage/completion_tokens"),
                cached: count("/usage/prompt_tokens_details/cached_tokens"),
            },
            Dialect::Anthropic => {
                // `message_start` has them under `message`; `message_delta` and whole
                // replies at the top. Anthropic's input excludes what the cache served.
                let usage = json.pointer("/message/usage").or_else(|| json.get("usage"));
                let field = |name: &str| usage.and_then(|u| u.get(name)).and_then(Value::as_u64);
                let cached = field("cache_read_input_tokens");
                let input = field("input_tokens").map(|n| {
                    n + cached.unwrap_or(0) + field("cache_creation_input_tokens").unwrap_or(0)
                });
                Tokens {
                    model,
                    input,
                    output: field("output_tokens"),
                    cached,
                }
            }
            Dialect::Ollama => Tokens {
                model,
                input: count("/prompt_eval_count"),
                output: count("/eval_count"),
                cached: None,
            },
        }
    }

    /// These counts, with `later`'s where it has them.
    fn merge(&mut self, later: Tokens) {
        self.model = later.model.or(self.model.take());
        self.input = later.input.or(self.input);
        self.output = later.output.or(self.output);
        self.cached = later.cached.or(self.cached);
    }

    /// The usage of a call to `kind` that asked for `model`, when any count came.
    pub(crate) fn usage(&self, kind: &str, model: &str) -> Option<Usage> {
        if self.input.is_none() && self.output.is_none() {
            return None;
        }
        let model = self.model.as_deref().unwrap_or(model);
        let counts = (
            self.input.unwrap_or(0),
            self.output.unwrap_or(0),
            self.cached.unwrap_or(0),
        );
        Some(Usage::new(kind, model, counts, None))
    }
}

/// The dialect an HTTP kind speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// OpenAI chat completions.
    OpenAi,
    /// Anthropic messages.
    Anthropic,
    /// Ollama's `/api/chat`.
    Ollama,
}

impl Dialect {
    /// The dialect of agent kind `kind`.
    pub(crate) fn of(kind: &str) -> Dialect {
        match kind {
            "anthropic" => Dialect::Anthropic,
            "ollama" => Dialect::Ollama,
            _ => Dialect::OpenAi,
        }
    }
}

/// Why a piece of a stream could not be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// It is not what the dialect sends: why, and the piece (cut short) quoted.
    Malformed(String),
    /// The server reported an error inside the stream; `retry` when trying again may help.
    Server {
        /// What it said.
        message: String,
        /// Whether the error is one that passes (an overloaded server).
        retry: bool,
    },
}

/// A reply being put together from the pieces of a stream.
#[derive(Debug)]
pub(crate) struct Assembly {
    dialect: Dialect,
    text: String,
    /// A tool's input, as JSON text (Anthropic, when the schema went as a tool).
    tool: Option<String>,
    pieces: usize,
    /// The stream said it was finished (`finish_reason` of OpenAI).
    finished: bool,
    /// The stream's own end marker came (`[DONE]`, `message_stop`, `done: true`).
    done: bool,
    /// The model and tokens the pieces named.
    tokens: Tokens,
}

impl Assembly {
    /// An empty reply in `dialect`.
    pub(crate) fn new(dialect: Dialect) -> Assembly {
        Assembly {
            dialect,
            text: String::new(),
            tool: None,
            pieces: 0,
            finished: false,
            done: false,
            tokens: Tokens::default(),
        }
    }

    /// The model and tokens the pieces so far named.
    pub(crate) fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// How many pieces have come.
    pub(crate) fn pieces(&self) -> usize {
        self.pieces
    }

    /// Whether the stream's end marker came: nothing more is to be read.
    pub(crate) fn done(&self) -> bool {
        self.done
    }

    /// Whether the reply is whole: its end marker came, or (OpenAI servers that close
    /// without `[DONE]`) it said why it finished.
    pub(crate) fn complete(&self) -> bool {
        self.done || self.finished
    }

    /// The reply: a tool's input when one was given, else the text.
    pub(crate) fn reply(&self) -> String {
        match &self.tool {
            Some(input) if !input.trim().is_empty() => input.clone(),
            _ => self.text.clone(),
        }
    }

    /// Takes one SSE event's data (OpenAI, Anthropic) or one line (Ollama); returns the
    /// piece of the reply it carries, if any.
    pub(crate) fn take(&mut self, data: &str) -> Result<Option<String>, Problem> {
        if data.trim().is_empty() {
            return Ok(None);
        }
        if self.dialect == Dialect::OpenAi && data.trim() == "[DONE]" {
            self.done = true;
            return Ok(None);
        }
        let json: Value = serde_json::from_str(data).map_err(|e| {
            Problem::Malformed(format!("a piece is not JSON ({e}): {}", excerpt(data, 200)))
        })?;
        self.tokens.merge(Tokens::of(self.dialect, &json));
        let piece = match self.dialect {
            Dialect::OpenAi => self.openai(&json, data)?,
            Dialect::Anthropic => self.anthropic(&json, data)?,
            Dialect::Ollama => self.ollama(&json, data)?,
        };
        Ok(piece
            .filter(|p| !p.is_empty())
            .inspect(|_| self.pieces += 1))
    }

    fn openai(&mut self, json: &Value, data: &str) -> Result<Option<String>, Problem> {
        if let Some(error) = json.get("error") {
            return Err(Problem::Server {
                message: error_message(error, data),
                retry: false,
            });
        }
        let Some(choice) = json.pointer("/choices/0") else {
            // A usage chunk, or a server's own extra: nothing of the reply.
            if json.get("choices").is_some() || json.get("object").is_some() {
                return Ok(None);
            }
            return Err(Problem::Malformed(format!(
                "a piece has no `choices`: {}",
                excerpt(data, 200)
            )));
        };
        if choice.get("finish_reason").is_some_and(|r| !r.is_null()) {
            self.finished = true;
        }
        let piece = choice
            .pointer("/delta/content")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(piece) = &piece {
            self.text.push_str(piece);
        }
        Ok(piece)
    }

    fn anthropic(&mut self, json: &Value, data: &str) -> Result<Option<String>, Problem> {
        let Some(kind) = json.get("type").and_then(Value::as_str) else {
            return Err(Problem::Malformed(format!(
                "an event has no `type`: {}",
                excerpt(data, 200)
            )));
        };
        match kind {
            "content_block_start" => {
                let block = json.get("content_block");
                match block.and_then(|b| b.get("type")).and_then(Value::as_str) {
                    Some("text") => {
                        let text = block
                            .and_then(|b| b.get("text"))
                            .and_then(Value::as_str)
                            .unwrap_or_default();
                        self.text.push_str(text);
                        Ok(Some(text.to_string()))
                    }
                    Some("tool_use") => {
                        // A tool's input comes whole here when it does not stream.
                        let input = block
                            .and_then(|b| b.get("input"))
                            .filter(|i| i.as_object().is_some_and(|o| !o.is_empty()))
                            .map(Value::to_string)
                            .unwrap_or_default();
                        self.tool = Some(input.clone());
                        Ok(Some(input))
                    }
                    _ => Ok(None),
                }
            }
            "content_block_delta" => {
                let delta = json.get("delta");
                let field = |name: &str| {
                    delta
                        .and_then(|d| d.get(name))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                };
                match delta.and_then(|d| d.get("type")).and_then(Value::as_str) {
                    Some("text_delta") => {
                        let text = field("text");
                        self.text.push_str(&text);
                        Ok(Some(text))
                    }
                    Some("input_json_delta") => {
                        let json = field("partial_json");
                        self.tool.get_or_insert_default().push_str(&json);
                        Ok(Some(json))
                    }
                    // Thinking and its signature are not the reply.
                    _ => Ok(None),
                }
            }
            "message_stop" => {
                self.done = true;
                Ok(None)
            }
            "error" => {
                let error = json.get("error").unwrap_or(json);
                let kind = error.get("type").and_then(Value::as_str).unwrap_or("error");
                Err(Problem::Server {
                    message: format!("{kind}: {}", error_message(error, data)),
                    retry: matches!(kind, "overloaded_error" | "api_error" | "rate_limit_error"),
                })
            }
            // message_start, content_block_stop, message_delta, ping, and events added later.
            _ => Ok(None),
        }
    }

    fn ollama(&mut self, json: &Value, data: &str) -> Result<Option<String>, Problem> {
        if let Some(error) = json.get("error") {
            return Err(Problem::Server {
                message: error_message(error, data),
                retry: false,
            });
        }
        let piece = json
            .pointer("/message/content")
            .and_then(Value::as_str)
            .map(str::to_string);
        if json.get("done").and_then(Value::as_bool) == Some(true) {
            self.done = true;
        } else if piece.is_none() {
            return Err(Problem::Malformed(format!(
                "a line has neither `message.content` nor `done`: {}",
                excerpt(data, 200)
            )));
        }
        if let Some(piece) = &piece {
            self.text.push_str(piece);
        }
        Ok(piece)
    }
}

/// What an `error` value says: its `message`, or itself.
fn error_message(error: &Value, data: &str) -> String {
    match error {
        Value::String(s) => s.clone(),
        error => error
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| excerpt(data, 300), str::to_string),
    }
}

/// The assistant's text in a whole (not streamed) reply of `kind`; for Anthropic, a tool's
/// input (as JSON text) when the reply has no text.
pub fn reply_text(kind: &str, reply: &Value) -> Option<String> {
    match Dialect::of(kind) {
        Dialect::Anthropic => {
            let blocks = reply.get("content")?.as_array()?;
            let of_type = |kind: &'static str| {
                blocks
                    .iter()
                    .filter(move |b| b.get("type").and_then(Value::as_str) == Some(kind))
            };
            let text: Vec<&str> = of_type("text")
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect();
            if !text.is_empty() {
                return Some(text.concat());
            }
            of_type("tool_use")
                .find_map(|b| b.get("input"))
                .map(Value::to_string)
        }
        Dialect::Ollama => Some(reply.pointer("/message/content")?.as_str()?.to_string()),
        Dialect::OpenAi => Some(
            reply
                .pointer("/choices/0/message/content")?
                .as_str()?
                .to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn assemble(dialect: Dialect, pieces: &[&str]) -> (Vec<String>, Assembly) {
        let mut assembly = Assembly::new(dialect);
        let shown = pieces
            .iter()
            .filter_map(|p| assembly.take(p).expect("a good piece"))
            .collect();
        (shown, assembly)
    }

    #[test]
    fn openai_pieces_add_up_to_the_reply() {
        let (shown, reply) = assemble(
            Dialect::OpenAi,
            &[
                r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
                r#"{"choices":[{"index":0,"delta":{"content":"Hel"}}]}"#,
                r#"{"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}"#,
                r#"{"choices":[],"usage":{"prompt_tokens":3}}"#,
                "[DONE]",
            ],
        );
        assert_eq!(shown, ["Hel", "lo"]);
        assert!(reply.done());
        assert_eq!(reply.pieces(), 2);
        assert_eq!(reply.reply(), "Hello");
    }

    #[test]
    fn anthropic_text_and_tool_input() {
        let (shown, reply) = assemble(
            Dialect::Anthropic,
            &[
                r#"{"type":"message_start","message":{"id":"m"}}"#,
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
                r#"{"type":"ping"}"#,
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi "}}"#,
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"there"}}"#,
                r#"{"type":"content_block_stop","index":0}"#,
                r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"}}"#,
                r#"{"type":"message_stop"}"#,
            ],
        );
        assert_eq!(shown, ["Hi ", "there"]);
        assert!(reply.done());
        assert_eq!(reply.reply(), "Hi there");

        let (_, reply) = assemble(
            Dialect::Anthropic,
            &[
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"reply","input":{}}}"#,
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"verdict\": "}}"#,
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"\"ship\"}"}}"#,
                r#"{"type":"message_stop"}"#,
            ],
        );
        assert_eq!(reply.reply(), r#"{"verdict": "ship"}"#);
    }

    #[test]
    fn ollama_lines_end_with_done() {
        let (shown, reply) = assemble(
            Dialect::Ollama,
            &[
                r#"{"message":{"role":"assistant","content":"lla"},"done":false}"#,
                r#"{"message":{"role":"assistant","content":"ma"},"done":false}"#,
                r#"{"message":{"role":"assistant","content":""},"done":true,"eval_count":2}"#,
            ],
        );
        assert_eq!(shown, ["lla", "ma"]);
        assert!(reply.done());
        assert_eq!(reply.reply(), "llama");
    }

    #[test]
    fn bad_pieces_and_server_errors_are_problems() {
        let mut openai = Assembly::new(Dialect::OpenAi);
        let Err(Problem::Malformed(why)) = openai.take("{\"choices\": [") else {
            panic!("not JSON is malformed");
        };
        assert!(
            why.contains("not JSON") && why.contains("{\"choices\": ["),
            "{why}"
        );
        let mut anthropic = Assembly::new(Dialect::Anthropic);
        assert_eq!(
            anthropic.take(
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
            ),
            Err(Problem::Server {
                message: "overloaded_error: Overloaded".into(),
                retry: true
            })
        );
        let mut ollama = Assembly::new(Dialect::Ollama);
        assert_eq!(
            ollama.take(r#"{"error":"model 'x' not found"}"#),
            Err(Problem::Server {
                message: "model 'x' not found".into(),
                retry: false
            })
        );
    }

    #[test]
    fn whole_replies_are_read_where_each_kind_puts_them() {
        let openai = json!({"choices": [{"message": {"content": "a"}}]});
        let anthropic =
            json!({"content": [{"type": "text", "text": "b"}, {"type": "text", "text": "c"}]});
        let tool = json!({"content": [{"type": "tool_use", "name": "reply", "input": {"x": 1}}]});
        let ollama = json!({"message": {"content": "d"}});
        assert_eq!(reply_text("openai", &openai).as_deref(), Some("a"));
        assert_eq!(reply_text("anthropic", &anthropic).as_deref(), Some("bc"));
        assert_eq!(
            reply_text("anthropic", &tool).as_deref(),
            Some(r#"{"x":1}"#)
        );
        assert_eq!(reply_text("ollama", &ollama).as_deref(), Some("d"));
        assert_eq!(reply_text("openai", &ollama), None);
    }
}
