//! Isolated attempts (LANGUAGE.md §8) through `duet run`, `back`, `resume` and `replay`:
//! stand-in `claude` scripts (role `:command`, outside the workspace) write files in the
//! directory they are started in and log what they see there, in a log outside the
//! workspace.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod support;
use support::{duet, script, temp, text};

/// Held by every test here: a script written while another thread forks could be held open
/// by the child and fail to run ("text file busy").
static SPAWNING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A stand-in `claude` at `state/claude`: it writes `ROLE.txt`, appends its role to
/// `shared.txt`, then waits (up to 20 s) until every role in `roles` has written, lists the
/// directory it runs in and logs `ROLE PWD FILES…` to `state/log`. Its reply names its role.
fn writing_agent(state: &Path, roles: &[&str]) -> PathBuf {
    let path = state.join("claude");
    let waits: String = roles
        .iter()
        .map(|r| format!("[ -e '{}/wrote-{r}' ] && ", state.display()))
        .collect();
    script(
        &path,
        &format!(
            r#"cat > /dev/null
echo "$DUET_ROLE was here" > "$DUET_ROLE.txt"
echo "$DUET_ROLE" >> shared.txt
touch '{state}/wrote-'"$DUET_ROLE"
i=0; while ! {{ {waits}true; }} && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
echo "$DUET_ROLE $(pwd) attempt=$DUET_ATTEMPT $(ls -A | tr '\n' ' ')" >> '{state}/log'
echo '{{"type":"result","subtype":"success","is_error":false,"result":"'"$DUET_ROLE"' tried","session_id":"s-'"$DUET_ROLE"'"}}'"#,
            state = state.display()
        ),
    );
    path
}

/// The lines of `state/log`.
fn log(state: &Path) -> Vec<String> {
    let log = std::fs::read_to_string(state.join("log")).unwrap_or_default();
    log.lines().map(str::to_string).collect()
}

/// The number of the last turn of `run`.
fn last_turn(dir: &Path, run: &str) -> u64 {
    let history = text(&duet(dir, &["history", run]).stdout);
    history
        .lines()
        .filter_map(|l| l.split('\t').next()?.parse().ok())
        .max()
        .expect("turns")
}

/// The number of the first turn of `run` whose history line mentions `needle`.
fn turn_mentioning(dir: &Path, run: &str, needle: &str) -> u64 {
    let history = text(&duet(dir, &["history", run]).stdout);
    let line = history
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no turn mentions {needle:?}:\n{history}"));
    line.split('\t').next().unwrap().parse().expect("a turn")
}

