//! `duet blame FILE`: for each line of a workspace file, the run, turn and role or effect
//! that last changed it, read from the checkpoints of every run in the store.
//!
//! The rule: the checkpoints of the current branch of every run whose workspace holds the
//! file are put in one line of time (by when their turn was journaled; then by run, then by
//! turn). Walking it from the oldest, each checkpoint that changed the file takes the lines
//! it added or changed (git's line diff against the file as the checkpoint before had it),
//! so when several runs touched a line, the latest checkpoint wins. Lines the oldest
//! checkpoint already had were there before duet changed anything; lines the file has now
//! that its last checkpoint has not were changed outside duet since. A run's first
//! checkpoint records the files before it changed them, as the `person` who left them so:
//! a line a later run's first checkpoint brought was changed by a person between runs.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use duet_store::{RunId, Store};

use super::error::EngineError;
use super::files::{Recorded, branch_checkpoints};
use super::manifest::Manifest;

/// Who last changed a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineOrigin {
    /// No one since duet first recorded the file: it was there before.
    Unchanged,
    /// A turn of a run, by its checkpoint.
    Turn {
        /// The run.
        run: RunId,
        /// The checkpoint's turn.
        turn: u64,
        /// Who changed the files: a role, an effect, or `person`.
        author: String,
    },
    /// A person, outside duet, since the last checkpoint (not recorded yet).
    Outside,
}

/// One line of the file and who last changed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlamedLine {
    /// Its number, from 1.
    pub number: usize,
    /// Its text, without its line ending.
    pub text: String,
    /// Who last changed it.
    pub by: LineOrigin,
}

/// A file's lines with who last changed each.
#[derive(Debug, Clone)]
pub struct Blame {
    /// The file's path in its workspace.
    pub path: String,
    /// Its lines, in order.
    pub lines: Vec<BlamedLine>,
}

/// One checkpoint in the line of time: which run and turn, who, and the file's path there.
struct Step {
    /// Whether it is its run's first: the files before the run changed them.
    first: bool,
    at: u64,
    run: RunId,
    turn: u64,
    author: String,
    commit: String,
    path: String,
}

/// What a line is attributed to while walking: a step, or the workspace as it is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Step(usize),
    Now,
}

/// A change of lines between two versions of a file (`@@ -old_start,old_len +…,new_len @@`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hunk {
    old_start: usize,
    old_len: usize,
    new_len: usize,
}

/// Blames `file` (a path here, inside the workspace of one or more runs of `store`).
pub fn blame(store: &Store, file: &Path) -> Result<Blame, EngineError> {
    blame_as(store, file, file)
}

