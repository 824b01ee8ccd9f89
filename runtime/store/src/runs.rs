//! Runs: one execution of a workflow, with an id from the store's counter (`r1`, `r2`, …),
//! the workflow's name and program hash, a status, timestamps given by the caller and the
//! branch it is currently on.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Store;
use super::branches::Origin;
use super::error::{Location, Result, StoreError};
use super::layout;
use super::records::{
    self, BRANCH_MAGIC, BRANCH_VERSION, BranchRecord, META_MAGIC, NAME_MAGIC, NAME_VERSION,
    NameRecord, RUN_MAGIC, RUN_VERSION, RunRecord, STORE_FORMAT, StoreMeta,
};

/// A run's id: a number from the store's counter, shown as `r1`, `r2`, … Never random, so
/// the same sequence of operations on a fresh store gives the same ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RunId(pub u64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

impl FromStr for RunId {
    type Err = StoreError;

    /// Reads `r12` (or a bare `12`).
    fn from_str(text: &str) -> Result<RunId> {
        let digits = text.strip_prefix('r').unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(StoreError::BadRunId(text.to_string()));
        }
        digits
            .parse()
            .map(RunId)
            .map_err(|_| StoreError::BadRunId(text.to_string()))
    }
}

/// Where a run stands. Stored in run records: changing this type is a format change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Running, or ready to run.
    Running,
    /// Suspended until something outside happens.
    Waiting {
        /// What it waits for, for people (`"an answer to: deploy now?"`).
        reason: String,
    },
    /// Reached its end.
    Completed,
    /// Stopped by an error.
    Failed {
        /// The error, for people.
        error: String,
    },
    /// Stopped on request.
    Cancelled,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Running => write!(f, "running"),
            Status::Waiting { reason } => write!(f, "waiting ({reason})"),
            Status::Completed => write!(f, "completed"),
            Status::Failed { error } => write!(f, "failed ({error})"),
            Status::Cancelled => write!(f, "cancelled"),
        }
    }
}

/// What the caller says about a new run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    /// The workflow's name.
    pub workflow: String,
    /// The content hash of the program (IR module) it runs.
    pub program_hash: String,
    /// When it was created, by the caller's clock.
    pub at: u64,
}

/// A run as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRun {
    /// Its id.
    pub id: RunId,
    /// The workflow's name.
    pub workflow: String,
    /// The content hash of its program.
    pub program_hash: String,
    /// Where it stands.
    pub status: Status,
    /// When it was created (caller's clock).
    pub created_at: u64,
    /// When its record last changed: creation, status, current branch (caller's clock).
    /// Appending turns does not touch it; a turn carries its own time.
    pub updated_at: u64,
    /// The branch it runs on.
    pub current_branch: String,
}

impl StoredRun {
    fn from_record(id: RunId, record: RunRecord) -> StoredRun {
        StoredRun {
            id,
            workflow: record.workflow,
            program_hash: record.program_hash,
            status: record.status,
            created_at: record.created_at,
            updated_at: record.updated_at,
            current_branch: record.current_branch,
        }
    }
}

/// The name of every run's first branch.
pub const MAIN: &str = "main";

impl Store {
    /// Creates a run with its branch `main` (no turns yet), status [`Status::Running`].
    /// Durable when it returns.
    pub fn create_run(&self, new: NewRun) -> Result<StoredRun> {
        let guard = self.write_lock();
        let ks = &self.inner.ks;
        let meta_bytes = self
            .get(&ks.meta, layout::META_KEY, "reading the run counter")?
            .ok_or_else(|| {
                self.damaged(
                    Location::Meta,
                    super::Damage::Inconsistent("the store's format record is missing".into()),
                )
            })?;
        let mut meta: StoreMeta =
            self.decode(META_MAGIC, STORE_FORMAT, &meta_bytes, || Location::Meta)?;
        let id = RunId(meta.next_run);
        meta.next_run += 1;
        let record = RunRecord {
            workflow: new.workflow,
            program_hash: new.program_hash,
            status: Status::Running,
            created_at: new.at,
            updated_at: new.at,
            current_branch: MAIN.to_string(),
            next_segment: 1,
        };
        let main = BranchRecord {
            name: MAIN.to_string(),
            parent: None,
            fork_turn: 0,
            created_at: new.at,
            origin: Origin::Start,
        };
        let mut batch = self.inner.db.batch();
        batch.insert(
            &ks.meta,
            layout::META_KEY,
            records::seal(META_MAGIC, STORE_FORMAT, &meta),
        );
        batch.insert(
            &ks.runs,
            layout::run_key(id.0),
            records::seal(RUN_MAGIC, RUN_VERSION, &record),
        );
        batch.insert(
            &ks.branches,
            layout::segment_key(id.0, 0),
            records::seal(BRANCH_MAGIC, BRANCH_VERSION, &main),
        );
        batch.insert(
            &ks.names,
            layout::name_key(id.0, MAIN),
            records::seal(NAME_MAGIC, NAME_VERSION, &NameRecord { segment: 0 }),
        );
        self.commit(guard, batch)?;
        Ok(StoredRun::from_record(id, record))
    }

