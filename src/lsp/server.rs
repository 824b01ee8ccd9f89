//! The main loop: one thread takes messages in the order they arrived and handles each to
//! the end before the next, so edits apply strictly in order and every request sees every
//! edit sent before it.
//!
//! Analysis is lazy: a change only updates the text; the document is analysed when a
//! request needs it or when diagnostics are published. Diagnostics are published once no
//! more input is waiting, so a burst of changes is analysed once, for its final text — or,
//! if input never stops arriving, at the latest [`PUBLISH_DELAY`] after the first change
//! that is not yet published.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentHighlightRequest, DocumentSymbolRequest, Formatting, GotoDefinition,
    HoverRequest, PrepareRenameRequest, RangeFormatting, References, Rename, Request as _,
    SemanticTokensFullRequest,
};
use lsp_types::{
    CompletionOptions, CompletionParams, CompletionResponse, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DocumentFormattingParams,
    DocumentHighlightParams, DocumentRangeFormattingParams, DocumentSymbolParams,
    DocumentSymbolResponse, GotoDefinitionParams, GotoDefinitionResponse, HoverParams,
    HoverProviderCapability, InitializeResult, OneOf, PositionEncodingKind,
    PublishDiagnosticsParams, ReferenceParams, RenameOptions, RenameParams, SaveOptions,
    SemanticTokens, SemanticTokensFullOptions, SemanticTokensOptions, SemanticTokensParams,
    SemanticTokensServerCapabilities, ServerCapabilities, ServerInfo, TextDocumentPositionParams,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Uri, WorkDoneProgressOptions,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::analysis::Analysis;
use super::documents::Documents;
use super::{
    completion, definition, diagnostics, formatting, hover, log, references, rename,
    semantic_tokens, symbols,
};

/// Where the server is in the protocol's life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for `initialize`.
    Starting,
    /// Serving.
    Running,
    /// `shutdown` received; waiting for `exit`.
    ShutDown,
}

/// How long diagnostics may lag behind a change while more input keeps arriving.
const PUBLISH_DELAY: Duration = Duration::from_millis(200);

/// A failed request: a JSON-RPC error code and a message.
type Failure = (i32, String);

/// The server's state.
struct Server {
    sender: Sender<Message>,
    documents: Documents,
    phase: Phase,
    /// When the oldest change whose diagnostics are not yet published arrived.
    due_since: Option<Instant>,
}

/// Serves `connection` until `exit` or the end of input. Returns the process exit code: 0
/// when `shutdown` came before, 1 otherwise.
pub fn serve(connection: Connection) -> i32 {
    let mut server = Server {
        sender: connection.sender,
        documents: Documents::default(),
        phase: Phase::Starting,
        due_since: None,
    };
    loop {
        let Ok(message) = connection.receiver.recv() else {
            log("input closed without `exit`");
            return server.exit_code();
        };
        match message {
            Message::Request(request) => server.request(request),
            Message::Notification(n) if n.method == "exit" => return server.exit_code(),
            Message::Notification(n) => server.notification(n),
            Message::Response(_) => {}
        }
        let overdue = server
            .due_since
            .is_some_and(|t| t.elapsed() >= PUBLISH_DELAY);
        if server.due_since.is_some() && (connection.receiver.is_empty() || overdue) {
            server.publish_due_diagnostics();
        }
    }
}

impl Server {
    fn exit_code(&self) -> i32 {
        if self.phase == Phase::ShutDown { 0 } else { 1 }
    }

    fn send(&self, message: impl Into<Message>) {
        if self.sender.send(message.into()).is_err() {
            log("the writer has stopped; dropping a message");
        }
    }

