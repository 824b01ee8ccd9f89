//! Branches: a name for a line of turns. A branch is (parent, fork turn, own tail): its turns
//! up to the fork turn are its parent's, the rest are its own. Forking writes one record and
//! copies nothing. Going back never deletes a turn: the branch's name moves to a fresh, empty
//! tail forked at the earlier turn, and the old tail keeps its turns under a new name
//! (`main~1`, `main~2`, …), as `duet back` promises.
//!
//! Internally the own tail is a *segment* with a number that never changes; names point at
//! segments (see [`layout`](super::layout)).

use serde::{Deserialize, Serialize};

use super::error::{Damage, Location, Result, StoreError};
use super::layout;
use super::records::{
    self, BRANCH_MAGIC, BRANCH_VERSION, BranchRecord, NAME_MAGIC, NAME_VERSION, NameRecord,
};
use super::runs::RunId;
use super::{Store, WriteState};

/// How a branch came to be. Stored in branch records: changing this type is a format change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Origin {
    /// Created with its run (`main`).
    Start,
    /// Forked from `from` at `turn` ([`Store::fork`]).
    Fork {
        /// The branch forked from, by the name it had then.
        from: String,
        /// The last turn shared with it.
        turn: u64,
    },
    /// Made by [`Store::back`]: the name moved back from `from_head`, and the turns it left
    /// behind are on the branch `abandoned`.
    Back {
        /// The branch's head before going back.
        from_head: u64,
        /// The branch now holding the abandoned turns.
        abandoned: String,
    },
}

/// Where a branch forked from: its parent, by current name, and the last turn it shares with
/// it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForkPoint {
    /// The parent branch's current name.
    pub branch: String,
    /// The last turn read from the parent.
    pub turn: u64,
}

/// A branch as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// Its name.
    pub name: String,
    /// Where it forked from; `None` for a run's first branch.
    pub parent: Option<ForkPoint>,
    /// Its last turn (0 before the first).
    pub head: u64,
    /// When it was created (caller's clock).
    pub created_at: u64,
    /// How it came to be.
    pub origin: Origin,
}

/// What [`Store::back`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackOutcome {
    /// The branch after moving back.
    pub branch: Branch,
    /// The branch now holding the abandoned turns; `None` when nothing moved (count 0).
    pub abandoned: Option<String>,
}

/// One piece of a branch's history: the turns `from..=to` of a segment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Piece {
    pub segment: u32,
    pub from: u64,
    /// `None`: up to the segment's last turn (only for the branch's own segment).
    pub to: Option<u64>,
}

