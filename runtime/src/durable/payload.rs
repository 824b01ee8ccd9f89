//! A turn's payload in the journal: the [`RunInput`] itself when it is small; when it carries
//! bulk — an agent's long reply, a command's output, a file read, a long answer — the bulky
//! text goes to a content-addressed blob and the journal keeps the input with a reference in
//! its place, so the journal stays small and the same text is stored once however often it
//! comes back.

use duet_lang::envelope;
use duet_store::{BlobHash, JournaledTurn, RunId, Store};
use serde::{Deserialize, Serialize};

use super::error::EngineError;
use crate::workflow::RunInput;

/// Encoded inputs longer than this go to a blob.
pub const INLINE_LIMIT: usize = 4096;

/// Magic bytes of a payload that refers to a blob.
pub const BLOB_REF_MAGIC: [u8; 4] = *b"DUTB";
/// The blob reference format this build writes and reads.
pub const BLOB_REF_VERSION: u16 = 1;

/// An input whose bulky text was moved to a blob.
#[derive(Serialize, Deserialize)]
struct BlobRef {
    /// The blob holding the text (UTF-8).
    hash: [u8; 32],
    /// The input, its bulky text left empty.
    input: RunInput,
}

/// The text of `input` that can be bulky, if it has one.
fn bulk(input: &mut RunInput) -> Option<&mut String> {
    use crate::effects::EffectValue;
    match input {
        RunInput::Effect {
            result: Ok(EffectValue::Text(text)),
            ..
        }
        | RunInput::Effect {
            result: Ok(EffectValue::Reply { text, .. }),
            ..
        }
        | RunInput::Effect {
            result: Ok(EffectValue::Shell { stdout: text, .. }),
            ..
        }
        | RunInput::Person { text, .. } => Some(text),
        RunInput::Effect {
            result: Err(failure),
            ..
        } => Some(&mut failure.message),
        _ => None,
    }
}

/// The journal payload for `input`, moving its bulky text to a blob.
pub(crate) fn write(store: &Store, run: RunId, input: &RunInput) -> Result<Vec<u8>, EngineError> {
    let encoded = input.encode();
    let mut input = input.clone();
    let text = match bulk(&mut input) {
        Some(text) if encoded.len() > INLINE_LIMIT && text.len() > INLINE_LIMIT / 2 => {
            std::mem::take(text)
        }
        _ => return Ok(encoded),
    };
    let hash = store
        .put_blob(text.as_bytes())
        .map_err(|e| EngineError::store(run, e))?;
    Ok(envelope::seal(
        BLOB_REF_MAGIC,
        BLOB_REF_VERSION,
        &BlobRef {
            hash: hash.0,
            input,
        },
    ))
}

/// The input journaled as `turn` of `branch`.
pub fn read(
    store: &Store,
    run: RunId,
    branch: &str,
    turn: &JournaledTurn,
) -> Result<RunInput, EngineError> {
    let damaged = |source| EngineError::Turn {
        run,
        branch: branch.to_string(),
        turn: turn.turn,
        source,
    };
    if !turn.payload.starts_with(&BLOB_REF_MAGIC) {
        return RunInput::decode(&turn.payload).map_err(damaged);
    }
    let mut reference: BlobRef =
        envelope::open_current(BLOB_REF_MAGIC, BLOB_REF_VERSION, &turn.payload).map_err(damaged)?;
    let hash = BlobHash(reference.hash);
    let bytes = store
        .get_blob(&hash)
        .map_err(|e| EngineError::store(run, e))?
        .ok_or_else(|| EngineError::MissingBlob {
            run,
            branch: branch.to_string(),
            turn: turn.turn,
            hash: hash.to_string(),
        })?;
    let missing = |why: String| EngineError::MissingBlob {
        run,
        branch: branch.to_string(),
        turn: turn.turn,
        hash: format!("{hash} ({why})"),
    };
    let text = String::from_utf8(bytes).map_err(|_| missing("not text".into()))?;
    match bulk(&mut reference.input) {
        Some(slot) => *slot = text,
        None => return Err(missing("its input has no text to hold".into())),
    }
    Ok(reference.input)
}

/// The blobs `payload` refers to: the bulky text of a reference, or the state and program
/// of a [`RunInput::Reload`].
pub(crate) fn blobs_of(payload: &[u8]) -> Vec<BlobHash> {
    if payload.starts_with(&BLOB_REF_MAGIC) {
        return envelope::open_current::<BlobRef>(BLOB_REF_MAGIC, BLOB_REF_VERSION, payload)
            .ok()
            .map(|reference| BlobHash(reference.hash))
            .into_iter()
            .collect();
    }
    match RunInput::decode(payload) {
        Ok(RunInput::Reload { state, program, .. }) => [state, program]
            .iter()
            .filter_map(|hash| hash.parse().ok())
            .collect(),
        _ => Vec::new(),
    }
}