    /// One run.
    pub fn run(&self, id: RunId) -> Result<StoredRun> {
        Ok(StoredRun::from_record(id, self.run_record(id)?))
    }

    /// Every run, oldest first. A damaged run record is an error naming the run.
    pub fn runs(&self) -> Result<Vec<StoredRun>> {
        let mut out = Vec::new();
        for guard in self.inner.ks.runs.iter() {
            let (key, value) = guard
                .into_inner()
                .map_err(|source| self.db_error("listing runs", source))?;
            let number = key
                .as_ref()
                .try_into()
                .map(u64::from_be_bytes)
                .unwrap_or_default();
            let id = RunId(number);
            let record: RunRecord =
                self.decode(RUN_MAGIC, RUN_VERSION, &value, || Location::Run(id))?;
            out.push(StoredRun::from_record(id, record));
        }
        Ok(out)
    }

    /// Sets a run's status; `at` becomes its `updated_at`. Durable when it returns.
    pub fn set_status(&self, id: RunId, status: Status, at: u64) -> Result<StoredRun> {
        self.update_run(id, at, |record| {
            record.status = status;
            Ok(())
        })
    }

    /// Makes `branch` the run's current branch. Durable when it returns.
    pub fn set_current_branch(&self, id: RunId, branch: &str, at: u64) -> Result<StoredRun> {
        // Check the name outside the closure so the error names what is missing.
        self.segment_of(id, branch)?;
        self.update_run(id, at, |record| {
            record.current_branch = branch.to_string();
            Ok(())
        })
    }

    fn update_run(
        &self,
        id: RunId,
        at: u64,
        change: impl FnOnce(&mut RunRecord) -> Result<()>,
    ) -> Result<StoredRun> {
        let guard = self.write_lock();
        let mut record = self.run_record(id)?;
        change(&mut record)?;
        record.updated_at = at;
        let mut batch = self.inner.db.batch();
        batch.insert(
            &self.inner.ks.runs,
            layout::run_key(id.0),
            records::seal(RUN_MAGIC, RUN_VERSION, &record),
        );
        self.commit(guard, batch)?;
        Ok(StoredRun::from_record(id, record))
    }

    pub(crate) fn run_record(&self, id: RunId) -> Result<RunRecord> {
        let bytes = self
            .get(&self.inner.ks.runs, &layout::run_key(id.0), "reading a run")?
            .ok_or(StoreError::NoSuchRun(id))?;
        self.decode(RUN_MAGIC, RUN_VERSION, &bytes, || Location::Run(id))
    }

    pub(crate) fn put_run_record(
        &self,
        batch: &mut fjall::OwnedWriteBatch,
        id: RunId,
        record: &RunRecord,
    ) {
        batch.insert(
            &self.inner.ks.runs,
            layout::run_key(id.0),
            records::seal(RUN_MAGIC, RUN_VERSION, record),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_read_and_print() {
        assert_eq!("r12".parse::<RunId>().unwrap(), RunId(12));
        assert_eq!("7".parse::<RunId>().unwrap(), RunId(7));
        assert_eq!(RunId(3).to_string(), "r3");
        assert!("r".parse::<RunId>().is_err());
        assert!("rx1".parse::<RunId>().is_err());
        assert!("r-1".parse::<RunId>().is_err());
        assert!("r99999999999999999999999".parse::<RunId>().is_err());
    }
}