/// [`blame`] of `file`, named `shown` in errors (the path as the person wrote it, where
/// `file` is resolved against their directory by a daemon serving them).
pub fn blame_as(store: &Store, file: &Path, shown: &Path) -> Result<Blame, EngineError> {
    let shown = shown.display().to_string();
    let cannot = |why: String| EngineError::CannotBlame {
        path: shown.clone(),
        why,
    };
    let path = std::fs::canonicalize(file)
        .map_err(|e| cannot(format!("{e}; blame reads the lines a file has now")))?;
    if std::fs::canonicalize(store.dir()).is_ok_and(|store| path.starts_with(store)) {
        return Err(cannot(
            "it is in the store, which no checkpoint records".into(),
        ));
    }
    if path.is_dir() {
        return Err(cannot("it is a directory; name one of its files".into()));
    }
    let bytes = std::fs::read(&path).map_err(|e| cannot(e.to_string()))?;
    if bytes.contains(&0) {
        return Err(cannot("it is a binary file; blame reads text".into()));
    }
    let (steps, place) = steps(store, &path)?;
    let Some((workspace, relative)) = place else {
        return Err(cannot(format!(
            "it is in the workspace of no run in the store at {}",
            store.dir().display()
        )));
    };
    let text = String::from_utf8_lossy(&bytes);
    let tags = if steps.is_empty() {
        Vec::new()
    } else {
        let recorded = Recorded::open(store)?;
        if ignored(&recorded, &workspace, &relative) {
            return Err(cannot(
                "the workspace's .gitignore ignores it, so no checkpoint records it".into(),
            ));
        }
        walk(&recorded, &steps, &path)?
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    if !steps.is_empty() && tags.len() != lines.len() {
        return Err(cannot(format!(
            "its history has {} lines where the file has {}; this is a bug in duet, please \
             report it",
            tags.len(),
            lines.len()
        )));
    }
    let lines = lines
        .iter()
        .enumerate()
        .map(|(at, line)| BlamedLine {
            number: at + 1,
            text: line
                .trim_end_matches('\n')
                .trim_end_matches('\r')
                .to_string(),
            by: match tags.get(at) {
                None => LineOrigin::Unchanged,
                // The oldest record of the workspace, before any run changed it.
                Some(Tag::Step(0)) if steps[0].first => LineOrigin::Unchanged,
                Some(Tag::Step(n)) => LineOrigin::Turn {
                    run: steps[*n].run,
                    turn: steps[*n].turn,
                    author: steps[*n].author.clone(),
                },
                Some(Tag::Now) => LineOrigin::Outside,
            },
        })
        .collect();
    Ok(Blame {
        path: relative,
        lines,
    })
}

/// Whether the checkpoints of `workspace` leave `relative` out: `.gitignore` ignores it, or
/// it lies in `.git`.
fn ignored(recorded: &Recorded, workspace: &Path, relative: &str) -> bool {
    relative == ".git"
        || relative.starts_with(".git/")
        || recorded
            .git()
            .arg("--work-tree")
            .arg(workspace)
            .current_dir(workspace)
            .args(["check-ignore", "--quiet", "--no-index", "--", relative])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
}

/// Where a file lies: its run's workspace, and its path there.
type Place = (std::path::PathBuf, String);

/// Every checkpoint of the current branch of the runs whose workspace holds `path`, in the
/// line of time, with where it lies (`None`: no run's workspace holds it).
fn steps(store: &Store, path: &Path) -> Result<(Vec<Step>, Option<Place>), EngineError> {
    let runs = store.runs().map_err(|source| EngineError::Store {
        run: None,
        source: Box::new(source),
    })?;
    let mut steps = Vec::new();
    let mut relative = None;
    for record in runs {
        let (manifest, _) = Manifest::load(store, record.id, &record)?;
        // A workspace that is gone holds no file.
        let Ok(workspace) = std::fs::canonicalize(&manifest.workspace) else {
            continue;
        };
        let Ok(inside) = path.strip_prefix(&workspace) else {
            continue;
        };
        let inside = inside.to_string_lossy().into_owned();
        let checkpoints = branch_checkpoints(store, record.id, &record.current_branch)?;
        for (n, checkpoint) in checkpoints.into_iter().enumerate() {
            steps.push(Step {
                first: n == 0,
                at: checkpoint.at,
                run: record.id,
                turn: checkpoint.turn,
                author: checkpoint.author,
                commit: checkpoint.commit,
                path: inside.clone(),
            });
        }
        relative.get_or_insert((workspace, inside));
    }
    steps.sort_by_key(|step| (step.at, step.run, step.turn));
    Ok((steps, relative))
}

/// Walks the line of time and then the file as it is now (at `path`): who each of its lines
/// comes from.
fn walk(recorded: &Recorded, steps: &[Step], path: &Path) -> Result<Vec<Tag>, EngineError> {
    let blobs = blobs(recorded, steps)?;
    let empty = recorded.output(recorded.git().args(["hash-object", "-w", "--stdin"]))?;
    let mut tags = Vec::new();
    let mut last: Option<&str> = None;
    for (n, blob) in blobs.iter().enumerate() {
        if blob.as_deref() == last {
            continue;
        }
        match blob {
            // Deleted: whatever comes back later is new.
            None => tags.clear(),
            Some(blob) => {
                let hunks = hunks(recorded, last.unwrap_or(&empty), blob)?;
                tags = apply(&tags, &hunks, Tag::Step(n)).ok_or_else(|| garbled(blob))?;
            }
        }
        last = blob.as_deref();
    }
    let now = recorded.output(
        recorded
            .git()
            .args(["hash-object", "-w", "--no-filters", "--"])
            .arg(path),
    )?;
    if last != Some(now.as_str()) {
        let hunks = hunks(recorded, last.unwrap_or(&empty), &now)?;
        tags = apply(&tags, &hunks, Tag::Now).ok_or_else(|| garbled(&now))?;
    }
    Ok(tags)
}

fn garbled(blob: &str) -> EngineError {
    EngineError::Checkpoints {
        why: format!("git's line diff of {blob} does not fit the lines before it"),
    }
}

/// The file's blob at each step (`None`: it did not exist there), asked of git in one go.
fn blobs(recorded: &Recorded, steps: &[Step]) -> Result<Vec<Option<String>>, EngineError> {
    let failed = |why: String| EngineError::Checkpoints { why };
    let mut child = recorded
        .git()
        .args(["cat-file", "--batch-check"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("cannot run git: {e}")))?;
    let mut asked = String::new();
    for step in steps {
        asked.push_str(&format!("{}:{}\n", step.commit, step.path));
    }
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Written from another thread: git answers as it reads, and its answers fill a pipe.
    let writer = std::thread::spawn(move || stdin.write_all(asked.as_bytes()));
    let out = child
        .wait_with_output()
        .map_err(|e| failed(format!("cannot run git: {e}")))?;
    let written = writer.join().unwrap_or(Ok(()));
    if !out.status.success() || written.is_err() {
        return Err(failed(format!(
            "git cat-file failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let answers: Vec<Option<String>> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(
            |line| match line.split(' ').collect::<Vec<_>>().as_slice() {
                [blob, "blob", _] => Some(blob.to_string()),
                // Missing, or not a file there (a directory): no lines.
                _ => None,
            },
        )
        .collect();
    if answers.len() != steps.len() {
        return Err(failed(format!(
            "git cat-file answered {} of {} questions",
            answers.len(),
            steps.len()
        )));
    }
    Ok(answers)
}

/// The changed line ranges from blob `old` to blob `new`.
fn hunks(recorded: &Recorded, old: &str, new: &str) -> Result<Vec<Hunk>, EngineError> {
    let diff = recorded.output(recorded.git().args([
        "diff",
        "-U0",
        "--text",
        "--no-color",
        "--no-ext-diff",
        old,
        new,
    ]))?;
    Ok(diff.lines().filter_map(parse_hunk).collect())
}

/// A hunk's header: `@@ -A[,B] +C[,D] @@…`.
fn parse_hunk(line: &str) -> Option<Hunk> {
    let rest = line.strip_prefix("@@ -")?;
    let (old, rest) = rest.split_once(" +")?;
    let (new, _) = rest.split_once(" @@")?;
    let range = |r: &str| -> Option<(usize, usize)> {
        match r.split_once(',') {
            Some((start, len)) => Some((start.parse().ok()?, len.parse().ok()?)),
            None => Some((r.parse().ok()?, 1)),
        }
    };
    let (old_start, old_len) = range(old)?;
    let (_, new_len) = range(new)?;
    Some(Hunk {
        old_start,
        old_len,
        new_len,
    })
}

/// The lines' tags after `hunks` changed them: kept lines keep theirs, new ones get `tag`.
/// `None` when the hunks do not fit (they name lines `old` has not).
fn apply(old: &[Tag], hunks: &[Hunk], tag: Tag) -> Option<Vec<Tag>> {
    let mut new = Vec::with_capacity(old.len());
    let mut at = 0;
    for hunk in hunks {
        // A hunk taking no lines comes after its start line; one taking some, at it.
        let start = if hunk.old_len == 0 {
            hunk.old_start
        } else {
            hunk.old_start.checked_sub(1)?
        };
        new.extend_from_slice(old.get(at..start)?);
        new.extend(std::iter::repeat_n(tag, hunk.new_len));
        at = start + hunk.old_len;
    }
    new.extend_from_slice(old.get(at..)?);
    Some(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunk_headers_read_with_and_without_lengths() {
        assert_eq!(
            parse_hunk("@@ -3,2 +3 @@ fn x"),
            Some(Hunk {
                old_start: 3,
                old_len: 2,
                new_len: 1
            })
        );
        assert_eq!(
            parse_hunk("@@ -0,0 +1,4 @@"),
            Some(Hunk {
                old_start: 0,
                old_len: 0,
                new_len: 4
            })
        );
        assert_eq!(parse_hunk("+@@ -1 +1 @@"), None);
        assert_eq!(parse_hunk("@@ -x +1 @@"), None);
    }

    #[test]
    fn kept_lines_keep_their_tags_and_new_ones_take_the_step() {
        let old = [Tag::Step(0), Tag::Step(0), Tag::Step(0), Tag::Step(0)];
        // Line 2 replaced by two lines, a line inserted after line 4, line 1 kept.
        let hunks = [
            Hunk {
                old_start: 2,
                old_len: 1,
                new_len: 2,
            },
            Hunk {
                old_start: 4,
                old_len: 0,
                new_len: 1,
            },
        ];
        assert_eq!(
            apply(&old, &hunks, Tag::Step(1)),
            Some(vec![
                Tag::Step(0),
                Tag::Step(1),
                Tag::Step(1),
                Tag::Step(0),
                Tag::Step(0),
                Tag::Step(1)
            ])
        );
        // Deleting the first line; inserting before the first.
        let deleted = [Hunk {
            old_start: 1,
            old_len: 1,
            new_len: 0,
        }];
        assert_eq!(apply(&old, &deleted, Tag::Now), Some(vec![Tag::Step(0); 3]));
        let first = [Hunk {
            old_start: 0,
            old_len: 0,
            new_len: 1,
        }];
        assert_eq!(
            apply(&old[..1], &first, Tag::Now),
            Some(vec![Tag::Now, Tag::Step(0)])
        );
    }

    #[test]
    fn hunks_that_do_not_fit_are_refused() {
        let beyond = [Hunk {
            old_start: 9,
            old_len: 1,
            new_len: 1,
        }];
        assert_eq!(apply(&[Tag::Now], &beyond, Tag::Step(1)), None);
    }
}
