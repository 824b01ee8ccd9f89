//! A run's manifest: what the run needs besides its journal — the encoded program, the
//! compiled workflow, the roles and the agents that play them, the capabilities granted, the
//! workspace, and the state before the first turn. Stored once as a blob named in the run's
//! record, sealed in the envelope (`DUMF`).

use duet_lang::compile::CompiledWorkflow;
use duet_lang::envelope;
use duet_lang::ir::Program;
use duet_store::{RunId, Store, StoredRun};
use serde::{Deserialize, Serialize};

use super::error::EngineError;
use crate::effects::Capabilities;
use crate::workflow::agents::Role;

/// Magic bytes of a run manifest.
pub const MAGIC: [u8; 4] = *b"DUMF";
/// The manifest format this build writes and reads. Version 1 was bare postcard with the
/// capabilities as names; version 2 had no `:retries` in a role; version 3 no source file.
pub const VERSION: u16 = 4;

/// What a run needs besides its journal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Manifest {
    /// The encoded program (IR, in its own envelope).
    pub(crate) program: Vec<u8>,
    /// The workflow run.
    pub(crate) workflow: CompiledWorkflow,
    /// Its roles and the agents that play them.
    pub(crate) roles: Vec<Role>,
    /// What the run may do.
    pub(crate) capabilities: Capabilities,
    /// The directory its effects work in.
    pub(crate) workspace: String,
    /// The run's state before its first turn, so a run killed before its first snapshot
    /// still resumes, and replay starts from it.
    pub(crate) initial: Vec<u8>,
    /// The workflow's file, as an absolute path, when it came from one: what `--reload`
    /// compiles again.
    pub(crate) source: Option<String>,
}

impl Manifest {
    /// Stores the manifest as a blob; returns the blob's name.
    pub(crate) fn put(&self, store: &Store) -> Result<String, EngineError> {
        let bytes = envelope::seal(MAGIC, VERSION, self);
        store
            .put_blob(&bytes)
            .map(|hash| hash.to_string())
            .map_err(|source| EngineError::Store {
                run: None,
                source: Box::new(source),
            })
    }

    /// The manifest of `record`, with its program decoded.
    pub(crate) fn load(
        store: &Store,
        run: RunId,
        record: &StoredRun,
    ) -> Result<(Manifest, Program), EngineError> {
        let manifest_error = |why: String| EngineError::Manifest { run, why };
        let hash = record
            .program_hash
            .parse()
            .map_err(|e: duet_store::StoreError| manifest_error(e.to_string()))?;
        let bytes = store
            .get_blob(&hash)
            .map_err(|source| EngineError::store(run, source))?
            .ok_or_else(|| manifest_error(format!("its manifest blob {hash} is missing")))?;
        let manifest: Manifest =
            envelope::open_current(MAGIC, VERSION, &bytes).map_err(|e| match e {
                // Before version 2 a manifest had no envelope at all.
                envelope::EnvelopeError::WrongFormat { .. } => manifest_error(format!(
                    "its manifest is {e}: an earlier duet started this run, and that version \
                     must finish it"
                )),
                e => manifest_error(format!("its manifest is {e}")),
            })?;
        let program = Program::decode(&manifest.program)
            .map_err(|e| manifest_error(format!("its program is {e}")))?;
        Ok((manifest, program))
    }
}
