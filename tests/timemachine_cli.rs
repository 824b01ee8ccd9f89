//! The time machine over a run's workspace, through the `duet` command: `diff`, `blame`,
//! `branches`, `switch` and `history`'s files, on real runs whose `shell`, `write-file` and
//! stand-in `claude` agents change files.

mod support;

use std::path::Path;
use std::process::Output;

use support::{command, duet, json_lines, script, temp, text};

/// Held by every test that writes a script: a script written while another thread forks
/// could be held open by the child and fail to run ("text file busy").
static SPAWNING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn write(dir: &Path, name: &str, body: &str) {
    std::fs::write(dir.join(name), body).expect("a file");
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stderr),
        text(&out.stdout)
    );
}

/// The checkpoint turns of `run`'s current branch, from `duet history --json`: (turn, who,
/// files).
fn checkpoints(dir: &Path, run: &str) -> Vec<(u64, String, Vec<String>)> {
    let history = duet(dir, &["history", run, "--json"]);
    ok(&history);
    json_lines(&history)
        .into_iter()
        .filter(|t| t.get("files").is_some())
        .map(|t| {
            let files = t["files"].as_array().expect("files").iter();
            (
                t["turn"].as_u64().expect("a turn"),
                t["by"].as_str().expect("who").to_string(),
                files
                    .map(|f| f.as_str().expect("a path").to_string())
                    .collect(),
            )
        })
        .collect()
}

const EDIT: &str = r#"(workflow edit
  (state s
    (write-file "notes.txt" "one\ntwo\nthree\n")
    (shell "sed -i 's/two/TWO/' notes.txt && rm gone.txt && echo new > added.txt")
    (terminal)))
"#;

const GRANTS: [&str; 4] = ["--allow", "shell", "--allow", "workspace/write"];

fn run(dir: &Path, file: &str) -> Output {
    let mut args = vec!["run"];
    args.extend(GRANTS);
    args.push(file);
    duet(dir, &args)
}

#[test]
fn diff_shows_one_turns_changes_or_the_whole_runs() {
    let dir = temp("tm-diff");
    write(&dir, "notes.txt", "before\n");
    write(&dir, "gone.txt", "bye\n");
    write(&dir, "edit.lisp", EDIT);
    ok(&run(&dir, "edit.lisp"));
    let turns = checkpoints(&dir, "r1");
    let who: Vec<&str> = turns.iter().map(|(_, by, _)| by.as_str()).collect();
    assert_eq!(who, ["person", "write-file", "shell"], "{turns:?}");

    // The whole run: the files before it against its last checkpoint.
    let whole = duet(&dir, &["diff", "r1"]);
    ok(&whole);
    let patch = text(&whole.stdout);
    for line in ["-before", "+one", "+TWO", "+three", "-bye", "+new"] {
        assert!(patch.lines().any(|l| l == line), "{line} in {patch}");
    }
    assert!(!patch.lines().any(|l| l == "+two"), "{patch}");
    assert!(text(&whole.stderr).contains("3 files changed"));

    // One turn: the shell's checkpoint against the write-file's.
    let shell_turn = turns[2].0.to_string();
    let one = duet(&dir, &["diff", "r1", "--turn", &shell_turn]);
    ok(&one);
    let patch = text(&one.stdout);
    assert!(patch.contains("-two\n+TWO\n"), "{patch}");
    assert!(!patch.contains("before"), "{patch}");
    assert!(
        text(&one.stderr).contains("by shell"),
        "{}",
        text(&one.stderr)
    );

    // As JSON: the files with how each changed, and the same patch.
    let json = duet(&dir, &["diff", "r1", "--turn", &shell_turn, "--json"]);
    ok(&json);
    let object = &json_lines(&json)[0];
    assert_eq!(
        object["files"],
        serde_json::json!([
            {"status": "added", "path": "added.txt"},
            {"status": "deleted", "path": "gone.txt"},
            {"status": "modified", "path": "notes.txt"},
        ])
    );
    assert_eq!(object["to"]["by"], "shell");
    assert_eq!(object["from"]["turn"], turns[1].0);
    assert_eq!(object["patch"].as_str(), Some(patch.as_str()));

    // A turn without a checkpoint is a usage error naming the turns that have one.
    let effect_turn = (turns[2].0 - 1).to_string();
    let none = duet(&dir, &["diff", "r1", "--turn", &effect_turn]);
    assert_eq!(none.status.code(), Some(2));
    let with: Vec<String> = turns.iter().map(|(t, _, _)| t.to_string()).collect();
    let said = text(&none.stderr);
    assert!(
        said.contains(&format!("turn {effect_turn} recorded no checkpoint"))
            && said.contains(&format!("the turns with one are {}", with.join(", "))),
        "{said}"
    );
    assert!(none.stdout.is_empty());
}

