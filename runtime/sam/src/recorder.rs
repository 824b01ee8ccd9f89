//! [`Recorder`]: an entity that keeps every event it receives, as data. It is the observer
//! used by the conformance and differential tests, and a debugging aid (attach one to a
//! dataspace with an `Observe` to watch a pattern). Its log survives snapshots.

use serde::{Deserialize, Serialize};

use super::entity::{Entity, EntitySnapshot};
use super::error::Result;
use super::event::Event;
use super::ids::{Handle, Ref, TurnId};
use super::term::Term;
use super::turn::Turn;

/// Snapshot kind of a recorder.
pub const RECORDER_KIND: &str = "duet/recorder";

/// One received event and the turn it arrived in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    /// The turn that delivered it.
    pub turn: TurnId,
    /// The event.
    pub event: Event,
}

/// Records every event. Sync is answered as usual and recorded too.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorder {
    /// What arrived, in order.
    pub log: Vec<Received>,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Recorder {
        Recorder::default()
    }

    /// The log in a compact notation: `+T` assert, `-T` retract (with
    /// the value its handle asserted), `!T` message, `sync`.
    pub fn summary(&self) -> Vec<String> {
        let mut live: Vec<(Handle, Term)> = Vec::new();
        self.log
            .iter()
            .map(|r| match &r.event {
                Event::Assert { value, handle } => {
                    live.push((*handle, value.clone()));
                    format!("+{value}")
                }
                Event::Retract { handle } => match live.iter().position(|(h, _)| h == handle) {
                    Some(i) => format!("-{}", live.remove(i).1),
                    None => format!("-?{handle}"),
                },
                Event::Message { body } => format!("!{body}"),
                Event::Sync { .. } => "sync".to_string(),
            })
            .collect()
    }

    /// Restores a recorder from its snapshot data.
    pub fn restore(bytes: &[u8]) -> std::result::Result<Recorder, String> {
        postcard::from_bytes(bytes).map_err(|e| format!("damaged recorder state: {e}"))
    }
}

impl Entity for Recorder {
    fn assert(&mut self, t: &mut Turn, value: Term, handle: Handle) -> Result {
        self.log.push(Received {
            turn: t.id(),
            event: Event::Assert { value, handle },
        });
        Ok(())
    }

    fn retract(&mut self, t: &mut Turn, handle: Handle) -> Result {
        self.log.push(Received {
            turn: t.id(),
            event: Event::Retract { handle },
        });
        Ok(())
    }

    fn message(&mut self, t: &mut Turn, body: Term) -> Result {
        self.log.push(Received {
            turn: t.id(),
            event: Event::Message { body },
        });
        Ok(())
    }

    fn sync(&mut self, t: &mut Turn, peer: Ref) -> Result {
        self.log.push(Received {
            turn: t.id(),
            event: Event::Sync { peer },
        });
        t.message(&peer, Term::Bool(true));
        Ok(())
    }

    fn snapshot(&self) -> EntitySnapshot {
        EntitySnapshot {
            kind: RECORDER_KIND.to_string(),
            data: postcard::to_stdvec(self).expect("a recorder always encodes"),
        }
    }
}
