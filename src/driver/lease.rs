//! Which process follows which runs: each follower (the daemon, or a `duet run`/`resume`
//! following one run in the foreground) keeps a lease file `STORE/followers/PID.json`
//! listing its runs, renewed every [`RENEW`] and good for [`TERM`]. A follower holds the
//! store's lock, so a lease is live only when held by the process reading it — the daemon
//! answering `duet status`, or the command itself — and renewed in time: a run whose lease
//! ran out, or whose holder let go of the store (it was killed), has no follower, whatever
//! its status says, and `duet status` says so and how to continue it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use duet_store::RunId;
use serde::{Deserialize, Serialize};

/// How often a holder renews its lease.
pub const RENEW: Duration = Duration::from_secs(2);
/// How long a lease lasts unless renewed.
pub const TERM: Duration = Duration::from_secs(10);

/// The directory of the lease files in the store.
const DIR: &str = "followers";

/// A lease file's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The holder's process id.
    pub pid: u32,
    /// `daemon`, or `command` for a foreground `duet`.
    pub kind: String,
    /// The runs it follows.
    pub runs: BTreeSet<String>,
    /// When it was last renewed (ms since the epoch).
    pub renewed_at: u64,
    /// When it runs out unless renewed.
    pub expires_at: u64,
}

/// A lease this process holds; its file goes when it is dropped.
pub struct Lease {
    path: PathBuf,
    record: Mutex<Record>,
}

impl Lease {
    /// Takes this process's lease in the store at `dir` (`kind`: `daemon` or `command`), and
    /// renews it on a thread of its own for as long as it is held.
    pub fn take(dir: &Path, kind: &str) -> std::io::Result<Arc<Lease>> {
        let folder = dir.join(DIR);
        duet_store::private_dir(&folder)?;
        let pid = std::process::id();
        let lease = Arc::new(Lease {
            path: folder.join(format!("{pid}.json")),
            record: Mutex::new(Record {
                pid,
                kind: kind.into(),
                runs: BTreeSet::new(),
                renewed_at: 0,
                expires_at: 0,
            }),
        });
        lease.renew()?;
        let weak: Weak<Lease> = Arc::downgrade(&lease);
        std::thread::Builder::new()
            .name("lease".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(RENEW);
                    match weak.upgrade() {
                        Some(lease) => {
                            let _ = lease.renew();
                        }
                        None => return,
                    }
                }
            })?;
        Ok(lease)
    }

    /// Adds run `id` to the runs this process follows.
    pub fn add(&self, id: RunId) {
        self.change(|runs| runs.insert(id.to_string()));
    }

    /// Removes run `id` from them.
    pub fn remove(&self, id: RunId) {
        self.change(|runs| runs.remove(&id.to_string()));
    }

    fn change(&self, f: impl FnOnce(&mut BTreeSet<String>) -> bool) {
        let changed = f(&mut self.lock().runs);
        if changed {
            let _ = self.renew();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes the lease afresh, good for another [`TERM`] (written whole, then renamed in).
    pub fn renew(&self) -> std::io::Result<()> {
        let mut record = self.lock();
        let now = duet_runtime::effects::now_ms().max(0) as u64;
        record.renewed_at = now;
        record.expires_at = now + TERM.as_millis() as u64;
        let text = serde_json::to_string(&*record).expect("a lease encodes");
        let fresh = self.path.with_extension("new");
        std::fs::write(&fresh, text)?;
        std::fs::rename(&fresh, &self.path)
    }
}

/// A lease of this process on run `id` alone, for a command following it in the
/// foreground; `None` (and nothing recorded) when the lease file cannot be written.
pub fn hold(dir: &Path, id: RunId) -> Option<Arc<Lease>> {
    let lease = Lease::take(dir, "command").ok()?;
    lease.add(id);
    Some(lease)
}

impl Drop for Lease {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Who follows a run, as its lease says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Follower {
    /// The process holding the store holds a lease on it.
    Live(Record),
    /// The last lease on it ran out, or its holder is gone: nobody follows it.
    Gone(Record),
    /// No lease names it.
    None,
}

/// Who follows run `id` of the store at `dir`, at `now` (ms since the epoch).
pub fn follower(dir: &Path, id: RunId, now: u64) -> Follower {
    let name = id.to_string();
    let mut found = Follower::None;
    let Ok(entries) = std::fs::read_dir(dir.join(DIR)) else {
        return found;
    };
    let mut records: Vec<Record> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter_map(|text| serde_json::from_str::<Record>(&text).ok())
        .filter(|r| r.runs.contains(&name))
        .collect();
    // A live lease says most, else the newest; ties by pid keep the answer the same.
    records.sort_by_key(|r| (r.renewed_at, r.pid));
    for record in records.into_iter().rev() {
        if record.expires_at > now && record.pid == std::process::id() {
            return Follower::Live(record);
        }
        if found == Follower::None {
            found = Follower::Gone(record);
        }
    }
    found
}