#[test]
fn diff_errors_are_clear_and_a_run_that_changed_nothing_has_an_empty_diff() {
    let dir = temp("tm-diff-errors");
    write(&dir, "edit.lisp", EDIT);
    write(&dir, "gone.txt", "bye\n");
    ok(&run(&dir, "edit.lisp"));
    let unknown = duet(&dir, &["diff", "r9"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("no run `r9`"));
    let usage = duet(&dir, &["diff"]);
    assert_eq!(usage.status.code(), Some(2));

    // Without git the checkpoints cannot be read: a failure that says what to install.
    let no_git = command(&dir, &["diff", "r1"])
        .env("PATH", dir.join("no-such-bin"))
        .output()
        .expect("duet runs");
    assert_eq!(no_git.status.code(), Some(1));
    assert!(
        text(&no_git.stderr).contains("git cannot be run here; install git"),
        "{}",
        text(&no_git.stderr)
    );

    // A run whose effects cannot change files has no checkpoint and nothing to show.
    write(
        &dir,
        "quiet.lisp",
        "(workflow quiet (state s (println \"hi\") (terminal)))\n",
    );
    ok(&duet(&dir, &["run", "quiet.lisp"]));
    let quiet = duet(&dir, &["diff", "r2"]);
    ok(&quiet);
    assert!(quiet.stdout.is_empty());
    assert!(text(&quiet.stderr).contains("has no checkpoint"));
    let turn = duet(&dir, &["diff", "r2", "--turn", "1"]);
    assert_eq!(turn.status.code(), Some(2));
    assert!(text(&turn.stderr).contains("no turn of it did"));
}

#[test]
fn blame_names_the_run_turn_and_role_that_last_changed_each_line() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("tm-blame");
    write(&dir, "notes.txt", "kept\nold\n");
    write(&dir, "untouched.txt", "a\nb\n");
    // A stand-in `claude` that appends a line to the notes and says so.
    script(
        &dir.join("agent"),
        r#"cat > /dev/null
echo "by the coder" >> notes.txt
echo '{"type":"result","subtype":"success","is_error":false,"result":"appended"}'"#,
    );
    write(
        &dir,
        "work.lisp",
        r#"(workflow work
  (roles (coder :agent-kind "claude-code" :command "./agent"))
  (state s
    (shell "sed -i 's/old/by the shell/' notes.txt")
    (println (prompt coder "add a line"))
    (terminal)))
"#,
    );
    ok(&run(&dir, "work.lisp"));
    let turns = checkpoints(&dir, "r1");
    let who: Vec<&str> = turns.iter().map(|(_, by, _)| by.as_str()).collect();
    assert_eq!(who, ["person", "shell", "coder"], "{turns:?}");
    // A person adds a line by hand; a second run changes the first line.
    std::fs::write(
        dir.join("notes.txt"),
        format!("{}by hand\n", read(&dir, "notes.txt")),
    )
    .expect("an edit");
    write(
        &dir,
        "again.lisp",
        "(workflow again (state s (shell \"sed -i 's/kept/rewritten/' notes.txt\") (terminal)))\n",
    );
    let blamed = duet(&dir, &["blame", "notes.txt", "--json"]);
    ok(&blamed);
    let lines = json_lines(&blamed);
    let said: Vec<(&str, &str, Option<u64>)> = lines
        .iter()
        .map(|l| {
            (
                l["text"].as_str().expect("text"),
                l["origin"].as_str().expect("origin"),
                l["turn"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        said,
        [
            ("kept", "unchanged", None),
            ("by the shell", "turn", Some(turns[1].0)),
            ("by the coder", "turn", Some(turns[2].0)),
            ("by hand", "outside", None),
        ]
    );
    assert_eq!(lines[2]["by"], "coder");
    assert_eq!(lines[2]["run"], "r1");
    assert_eq!(lines[3]["by"], "person");

    ok(&run(&dir, "again.lisp"));
    let second = checkpoints(&dir, "r2");
    let blamed = duet(&dir, &["blame", "notes.txt"]);
    ok(&blamed);
    let human = text(&blamed.stdout);
    let rows: Vec<&str> = human.lines().collect();
    assert_eq!(rows.len(), 4, "{human}");
    // The latest checkpoint wins: r2's shell rewrote line 1; the hand-made line was found
    // by r2's first checkpoint, the files as a person left them.
    assert!(
        rows[0].starts_with(&format!("r2 turn {} shell", second[1].0)),
        "{human}"
    );
    assert!(rows[0].ends_with("1  rewritten"), "{human}");
    assert!(
        rows[1].starts_with(&format!("r1 turn {} shell", turns[1].0)),
        "{human}"
    );
    assert!(
        rows[2].starts_with(&format!("r1 turn {} coder", turns[2].0)),
        "{human}"
    );
    assert!(
        rows[3].starts_with(&format!("r2 turn {} person", second[0].0)),
        "{human}"
    );

    // A file that was there before the runs, and that none changed: every line says so.
    let untouched = duet(&dir, &["blame", "untouched.txt"]);
    ok(&untouched);
    assert_eq!(
        text(&untouched.stdout),
        "not changed by duet  1  a\nnot changed by duet  2  b\n"
    );
}

#[test]
fn blame_refuses_what_it_cannot_tell_about() {
    let dir = temp("tm-blame-errors");
    write(&dir, "edit.lisp", EDIT);
    write(&dir, "gone.txt", "bye\n");
    ok(&run(&dir, "edit.lisp"));
    let missing = duet(&dir, &["blame", "nope.txt"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot blame nope.txt"));
    let outside = temp("tm-blame-outside");
    write(&outside, "far.txt", "x\n");
    let far = outside.join("far.txt");
    let far = duet(&dir, &["blame", far.to_str().expect("a path")]);
    assert_eq!(far.status.code(), Some(2));
    assert!(text(&far.stderr).contains("in the workspace of no run"));
    std::fs::write(dir.join("bin.dat"), [0u8, 1, 2]).expect("a binary");
    let binary = duet(&dir, &["blame", "bin.dat"]);
    assert_eq!(binary.status.code(), Some(2));
    assert!(text(&binary.stderr).contains("binary"));
    let directory = duet(&dir, &["blame", "."]);
    assert_eq!(directory.status.code(), Some(2));
    write(&dir, ".gitignore", "*.log\n");
    write(&dir, "build.log", "x\n");
    let ignored = duet(&dir, &["blame", "build.log"]);
    assert_eq!(ignored.status.code(), Some(2));
    assert!(text(&ignored.stderr).contains(".gitignore ignores it"));
    let in_store = duet(&dir, &["blame", ".duet/checkpoints.git/HEAD"]);
    assert_eq!(in_store.status.code(), Some(2));
    assert!(text(&in_store.stderr).contains("it is in the store"));
    let no_store = duet(&outside, &["blame", "far.txt"]);
    assert_eq!(no_store.status.code(), Some(2));
    assert!(text(&no_store.stderr).contains("there is no store"));
}

const PICK: &str = r#"(workflow pick
  (state s
    (write-file "base.txt" "base")
    (let [word (ask-user "Which word?")]
      (write-file "word.txt" word)
      (shell "rm base.txt"))
    (terminal)))
"#;

#[test]
fn branches_and_switch_put_each_branchs_files_and_state_back() {
    let dir = temp("tm-switch");
    write(&dir, ".gitignore", "*.log\n");
    write(&dir, "build.log", "ignored\n");
    write(&dir, "pick.lisp", PICK);
    let mut args = vec!["run"];
    args.extend(GRANTS);
    args.push("pick.lisp");
    let waiting = duet(&dir, &args);
    assert_eq!(waiting.status.code(), Some(3), "{}", text(&waiting.stderr));
    let asked_at = checkpoints(&dir, "r1").last().expect("a checkpoint").0;
    ok(&duet(&dir, &["answer", "r1", "alpha"]));
    assert_eq!(read(&dir, "word.txt"), "alpha");
    assert!(!dir.join("base.txt").exists());

    // A person adds a file; the fork keeps it on main, then puts the files back.
    write(&dir, "mine.txt", "by hand\n");
    let at = asked_at.to_string();
    let fork = duet(&dir, &["fork", "r1", "--at", &at, "--name", "beta"]);
    ok(&fork);
    assert!(
        text(&fork.stderr).contains("1 file changed outside duet"),
        "{}",
        text(&fork.stderr)
    );
    assert_eq!(read(&dir, "base.txt"), "base");
    assert!(!dir.join("word.txt").exists() && !dir.join("mine.txt").exists());

    // Branches: the current one marked, each with its head and fork point.
    let listed = duet(&dir, &["branches", "r1", "--json"]);
    ok(&listed);
    let branches = json_lines(&listed);
    assert_eq!(branches.len(), 2);
    assert_eq!(branches[0]["branch"], "main");
    assert_eq!(branches[0]["current"], false);
    assert_eq!(branches[0]["fork"], serde_json::Value::Null);
    assert_eq!(branches[1]["branch"], "beta");
    assert_eq!(branches[1]["current"], true);
    assert_eq!(branches[1]["head"], asked_at);
    assert_eq!(
        branches[1]["fork"],
        serde_json::json!({"branch": "main", "turn": asked_at})
    );
    let main_head = branches[0]["head"].as_u64().expect("a head");
    let human = text(&duet(&dir, &["branches", "r1"]).stdout);
    assert!(
        human.contains(&format!("* beta  head turn {asked_at}")),
        "{human}"
    );
    assert!(
        human.contains(&format!("fork point main turn {asked_at}")),
        "{human}"
    );

    // Switching to main brings its files back, the person's file with them.
    let to_main = duet(&dir, &["switch", "r1", "main"]);
    ok(&to_main);
    assert!(text(&to_main.stderr).contains(&format!("at turn {main_head}")));
    assert_eq!(read(&dir, "word.txt"), "alpha");
    assert_eq!(read(&dir, "mine.txt"), "by hand\n");
    assert!(!dir.join("base.txt").exists());
    assert_eq!(
        read(&dir, "build.log"),
        "ignored\n",
        "ignored files are left alone"
    );
    let status = text(&duet(&dir, &["status", "r1"]).stdout);
    assert!(status.contains("branch main"), "{status}");
    ok(&duet(&dir, &["replay", "r1"]));

    // And back to beta: its files, and its state, which waits for the question again.
    ok(&duet(&dir, &["switch", "r1", "beta"]));
    assert_eq!(read(&dir, "base.txt"), "base");
    assert!(!dir.join("word.txt").exists() && !dir.join("mine.txt").exists());
    let answered = duet(&dir, &["answer", "r1", "beta"]);
    ok(&answered);
    assert_eq!(read(&dir, "word.txt"), "beta");
    assert!(!dir.join("base.txt").exists());
    assert_eq!(read(&dir, "build.log"), "ignored\n");

    // Switching to the current branch changes nothing; an unknown one is a usage error.
    let same = duet(&dir, &["switch", "r1", "beta"]);
    ok(&same);
    assert!(text(&same.stderr).contains("already"));
    let unknown = duet(&dir, &["switch", "r1", "gamma"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("its branches are: beta, main"),
        "{}",
        text(&unknown.stderr)
    );
    let no_run = duet(&dir, &["branches", "r7"]);
    assert_eq!(no_run.status.code(), Some(2));
}

#[test]
fn history_lists_the_files_each_turn_changed_and_who_changed_them() {
    let dir = temp("tm-history");
    write(&dir, "pick.lisp", PICK);
    let mut args = vec!["run"];
    args.extend(GRANTS);
    args.push("pick.lisp");
    assert_eq!(duet(&dir, &args).status.code(), Some(3));
    // While no process follows the run, a person edits a file: before the run's next change
    // the edit is recorded as theirs.
    write(&dir, "base.txt", "base, edited by hand");
    ok(&duet(&dir, &["answer", "r1", "alpha"]));
    let turns = checkpoints(&dir, "r1");
    let summary: Vec<(&str, Vec<&str>)> = turns
        .iter()
        .map(|(_, by, files)| (by.as_str(), files.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        summary,
        [
            ("person", vec!["pick.lisp"]),
            ("write-file", vec!["base.txt"]),
            ("person", vec!["base.txt"]),
            ("write-file", vec!["word.txt"]),
            ("shell", vec!["base.txt"]),
        ]
    );
    let human = text(&duet(&dir, &["history", "r1"]).stdout);
    assert!(
        human.contains("files before the run changed them: pick.lisp"),
        "{human}"
    );
    assert!(
        human.contains("files changed by person: base.txt"),
        "{human}"
    );
    assert!(
        human.contains("files changed by write-file: word.txt"),
        "{human}"
    );
    assert!(
        human.contains("files changed by shell: base.txt"),
        "{human}"
    );
    // The person's edit is theirs in the diff of its turn.
    let person_turn = turns[2].0.to_string();
    let diff = duet(&dir, &["diff", "r1", "--turn", &person_turn]);
    ok(&diff);
    assert!(text(&diff.stdout).contains("+base, edited by hand"));
    ok(&duet(&dir, &["replay", "r1"]));
}

#[test]
fn a_file_that_becomes_ignored_leaves_the_checkpoints() {
    let dir = temp("tm-ignored");
    write(
        &dir,
        "ignore.lisp",
        r#"(workflow ignore
  (state s
    (shell "echo x > build.out")
    (shell "echo '*.out' > .gitignore && echo y > notes.txt")
    (terminal)))
"#,
    );
    ok(&run(&dir, "ignore.lisp"));
    let turns = checkpoints(&dir, "r1");
    assert_eq!(turns[1].2, ["build.out"], "{turns:?}");
    let last = turns[2].0.to_string();
    let diff = duet(&dir, &["diff", "r1", "--turn", &last, "--json"]);
    ok(&diff);
    // As a checkpoint taken afresh: the ignored file is no longer recorded, and stays.
    assert_eq!(
        json_lines(&diff)[0]["files"],
        serde_json::json!([
            {"status": "added", "path": ".gitignore"},
            {"status": "deleted", "path": "build.out"},
            {"status": "added", "path": "notes.txt"},
        ])
    );
    assert_eq!(read(&dir, "build.out"), "x\n");
}