/// The files of `dir` (not `.duet`), sorted, each with its text.
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("the workspace")
        .flatten()
        .filter(|e| e.file_name() != ".duet" && e.path().is_file())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(e.path()).unwrap_or_default())
        })
        .collect();
    found.sort();
    found
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn three_attempts_in_parallel_do_not_see_each_other_and_adopt_leaves_exactly_one() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("attempts-trio");
    let state = temp("attempts-trio-state");
    let claude = writing_agent(&state, &["a", "b", "c"]);
    std::fs::write(dir.join("shared.txt"), "base\n").unwrap();
    std::fs::write(
        dir.join("trio.lisp"),
        format!(
            r#"(workflow trio
  (roles (a :agent-kind "claude-code" :command "{claude}")
         (b :agent-kind "claude-code" :command "{claude}")
         (c :agent-kind "claude-code" :command "{claude}"))
  (state go
    (let [tries (parallel
                  (isolated (prompt a "try"))
                  (isolated (prompt b "try"))
                  (isolated (prompt c "try")))]
      (println (map attempt-value tries))
      (println (map attempt-files tries))
      (println (adopt (nth tries 1)))
      (terminal))))
"#,
            claude = claude.display()
        ),
    )
    .unwrap();
    let out = duet(&dir, &["run", "--allow", "shell", "trio.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "(\"a tried\" \"b tried\" \"c tried\")\n\
         ([\"a.txt\" \"shared.txt\"] [\"b.txt\" \"shared.txt\"] [\"c.txt\" \"shared.txt\"])\n\
         [\"b.txt\" \"shared.txt\"]\n"
    );
    // Each agent ran while the other two had written, in a copy of its own that held only
    // its own file (and the copy's repository) beside the workspace's.
    let seen = log(&state);
    assert_eq!(seen.len(), 3, "{seen:?}");
    let workspace = std::fs::canonicalize(&dir).unwrap();
    let mut places = Vec::new();
    for role in ["a", "b", "c"] {
        let line = seen
            .iter()
            .find(|l| l.starts_with(&format!("{role} ")))
            .unwrap_or_else(|| panic!("{role} ran: {seen:?}"));
        let mut fields = line.split(' ');
        let (_, place, attempt) = (fields.next(), fields.next().unwrap(), fields.next());
        let mut listed: Vec<&str> = fields.filter(|f| !f.is_empty()).collect();
        listed.sort();
        let mut expected = vec![".git", "shared.txt", "trio.lisp"];
        let own = format!("{role}.txt");
        expected.push(&own);
        expected.sort();
        assert_eq!(listed, expected, "{role} saw only its own file: {line}");
        assert!(
            attempt.is_some_and(|a| a.starts_with("attempt=") && a.len() > 8),
            "{line}"
        );
        assert_ne!(Path::new(place), workspace, "{role} ran in a copy");
        places.push(place.to_string());
    }
    places.sort();
    places.dedup();
    assert_eq!(places.len(), 3, "three copies: {places:?}");
    // Adopting b's attempt left exactly its changes; a's and c's left nothing; the copies
    // are gone.
    assert_eq!(
        files(&dir),
        pairs(&[
            ("b.txt", "b was here\n"),
            ("shared.txt", "base\nb\n"),
            (
                "trio.lisp",
                &std::fs::read_to_string(dir.join("trio.lisp")).unwrap()
            ),
        ])
    );
    for place in &places {
        assert!(!Path::new(place).exists(), "{place} was removed");
    }
    assert!(!dir.join(".duet/worktrees").exists());
    // The adoption is a checkpoint of its own, attributed to the attempt.
    let history = text(&duet(&dir, &["history", "r1"]).stdout);
    assert!(
        history
            .lines()
            .any(|l| l.contains("files changed by attempt-") && l.ends_with(": b.txt, shared.txt")),
        "{history}"
    );
    let recorded: Vec<&str> = history
        .lines()
        .filter(|l| l.contains("\tattempt ") && l.contains(" checkpoint "))
        .collect();
    assert_eq!(
        recorded.len(),
        3,
        "each attempt's copy was checkpointed: {history}"
    );
    for role in ["a", "b", "c"] {
        assert!(
            recorded
                .iter()
                .any(|l| l.contains(&format!(" by {role}: {role}.txt, shared.txt"))),
            "{history}"
        );
    }
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));

    // Back to before the adoption: the workspace is as the attempts left it, untouched;
    // resumed, the adoption is made again from the journaled attempts, no agent re-asked.
    let adopted = turn_mentioning(&dir, "r1", "answered: [\"b.txt\" \"shared.txt\"]");
    let count = last_turn(&dir, "r1") - adopted + 1;
    let back = duet(&dir, &["back", "r1", "--count", &count.to_string()]);
    assert_eq!(back.status.code(), Some(0), "{}", text(&back.stderr));
    assert_eq!(
        files(&dir),
        pairs(&[
            ("shared.txt", "base\n"),
            (
                "trio.lisp",
                &std::fs::read_to_string(dir.join("trio.lisp")).unwrap()
            ),
        ])
    );
    let resumed = duet(&dir, &["resume", "r1"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    assert_eq!(files(&dir)[0], ("b.txt".into(), "b was here\n".into()));
    assert_eq!(log(&state).len(), 3, "no agent was asked again");
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
}

#[test]
fn adopting_over_changes_made_since_is_a_conflict_that_names_the_files() {
    let dir = temp("attempts-conflict");
    std::fs::write(dir.join("notes.txt"), "one\n").unwrap();
    std::fs::write(dir.join("other.txt"), "x\n").unwrap();
    std::fs::write(
        dir.join("clash.lisp"),
        r#"(workflow clash
  (state go
    (let [edit (isolated (write-file "notes.txt" "attempt\n") (write-file "new.txt" "n\n") :edited)
          fails (try (isolated (write-file "lost.txt" "l\n") (throw (error "gave up")))
                     (catch e (str "caught: " (field e 1))))]
      (println (attempt-value edit) fails)
      (write-file "notes.txt" "by hand\n")
      (write-file "other.txt" "y\n")
      (println (try (adopt edit) (catch e (str (field e 0) " " (field e 1)))))
      (write-file "notes.txt" "one\n")
      (println (adopt edit))
      (println (adopt edit))
      (terminal))))
"#,
    )
    .unwrap();
    let out = duet(&dir, &["run", "--allow", "workspace/write", "clash.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines[0], ":edited caught: gave up", "{printed}");
    // notes.txt changed in the workspace since the attempt began: nothing is applied.
    assert!(
        lines[1].starts_with(":conflict `adopt` of attempt ")
            && lines[1].contains(": notes.txt changed in the workspace since the attempt began"),
        "{printed}"
    );
    // Put back as it was, the attempt applies; other.txt's own change is kept; adopting
    // again changes nothing more.
    assert_eq!(lines[2], "[\"new.txt\" \"notes.txt\"]", "{printed}");
    assert_eq!(lines[3], "[]", "{printed}");
    assert_eq!(
        files(&dir),
        pairs(&[
            (
                "clash.lisp",
                &std::fs::read_to_string(dir.join("clash.lisp")).unwrap()
            ),
            ("new.txt", "n\n"),
            ("notes.txt", "attempt\n"),
            ("other.txt", "y\n"),
        ])
    );
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
}

#[test]
fn a_run_killed_inside_an_attempt_leaves_no_copy_after_resume() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("attempts-crash");
    let state = temp("attempts-crash-state");
    // The first call writes a file, says it started and hangs (until `state/gate`); a later
    // call lists where it runs and answers.
    let claude = state.join("claude");
    script(
        &claude,
        &format!(
            r#"state='{state}'
cat > /dev/null
n=$(cat "$state/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$state/count"
echo "call $n $(pwd) $(ls -A | tr '\n' ' ')" >> "$state/log"
if [ $n = 1 ]; then
  echo partial > partial.txt
  touch "$state/started"
  i=0; while [ ! -e "$state/gate" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
fi
echo done > agent.txt
echo '{{"type":"result","subtype":"success","is_error":false,"result":"worked","session_id":"s'$n'"}}'"#,
            state = state.display()
        ),
    );
    std::fs::write(
        dir.join("crash.lisp"),
        format!(
            r#"(workflow crash
  (roles (w :agent-kind "claude-code" :command "{claude}"))
  (state go
    (let [a (isolated (write-file "first.txt" "1\n") (prompt w "work"))]
      (println (attempt-value a) (attempt-files a))
      (println (adopt a))
      (terminal))))
"#,
            claude = claude.display()
        ),
    )
    .unwrap();
    let mut child = support::command(
        &dir,
        &[
            "run",
            "--allow",
            "shell",
            "--allow",
            "workspace/write",
            "crash.lisp",
        ],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .expect("duet starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !state.join("started").exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(state.join("started").exists(), "the agent started");
    let copies = dir.join(".duet/worktrees/r1");
    let copy = std::fs::read_dir(&copies)
        .expect("the attempt's copy exists while its agent runs")
        .flatten()
        .next()
        .expect("one copy")
        .path();
    assert!(copy.join("partial.txt").exists() && copy.join("first.txt").exists());
    child.kill().expect("killed");
    child.wait().expect("duet ends");
    // Release the orphaned agent; its copy is still there, as the killed process left it.
    std::fs::write(state.join("gate"), "").unwrap();
    assert!(copy.exists());

    let resumed = duet(&dir, &["resume", "r1"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    assert_eq!(
        text(&resumed.stdout),
        "worked [\"agent.txt\" \"first.txt\"]\n[\"agent.txt\" \"first.txt\"]\n"
    );
    // The agent was asked again in a copy made from the attempt's checkpoint: what the
    // attempt wrote before is there, what the killed call half did is not.
    let calls = log(&state);
    let again = calls
        .iter()
        .find(|l| l.starts_with("call 2 "))
        .unwrap_or_else(|| panic!("asked again: {calls:?}"));
    assert!(
        again.contains(" first.txt ") && !again.contains("partial.txt"),
        "{again}"
    );
    assert!(!dir.join(".duet/worktrees").exists(), "no copy is left");
    assert_eq!(
        files(&dir),
        pairs(&[
            ("agent.txt", "done\n"),
            (
                "crash.lisp",
                &std::fs::read_to_string(dir.join("crash.lisp")).unwrap()
            ),
            ("first.txt", "1\n"),
        ])
    );
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));

    // A fork from inside the attempt (after its first checkpoint, before the agent's reply)
    // makes the copy again from that checkpoint and reproduces the rest.
    let at = turn_mentioning(&dir, "r1", "by write-file: first.txt");
    let fork = duet(&dir, &["fork", "r1", "--at", &at.to_string()]);
    assert_eq!(fork.status.code(), Some(0), "{}", text(&fork.stderr));
    assert!(
        !dir.join("agent.txt").exists(),
        "the fork's files are put back"
    );
    let resumed = duet(&dir, &["resume", "r1"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    assert_eq!(
        text(&resumed.stdout),
        "worked [\"agent.txt\" \"first.txt\"]\n[\"agent.txt\" \"first.txt\"]\n"
    );
    let calls = log(&state);
    let third = calls.last().expect("asked on the fork");
    assert!(
        third.starts_with("call 3 ")
            && third.contains(" first.txt ")
            && !third.contains("agent.txt"),
        "{calls:?}"
    );
    assert!(!dir.join(".duet/worktrees").exists(), "no copy is left");
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
}

#[test]
fn attempts_nest_race_and_refuse_what_is_not_an_attempt() {
    let dir = temp("attempts-nest");
    std::fs::write(
        dir.join("nest.lisp"),
        r#"(workflow nest
  (state go
    (let [outer (isolated
                  (write-file "o.txt" "outer\n")
                  (let [inner (isolated (write-file "i.txt" (str "inner saw " (read-file "o.txt"))))
                        seen (parallel (list-files "") (isolated (list-files "")))]
                    (adopt inner)
                    {:inner (read-file "i.txt") :seen (nth seen 0) :nested (attempt-value (nth seen 1))}))
          won (race (isolated (shell "sleep 5") :slow) (isolated (write-file "fast.txt" "f\n") :fast))
          bad (try (adopt 5) (catch e (field e 1)))]
      (println (attempt-value outer))
      (println (attempt-files outer) (attempt-value won) (attempt-files won))
      (println bad)
      (println (list-files ""))
      (adopt outer)
      (println (list-files ""))
      (terminal))))
"#,
    )
    .unwrap();
    let out = duet(
        &dir,
        &[
            "run",
            "--allow",
            "shell",
            "--allow",
            "workspace/write",
            "--allow",
            "workspace/read",
            "nest.lisp",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "{:inner \"inner saw outer\\n\" :seen [\".git\" \"nest.lisp\" \"o.txt\"] \
         :nested [\".git\" \"nest.lisp\" \"o.txt\"]}\n\
         [\"i.txt\" \"o.txt\"] :fast [\"fast.txt\"]\n\
         `adopt` expects an attempt, the value of `isolated`; got 5\n\
         [\"nest.lisp\"]\n\
         [\"i.txt\" \"nest.lisp\" \"o.txt\"]\n"
    );
    // The race's loser was dropped with its copy; nothing of any attempt but the adopted
    // one reached the workspace.
    assert!(!dir.join("fast.txt").exists());
    assert!(!dir.join(".duet/worktrees").exists());
    let history = text(&duet(&dir, &["history", "r1"]).stdout);
    assert!(
        !history.contains(":exit"),
        "the sleep never answered: {history}"
    );
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
}

#[test]
fn without_git_an_attempt_is_an_error_that_says_so() {
    let dir = temp("attempts-no-git");
    std::fs::write(
        dir.join("nogit.lisp"),
        r#"(workflow nogit
  (state go
    (println (try (isolated :never) (catch e (str (field e 0) " " (field e 1)))))
    (terminal)))
"#,
    )
    .unwrap();
    let out = support::command(&dir, &["run", "nogit.lisp"])
        .env("PATH", dir.join("nothing-here"))
        .output()
        .expect("duet runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        ":effect `isolated` copies the workspace with git, which cannot run here (workspace \
         checkpoints are off); install git\n"
    );
    assert!(!dir.join(".duet/worktrees").exists());
}