    fn request(&mut self, request: Request) {
        let Request { id, method, params } = request;
        let result = match (self.phase, method.as_str()) {
            (Phase::Starting, "initialize") => {
                self.phase = Phase::Running;
                Ok(serde_json::to_value(initialize_result()).unwrap_or(Value::Null))
            }
            (Phase::Starting, _) => Err((
                ErrorCode::ServerNotInitialized as i32,
                "the server has not been initialized".into(),
            )),
            (Phase::ShutDown, _) => Err((
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".into(),
            )),
            (Phase::Running, "initialize") => Err((
                ErrorCode::InvalidRequest as i32,
                "the server is already initialized".into(),
            )),
            (Phase::Running, "shutdown") => {
                self.phase = Phase::ShutDown;
                Ok(Value::Null)
            }
            (Phase::Running, _) => {
                let outcome = catch_unwind(AssertUnwindSafe(|| self.dispatch(&method, params)));
                outcome.unwrap_or_else(|_| {
                    log(&format!("internal error while handling `{method}`"));
                    Err((
                        ErrorCode::InternalError as i32,
                        format!("internal error while handling `{method}`"),
                    ))
                })
            }
        };
        let response = match result {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code, message),
        };
        self.send(response);
    }

    fn dispatch(&mut self, method: &str, params: Value) -> Result<Value, Failure> {
        match method {
            HoverRequest::METHOD => self.on::<HoverParams, _>(params, |s, p| {
                let (a, offset) = s.locate(&p.text_document_position_params)?;
                hover::hover(&a, offset)
            }),
            GotoDefinition::METHOD => self.on::<GotoDefinitionParams, _>(params, |s, p| {
                let (a, offset) = s.locate(&p.text_document_position_params)?;
                definition::definition(&a, offset).map(GotoDefinitionResponse::Scalar)
            }),
            References::METHOD => self.on::<ReferenceParams, _>(params, |s, p| {
                let (a, offset) = s.locate(&p.text_document_position)?;
                Some(references::references(
                    &a,
                    offset,
                    p.context.include_declaration,
                ))
            }),
            DocumentHighlightRequest::METHOD => {
                self.on::<DocumentHighlightParams, _>(params, |s, p| {
                    let (a, offset) = s.locate(&p.text_document_position_params)?;
                    Some(references::highlights(&a, offset))
                })
            }
            Completion::METHOD => self.on::<CompletionParams, _>(params, |s, p| {
                let (a, offset) = s.locate(&p.text_document_position)?;
                let trigger = p
                    .context
                    .as_ref()
                    .and_then(|c| c.trigger_character.as_deref());
                completion::completion(&a, offset, trigger).map(CompletionResponse::Array)
            }),
            DocumentSymbolRequest::METHOD => self.on::<DocumentSymbolParams, _>(params, |s, p| {
                let a = s.documents.analysis(&p.text_document.uri)?;
                Some(DocumentSymbolResponse::Nested(symbols::document_symbols(
                    &a,
                )))
            }),
            SemanticTokensFullRequest::METHOD => {
                self.on::<SemanticTokensParams, _>(params, |s, p| {
                    let a = s.documents.analysis(&p.text_document.uri)?;
                    Some(SemanticTokens {
                        result_id: None,
                        data: semantic_tokens::semantic_tokens(&a),
                    })
                })
            }
            Formatting::METHOD => self.on::<DocumentFormattingParams, _>(params, |s, p| {
                let doc = s.documents.get_mut(&p.text_document.uri)?;
                Some(formatting::format_document(&doc.text, doc.line_index()))
            }),
            RangeFormatting::METHOD => {
                self.on::<DocumentRangeFormattingParams, _>(params, |s, p| {
                    let doc = s.documents.get_mut(&p.text_document.uri)?;
                    Some(formatting::format_range(
                        &doc.text,
                        doc.line_index(),
                        p.range,
                    ))
                })
            }
            PrepareRenameRequest::METHOD => {
                let p: TextDocumentPositionParams = parse(params)?;
                let Some((a, offset)) = self.locate(&p) else {
                    return Ok(Value::Null);
                };
                let answer = rename::prepare(&a, offset).map_err(refused)?;
                Ok(serde_json::to_value(answer).unwrap_or(Value::Null))
            }
            Rename::METHOD => {
                let p: RenameParams = parse(params)?;
                let Some((a, offset)) = self.locate(&p.text_document_position) else {
                    return Ok(Value::Null);
                };
                let edit = rename::rename(&a, offset, &p.new_name).map_err(refused)?;
                Ok(serde_json::to_value(edit).unwrap_or(Value::Null))
            }
            _ => Err((
                ErrorCode::MethodNotFound as i32,
                format!("unknown method `{method}`"),
            )),
        }
    }

    /// Parses the parameters and runs a handler; `None` answers `null`.
    fn on<P: DeserializeOwned, R: Serialize>(
        &mut self,
        params: Value,
        handler: impl FnOnce(&mut Self, P) -> Option<R>,
    ) -> Result<Value, Failure> {
        let params = parse(params)?;
        let result = handler(self, params);
        Ok(serde_json::to_value(result).unwrap_or(Value::Null))
    }

    /// The analysis of the document a position is in, and the position as a byte offset;
    /// `None` when the document is not open.
    fn locate(&mut self, p: &TextDocumentPositionParams) -> Option<(Rc<Analysis>, usize)> {
        let a = self.documents.analysis(&p.text_document.uri)?;
        let offset = a.offset(p.position);
        Some((a, offset))
    }

    fn notification(&mut self, notification: Notification) {
        if self.phase != Phase::Running {
            return;
        }
        let Notification { method, params } = notification;
        let outcome = catch_unwind(AssertUnwindSafe(|| self.notify(&method, params)));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(why)) => log(&format!("ignoring `{method}`: {why}")),
            Err(_) => log(&format!("internal error while handling `{method}`")),
        }
        if self.due_since.is_none() && self.documents.iter_mut().any(|(_, d)| d.diagnostics_due) {
            self.due_since = Some(Instant::now());
        }
    }

    fn notify(&mut self, method: &str, params: Value) -> Result<(), String> {
        match method {
            DidOpenTextDocument::METHOD => {
                let p: DidOpenTextDocumentParams = parse(params).map_err(|e| e.1)?;
                let doc = p.text_document;
                self.documents.open(doc.uri, doc.version, doc.text);
            }
            DidChangeTextDocument::METHOD => {
                let p: DidChangeTextDocumentParams = parse(params).map_err(|e| e.1)?;
                let uri = p.text_document.uri;
                if !self
                    .documents
                    .change(&uri, p.text_document.version, p.content_changes)
                {
                    return Err(format!("`{}` is not open", uri.as_str()));
                }
            }
            DidCloseTextDocument::METHOD => {
                let p: DidCloseTextDocumentParams = parse(params).map_err(|e| e.1)?;
                if self.documents.close(&p.text_document.uri) {
                    self.publish(p.text_document.uri, Vec::new(), None);
                }
            }
            DidSaveTextDocument::METHOD => {
                // A saved file may be imported by another open document.
                for (_, doc) in self.documents.iter_mut() {
                    doc.invalidate();
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Publishes diagnostics for every document changed since it was last published.
    fn publish_due_diagnostics(&mut self) {
        self.due_since = None;
        let mut due = Vec::new();
        for (uri, doc) in self.documents.iter_mut() {
            if doc.diagnostics_due {
                doc.diagnostics_due = false;
                due.push(uri.clone());
            }
        }
        for uri in due {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let doc = self.documents.get_mut(&uri)?;
                let version = doc.version;
                let a = doc.analysis(&uri);
                Some((diagnostics::diagnostics(&a), version))
            }));
            match outcome {
                Ok(Some((list, version))) => self.publish(uri, list, Some(version)),
                Ok(None) => {}
                Err(_) => log(&format!("internal error while checking `{}`", uri.as_str())),
            }
        }
    }

    fn publish(&self, uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.send(Notification::new(PublishDiagnostics::METHOD.into(), params));
    }
}