/// Checks a name given to [`Store::fork`].
pub(crate) fn check_name(name: &str) -> Result<()> {
    let bad = |why| {
        Err(StoreError::BadBranchName {
            name: name.to_string(),
            why,
        })
    };
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.len() > 64 {
        return bad("it is longer than 64 bytes");
    }
    if !name.as_bytes()[0].is_ascii_alphanumeric() {
        return bad("it must start with a letter or a digit");
    }
    if name.contains('~') {
        return bad("`~` is kept for the branches `back` leaves behind (main~1, …)");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
    {
        return bad("use letters, digits and - _ . / only");
    }
    Ok(())
}

impl Store {
    /// One branch of a run.
    pub fn branch(&self, run: RunId, name: &str) -> Result<Branch> {
        let segment = self.segment_of(run, name)?;
        let record = self.segment_record(run, segment)?;
        self.branch_from_record(run, segment, record)
    }

    /// Every branch of a run, in the order they were made.
    pub fn branches(&self, run: RunId) -> Result<Vec<Branch>> {
        self.run_record(run)?;
        let mut out = Vec::new();
        for guard in self.inner.ks.branches.prefix(layout::run_key(run.0)) {
            let (key, value) = guard
                .into_inner()
                .map_err(|source| self.db_error("listing branches", source))?;
            let segment = layout::segment_of_key(&key).unwrap_or(u32::MAX);
            let record: BranchRecord =
                self.decode(BRANCH_MAGIC, BRANCH_VERSION, &value, || Location::Branch {
                    run,
                    branch: format!("#{segment}"),
                })?;
            out.push(self.branch_from_record(run, segment, record)?);
        }
        Ok(out)
    }

    /// Forks a new branch `name` from `from` at `turn` (0 ≤ `turn` ≤ the head of `from`).
    /// Copies nothing; `from` is untouched. The run's current branch does not change (see
    /// [`Store::set_current_branch`]). Durable when it returns.
    pub fn fork(&self, run: RunId, from: &str, turn: u64, name: &str, at: u64) -> Result<Branch> {
        check_name(name)?;
        let mut guard = self.write_lock();
        if self.name_exists(run, name)? {
            return Err(StoreError::BranchExists {
                run,
                branch: name.to_string(),
            });
        }
        let from_segment = self.segment_of(run, from)?;
        let from_record = self.segment_record(run, from_segment)?;
        let head = self.cached_head(&mut guard, run, from_segment, from_record.fork_turn)?;
        if turn > head {
            return Err(StoreError::NoSuchTurn {
                run,
                branch: from.to_string(),
                turn,
                head,
            });
        }
        let parent = self.owner(run, from_segment, from_record, turn)?;
        let mut run_record = self.run_record(run)?;
        let segment = run_record.next_segment;
        run_record.next_segment += 1;
        run_record.updated_at = at;
        let record = BranchRecord {
            name: name.to_string(),
            parent: Some(parent),
            fork_turn: turn,
            created_at: at,
            origin: Origin::Fork {
                from: from.to_string(),
                turn,
            },
        };
        let mut batch = self.inner.db.batch();
        self.put_run_record(&mut batch, run, &run_record);
        self.put_segment(&mut batch, run, segment, &record);
        self.put_name(&mut batch, run, name, segment);
        guard.heads.insert((run.0, segment), turn);
        self.commit(guard, batch)?;
        self.branch_from_record(run, segment, record)
    }

    /// Moves the head of `branch` back `count` turns. No turn is deleted: the abandoned
    /// turns stay on a new branch named `branch~N` (the first free N), which the outcome
    /// names; `branch` continues from the earlier turn. Durable when it returns.
    pub fn back(&self, run: RunId, branch: &str, count: u64, at: u64) -> Result<BackOutcome> {
        let mut guard = self.write_lock();
        let old_segment = self.segment_of(run, branch)?;
        let old_record = self.segment_record(run, old_segment)?;
        let head = self.cached_head(&mut guard, run, old_segment, old_record.fork_turn)?;
        if count == 0 {
            drop(guard);
            return Ok(BackOutcome {
                branch: self.branch_from_record(run, old_segment, old_record)?,
                abandoned: None,
            });
        }
        if count > head {
            return Err(StoreError::BackTooFar {
                run,
                branch: branch.to_string(),
                count,
                head,
            });
        }
        let new_head = head - count;
        let mut abandoned = String::new();
        for n in 1.. {
            abandoned = format!("{branch}~{n}");
            if !self.name_exists(run, &abandoned)? {
                break;
            }
        }
        let parent = self.owner(run, old_segment, old_record.clone(), new_head)?;
        let mut run_record = self.run_record(run)?;
        let segment = run_record.next_segment;
        run_record.next_segment += 1;
        run_record.updated_at = at;
        let renamed = BranchRecord {
            name: abandoned.clone(),
            ..old_record
        };
        let record = BranchRecord {
            name: branch.to_string(),
            parent: Some(parent),
            fork_turn: new_head,
            created_at: at,
            origin: Origin::Back {
                from_head: head,
                abandoned: abandoned.clone(),
            },
        };
        let mut batch = self.inner.db.batch();
        self.put_run_record(&mut batch, run, &run_record);
        self.put_segment(&mut batch, run, old_segment, &renamed);
        self.put_segment(&mut batch, run, segment, &record);
        self.put_name(&mut batch, run, branch, segment);
        self.put_name(&mut batch, run, &abandoned, old_segment);
        guard.heads.insert((run.0, segment), new_head);
        self.commit(guard, batch)?;
        Ok(BackOutcome {
            branch: self.branch_from_record(run, segment, record)?,
            abandoned: Some(abandoned),
        })
    }

    /// The segment a branch name points at.
    pub(crate) fn segment_of(&self, run: RunId, name: &str) -> Result<u32> {
        let location = || Location::Branch {
            run,
            branch: name.to_string(),
        };
        match self.get(
            &self.inner.ks.names,
            &layout::name_key(run.0, name),
            "reading a branch name",
        )? {
            Some(bytes) => {
                let record: NameRecord = self.decode(NAME_MAGIC, NAME_VERSION, &bytes, location)?;
                Ok(record.segment)
            }
            None => {
                self.run_record(run)?;
                let known = self.branch_names(run)?;
                Err(StoreError::NoSuchBranch {
                    run,
                    branch: name.to_string(),
                    known,
                })
            }
        }
    }

    fn name_exists(&self, run: RunId, name: &str) -> Result<bool> {
        self.inner
            .ks
            .names
            .contains_key(layout::name_key(run.0, name))
            .map_err(|source| self.db_error("reading a branch name", source))
    }

    fn branch_names(&self, run: RunId) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for guard in self.inner.ks.names.prefix(layout::run_key(run.0)) {
            let key = guard
                .key()
                .map_err(|source| self.db_error("listing branch names", source))?;
            names.push(String::from_utf8_lossy(&key[8..]).into_owned());
        }
        Ok(names)
    }

    pub(crate) fn segment_record(&self, run: RunId, segment: u32) -> Result<BranchRecord> {
        let location = || Location::Branch {
            run,
            branch: format!("#{segment}"),
        };
        let bytes = self
            .get(
                &self.inner.ks.branches,
                &layout::segment_key(run.0, segment),
                "reading a branch",
            )?
            .ok_or_else(|| {
                self.damaged(
                    location(),
                    Damage::Inconsistent("its record is missing".into()),
                )
            })?;
        self.decode(BRANCH_MAGIC, BRANCH_VERSION, &bytes, location)
    }

    fn put_segment(
        &self,
        batch: &mut fjall::OwnedWriteBatch,
        run: RunId,
        segment: u32,
        record: &BranchRecord,
    ) {
        batch.insert(
            &self.inner.ks.branches,
            layout::segment_key(run.0, segment),
            records::seal(BRANCH_MAGIC, BRANCH_VERSION, record),
        );
    }

    fn put_name(&self, batch: &mut fjall::OwnedWriteBatch, run: RunId, name: &str, segment: u32) {
        batch.insert(
            &self.inner.ks.names,
            layout::name_key(run.0, name),
            records::seal(NAME_MAGIC, NAME_VERSION, &NameRecord { segment }),
        );
    }

    fn branch_from_record(&self, run: RunId, segment: u32, record: BranchRecord) -> Result<Branch> {
        let parent = match record.parent {
            Some(parent) => Some(ForkPoint {
                branch: self.segment_record(run, parent)?.name,
                turn: record.fork_turn,
            }),
            None => None,
        };
        let head = self.segment_head(run, segment, record.fork_turn)?;
        Ok(Branch {
            name: record.name,
            parent,
            head,
            created_at: record.created_at,
            origin: record.origin,
        })
    }

    /// The last turn of a segment: its last own turn, or its fork turn if it has none.
    pub(crate) fn segment_head(&self, run: RunId, segment: u32, fork_turn: u64) -> Result<u64> {
        let last = self
            .inner
            .ks
            .turns
            .prefix(layout::segment_key(run.0, segment))
            .next_back();
        match last {
            None => Ok(fork_turn),
            Some(guard) => {
                let key = guard
                    .key()
                    .map_err(|source| self.db_error("finding a branch's last turn", source))?;
                Ok(layout::turn_of_key(&key)
                    .unwrap_or(fork_turn)
                    .max(fork_turn))
            }
        }
    }

    /// [`Store::segment_head`] through the write lock's cache.
    pub(crate) fn cached_head(
        &self,
        state: &mut WriteState,
        run: RunId,
        segment: u32,
        fork_turn: u64,
    ) -> Result<u64> {
        if let Some(head) = state.heads.get(&(run.0, segment)) {
            return Ok(*head);
        }
        let head = self.segment_head(run, segment, fork_turn)?;
        state.heads.insert((run.0, segment), head);
        Ok(head)
    }

    /// The segment holding `turn` as seen from `segment` (which holds it or inherits it):
    /// the nearest ancestor whose own tail contains it, or the root for turn 0.
    fn owner(
        &self,
        run: RunId,
        mut segment: u32,
        mut record: BranchRecord,
        turn: u64,
    ) -> Result<u32> {
        let mut steps = 0u32;
        while turn <= record.fork_turn {
            let Some(parent) = record.parent else { break };
            segment = parent;
            record = self.segment_record(run, segment)?;
            steps += 1;
            self.check_steps(run, segment, steps)?;
        }
        Ok(segment)
    }

    /// The pieces a branch's history is made of, oldest first, with the branch's own segment
    /// last.
    pub(crate) fn pieces(&self, run: RunId, name: &str) -> Result<Vec<Piece>> {
        let mut segment = self.segment_of(run, name)?;
        let mut to = None;
        let mut pieces = Vec::new();
        let mut steps = 0u32;
        loop {
            let record = self.segment_record(run, segment)?;
            pieces.push(Piece {
                segment,
                from: record.fork_turn + 1,
                to,
            });
            let Some(parent) = record.parent else { break };
            to = Some(record.fork_turn);
            segment = parent;
            steps += 1;
            self.check_steps(run, segment, steps)?;
        }
        pieces.reverse();
        Ok(pieces)
    }

    /// Parent links go to older segments; a chain longer than the number of segments is a
    /// loop, which only damage can make.
    fn check_steps(&self, run: RunId, segment: u32, steps: u32) -> Result<()> {
        if steps > 1_000_000 || steps > self.run_record(run)?.next_segment {
            return Err(self.damaged(
                Location::Branch {
                    run,
                    branch: format!("#{segment}"),
                },
                Damage::Inconsistent("its parent links form a loop".into()),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names() {
        assert!(check_name("main").is_ok());
        assert!(check_name("try-2/fix_a.b").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("-x").is_err());
        assert!(check_name("main~1").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name(&"a".repeat(65)).is_err());
    }
}