fn parse<P: DeserializeOwned>(params: Value) -> Result<P, Failure> {
    serde_json::from_value(params).map_err(|e| {
        (
            ErrorCode::InvalidParams as i32,
            format!("invalid params: {e}"),
        )
    })
}

fn refused(why: String) -> Failure {
    (ErrorCode::RequestFailed as i32, why)
}

fn initialize_result() -> InitializeResult {
    InitializeResult {
        capabilities: ServerCapabilities {
            position_encoding: Some(PositionEncodingKind::UTF16),
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    will_save: None,
                    will_save_wait_until: None,
                    save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                        include_text: Some(false),
                    })),
                },
            )),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec!["(".into(), " ".into(), ":".into()]),
                ..CompletionOptions::default()
            }),
            definition_provider: Some(OneOf::Left(true)),
            references_provider: Some(OneOf::Left(true)),
            document_highlight_provider: Some(OneOf::Left(true)),
            document_symbol_provider: Some(OneOf::Left(true)),
            document_formatting_provider: Some(OneOf::Left(true)),
            document_range_formatting_provider: Some(OneOf::Left(true)),
            rename_provider: Some(OneOf::Right(RenameOptions {
                prepare_provider: Some(true),
                work_done_progress_options: WorkDoneProgressOptions::default(),
            })),
            semantic_tokens_provider: Some(
                SemanticTokensServerCapabilities::SemanticTokensOptions(SemanticTokensOptions {
                    legend: semantic_tokens::legend(),
                    full: Some(SemanticTokensFullOptions::Bool(true)),
                    range: None,
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                }),
            ),
            ..ServerCapabilities::default()
        },
        server_info: Some(ServerInfo {
            name: "duet".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    }
}
