//! The durable engine's semantics, in process, on a temporary store and a clock the test
//! sets: nothing sleeps. A run killed while sleeping wakes at its original deadline; replay
//! verifies every turn and names a tampered one; back and fork travel in time without losing
//! a turn; questions suspend and `duet answer` continues; inputs and manifests of another
//! format are refused with a clear error.

mod support;

use std::sync::Arc;

use duet_runtime::durable::{
    self, Clock, Divergence, EngineError, EventKind, ManualClock, Ports, ReplayError, Resumption,
    Sleep, Stopped,
};
use duet_runtime::workflow::{Ending, RunInput};
use duet_store::{NewRun, NewTurn, RawKind, Status};
use support::{Place, Recorder, T0, follow, run};

const NAP: &str = r#"
(workflow nap
  (state s
    (println "before" (- (now) 1793491200000))
    (sleep "2s")
    (println "after" (- (now) 1793491200000))
    (terminal)))
"#;

#[test]
fn a_run_ends_and_every_event_carries_its_run_turn_and_time() {
    let place = Place::new();
    let mut ports = Recorder::at(T0);
    let (id, stopped) = run(&place, NAP, &mut ports);
    assert_eq!(
        stopped,
        Stopped::Ended(Ending::Completed(duet_sam::Term::Nil))
    );
    // The timer fired at its deadline on the test's clock, without sleeping.
    assert_eq!(ports.printed(), "before 0\nafter 2000\n");
    assert_eq!(
        ports.names(),
        ["started", "state", "output", "output", "ended"]
    );
    for event in &ports.events {
        assert_eq!(event.run.as_deref(), Some(id.to_string().as_str()));
        assert!(event.at >= T0, "{event:?}");
    }
    // The journal: the clock's answer, the deadline, the timer's end, the clock again.
    let turns = place.store.read_turns(id, "main", 1).expect("the journal");
    let inputs: Vec<RunInput> = turns
        .iter()
        .map(|t| RunInput::decode(&t.payload).expect("an input"))
        .collect();
    assert!(matches!(inputs[1], RunInput::Deadline { at, .. } if at == T0 + 2000));
    assert_eq!(inputs.len(), 4);
    assert_eq!(
        place.store.run(id).expect("the record").status,
        Status::Completed
    );
    let verified = durable::replay(&place.store, id, None).expect("it replays");
    assert_eq!(verified.turns, 4);
    // Snapshots by policy: before the first turn and at the end, not after every turn.
    assert_eq!(verified.snapshots, 2);
}

/// A clock whose sleeps die: the process following the run is killed while it sleeps.
struct KilledWhileSleeping(ManualClock);

impl Clock for KilledWhileSleeping {
    fn now_ms(&self) -> i64 {
        self.0.now_ms()
    }

    fn sleep_until(&self, _at: i64) -> Sleep {
        Box::pin(async { panic!("the process following the run is killed") })
    }
}

#[test]
fn a_run_killed_while_sleeping_wakes_at_its_original_deadline() {
    let place = Place::new();
    let new = place.compile(NAP);
    let mut first = Recorder::at(T0);
    let id = durable::create(&place.store, new, None, &mut first.ports()).expect("created");
    let mut events = Vec::new();
    let mut answers = durable::NoOneToAsk;
    let killed = durable::follow(
        &place.store,
        id,
        Resumption::Start,
        &mut Ports {
            observer: &mut events,
            answers: &mut answers,
            clock: Arc::new(KilledWhileSleeping(ManualClock::new(T0))),
        },
    );
    assert!(
        matches!(killed, Err(EngineError::EffectCrashed { .. })),
        "{killed:?}"
    );
    // The deadline was journaled before the sleep began.
    assert_eq!(
        place
            .store
            .read_turns(id, "main", 1)
            .expect("journal")
            .len(),
        2
    );
    // Restarted half a second later, it waits for the original moment, not two more seconds.
    let mut second = Recorder::at(T0 + 500);
    let stopped = follow(&place, id, Resumption::Resume, &mut second).expect("resumed");
    assert!(matches!(stopped, Stopped::Ended(Ending::Completed(_))));
    // The journaled turns after the last snapshot are redelivered, and what they printed is
    // shown again (the killed process may not have shown it): output is at least once.
    assert_eq!(second.printed(), "before 0\nafter 2000\n");
    assert_eq!(second.clock.now_ms(), T0 + 2000);
    assert!(matches!(
        &second.events[0].kind,
        EventKind::Resumed { state } if state == "s"
    ));
    assert_eq!(second.events[0].turn, Some(2));
    durable::replay(&place.store, id, None).expect("the resumed run replays");
}

#[test]
fn replay_names_the_turn_a_tampered_run_diverges_at() {
    let place = Place::new();
    let mut ports = Recorder::at(T0);
    let (r1, _) = run(&place, NAP, &mut ports);
    let (r2, _) = run(&place, NAP, &mut ports);
    let (r3, _) = run(&place, NAP, &mut ports);
    // A snapshot the replay cannot reproduce.
    place
        .store
        .put_snapshot(r1, "main", 1, b"not the state")
        .expect("stored");
    let found = durable::replay(&place.store, r1, None).unwrap_err();
    assert!(
        matches!(
            found,
            ReplayError::Diverged {
                divergence: Divergence::Snapshot { turn: 1 },
                ..
            }
        ),
        "{found:?}"
    );
    assert!(
        found.to_string().contains("diverges after turn 1"),
        "{found}"
    );
    // A turn whose journaled digest is not that of the state it was applied to.
    let tampered = NewTurn {
        at: 0,
        payload: RunInput::Deadline { id: 9, at: 0 }.encode(),
        state_digest: [7; 32],
    };
    place
        .store
        .append_turn(r2, "main", &tampered)
        .expect("appended");
    let found = durable::replay(&place.store, r2, None).unwrap_err();
    assert!(
        matches!(
            found,
            ReplayError::Diverged {
                divergence: Divergence::Digest { turn: 5 },
                ..
            }
        ),
        "{found:?}"
    );
    // A payload that is not an input is named by its turn, not skipped.
    let mut damaged = NewTurn { ..tampered };
    damaged.payload = b"\x08%answer".to_vec();
    place
        .store
        .append_turn(r3, "main", &damaged)
        .expect("appended");
    match durable::replay(&place.store, r3, None) {
        Err(ReplayError::Engine(EngineError::Turn { turn: 5, .. })) => {}
        other => panic!("{other:?}"),
    }
    let resumed = follow(&place, r3, Resumption::Resume, &mut Recorder::at(T0));
    assert!(
        matches!(resumed, Ok(Stopped::Ended(_))),
        "an ended run stays ended"
    );
    // Replaying changes nothing: the tampered snapshot is found again, and a branch that
    // does not exist is a usage error.
    assert!(durable::replay(&place.store, r1, Some("main")).is_err());
    let missing = durable::replay(&place.store, r1, Some("nope")).unwrap_err();
    assert!(
        matches!(&missing, ReplayError::Engine(e) if e.is_usage()),
        "{missing:?}"
    );
}

const THREE_CLOCKS: &str = r#"
(workflow clocks
  (state s
    (let [a (now) b (now) c (now)]
      (println (map (fn [t] (- t 1793491200000)) [a b c])))
    (terminal)))
"#;

#[test]
fn back_and_fork_redo_later_effects_and_lose_no_turn() {
    let place = Place::new();
    let mut ports = Recorder::at(T0);
    let (id, _) = run(&place, THREE_CLOCKS, &mut ports);
    assert_eq!(ports.printed(), "(0 0 0)\n");

    let moved = durable::back(&place.store, id, 2, &ports.clock).expect("moved back");
    assert_eq!(moved.turn, 1);
    assert_eq!(moved.abandoned.as_deref(), Some("main~1"));
    assert!(matches!(
        place.store.run(id).expect("record").status,
        Status::Waiting { .. }
    ));
    // Continued a second later: the first clock reading stays, the later two are taken again.
    let mut again = Recorder::at(T0 + 1000);
    follow(&place, id, Resumption::Resume, &mut again).expect("continued");
    assert_eq!(again.printed(), "(0 1000 1000)\n");
    // The abandoned turns are kept on their own branch, and both branches replay.
    let abandoned = place.store.read_turns(id, "main~1", 1).expect("kept");
    assert_eq!(abandoned.len(), 3);
    durable::replay(&place.store, id, Some("main")).expect("main replays");
    durable::replay(&place.store, id, Some("main~1")).expect("main~1 replays");

    let forked = durable::fork(&place.store, id, 0, Some("fresh"), &again.clock).expect("forked");
    assert_eq!((forked.from.as_str(), forked.turn), ("main", 0));
    assert_eq!(place.store.run(id).expect("record").current_branch, "fresh");
    let mut fresh = Recorder::at(T0 + 5000);
    follow(&place, id, Resumption::Resume, &mut fresh).expect("continued");
    assert_eq!(fresh.printed(), "(5000 5000 5000)\n");
    assert_eq!(
        place.store.read_turns(id, "main", 1).expect("main").len(),
        3
    );
    // Moving back zero turns moves nothing and leaves the run as it is.
    let still = durable::back(&place.store, id, 0, &fresh.clock).expect("nothing to do");
    assert_eq!(still.abandoned, None);
    assert_eq!(
        place.store.run(id).expect("record").status,
        Status::Completed
    );
}

const GATE: &str = r#"
(workflow gate
  (state s
    (println "answer:" (ask-user "Deploy?" :options ["yes" "no"]))
    (terminal)))
"#;

#[test]
fn a_question_with_no_one_to_ask_suspends_until_answered() {
    let place = Place::new();
    let mut ports = Recorder::at(T0);
    let (id, stopped) = run(&place, GATE, &mut ports);
    assert_eq!(stopped, Stopped::Waiting);
    match &ports.events.last().expect("events").kind {
        EventKind::Question {
            question,
            options,
            multi,
        } => {
            assert_eq!(question, "Deploy?");
            assert_eq!(options, &["yes", "no"]);
            assert!(!multi, "one answer is taken");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        place.store.run(id).expect("record").status,
        Status::Waiting { reason } if reason.contains("Deploy?")
    ));
    let mut answering = Recorder::at(T0);
    let stopped =
        follow(&place, id, Resumption::Answer("yes".into()), &mut answering).expect("answered");
    assert!(matches!(stopped, Stopped::Ended(Ending::Completed(_))));
    assert_eq!(answering.printed(), "answer: yes\n");
    let turns = place.store.read_turns(id, "main", 1).expect("journal");
    assert!(matches!(
        RunInput::decode(&turns[0].payload),
        Ok(RunInput::Person { text, .. }) if text == "yes"
    ));
    // An ended run takes no answer, and resuming it only reports that it ended.
    let mut late = Recorder::at(T0);
    let again = follow(&place, id, Resumption::Answer("no".into()), &mut late);
    assert!(matches!(
        again,
        Err(EngineError::NotWaitingForAnswer { ended: true, .. })
    ));
    let again = follow(&place, id, Resumption::Resume, &mut late);
    assert!(matches!(again, Ok(Stopped::Ended(_))));
    assert!(matches!(
        late.events[0].kind,
        EventKind::Ended { already: true, .. }
    ));

    // Someone to ask: the answer is taken at once and journaled the same way.
    let mut asked = Recorder::at(T0);
    asked.answers.push_back("no".into());
    let (_, stopped) = run(&place, GATE, &mut asked);
    assert!(matches!(stopped, Stopped::Ended(_)));
    assert_eq!(asked.printed(), "answer: no\n");
}

#[test]
fn answering_a_run_that_waits_for_no_answer_is_a_usage_error() {
    let place = Place::new();
    let source = "(workflow w (state s (await (record never)) (terminal)))";
    let mut ports = Recorder::at(T0);
    let (id, stopped) = run(&place, source, &mut ports);
    assert_eq!(stopped, Stopped::Waiting);
    assert!(matches!(
        &ports.events.last().expect("events").kind,
        EventKind::Suspended { reason } if reason.contains("state `s`")
    ));
    let refused = follow(
        &place,
        id,
        Resumption::Answer("hi".into()),
        &mut Recorder::at(T0),
    )
    .unwrap_err();
    assert!(matches!(refused, EngineError::NotWaitingForAnswer { .. }));
    assert!(refused.is_usage());
    assert!(
        refused.to_string().contains("`duet status r1`"),
        "{refused}"
    );
}

#[test]
fn a_run_started_by_an_earlier_duet_is_refused_clearly() {
    let place = Place::new();
    // Version 1 manifests were bare postcard, without an envelope: the encoded program
    // came first, as a byte string.
    let mut bare = vec![40];
    bare.extend_from_slice(b"DUIR the program's own envelope follows..");
    let old = place.store.put_blob(&bare).expect("a blob");
    let record = place
        .store
        .create_run(NewRun {
            workflow: "old".into(),
            program_hash: old.to_string(),
            at: 0,
        })
        .expect("a run record");
    let refused = follow(&place, record.id, Resumption::Resume, &mut Recorder::at(T0)).unwrap_err();
    let message = refused.to_string();
    assert!(
        matches!(refused, EngineError::Manifest { .. }),
        "{refused:?}"
    );
    assert!(
        message.contains("an earlier duet started this run"),
        "{message}"
    );
    assert!(message.contains("r1"), "{message}");
    // And a damaged snapshot is an error naming the run and turn, never a panic.
    let mut ports = Recorder::at(T0);
    let (id, _) = run(&place, GATE, &mut ports);
    let head = place
        .store
        .raw_record(RawKind::Snapshot, id, "main", 0)
        .expect("read")
        .expect("a snapshot at turn 0");
    assert!(!head.is_empty());
    place
        .store
        .put_snapshot(id, "main", 0, b"garbage")
        .expect("stored");
    let damaged = follow(&place, id, Resumption::Resume, &mut Recorder::at(T0)).unwrap_err();
    assert!(
        matches!(damaged, EngineError::Restore { turn: 0, .. }),
        "{damaged:?}"
    );
    assert!(
        damaged.to_string().contains("restore run r2 at turn 0"),
        "{damaged}"
    );
}

#[test]
fn snapshots_follow_the_policy_and_bulky_inputs_are_blobs_stored_once() {
    let place = Place::new();
    let mut ports = Recorder::at(T0);
    // 150 sleeps of 0 ms: 300 turns (each a deadline and a timer's end).
    let naps = r#"(workflow naps (state s
      (loop [i 0] (when (< i 150) (sleep 0) (recur (+ i 1))))
      (terminal)))"#;
    let (id, _) = run(&place, naps, &mut ports);
    let turns = place
        .store
        .read_turns(id, "main", 1)
        .expect("journal")
        .len() as u64;
    assert_eq!(turns, 300);
    let verified = durable::replay(&place.store, id, None).expect("it replays");
    // One before the first turn, one every SNAPSHOT_EVERY_TURNS, one at the end.
    let expected = 2 + turns / durable::SNAPSHOT_EVERY_TURNS;
    assert_eq!(verified.snapshots, expected, "{verified:?}");
    assert_eq!(verified.turns, 300);

    // A bulky effect result (a file read) is kept as a blob, and the same bytes once.
    let big = r#"(def text (apply str (map (fn [_] "0123456789") (range 1000))))
      (workflow big (state s
        (write-file "big.txt" text)
        (println (count (read-file "big.txt")) (count (read-file "big.txt")))
        (terminal)))"#;
    let mut new = place.compile(big);
    new.capabilities
        .grant(duet_runtime::effects::Capability::WorkspaceRead);
    new.capabilities
        .grant(duet_runtime::effects::Capability::WorkspaceWrite);
    let mut ports = Recorder::at(T0);
    let id = durable::create(&place.store, new, None, &mut ports.ports()).expect("created");
    follow(&place, id, Resumption::Start, &mut ports).expect("followed");
    assert_eq!(ports.printed(), "10000 10000\n");
    let turns = place.store.read_turns(id, "main", 1).expect("journal");
    // The workspace before the write, the write, its checkpoint, then the two reads.
    assert_eq!(turns.len(), 5);
    // The two reads journal a small reference each, to one blob: after the envelope's
    // 18-byte header comes the blob's 32-byte hash.
    let reads = &turns[3..];
    for turn in reads {
        assert!(turn.payload.starts_with(b"DUTB") && turn.payload.len() < 100);
    }
    assert_eq!(reads[0].payload[18..50], reads[1].payload[18..50]);
    for turn in reads {
        let input = durable::read_input(&place.store, id, "main", turn).expect("reads back");
        assert!(matches!(input, RunInput::Effect { .. }));
    }
    durable::replay(&place.store, id, None).expect("a run with blobs replays");
}

#[test]
fn only_an_offered_answer_is_taken() {
    let place = Place::new();
    let mut ports = Recorder::at(T0);
    let (id, stopped) = run(&place, GATE, &mut ports);
    assert_eq!(stopped, Stopped::Waiting);
    // `duet answer` with something else is refused, and the run still waits.
    let refused = follow(
        &place,
        id,
        Resumption::Answer("maybe".into()),
        &mut Recorder::at(T0),
    )
    .unwrap_err();
    assert!(refused.is_usage(), "{refused:?}");
    assert!(refused.to_string().contains("(yes, no)"), "{refused}");
    assert!(matches!(
        place.store.run(id).expect("record").status,
        Status::Waiting { .. }
    ));
    assert!(
        place
            .store
            .read_turns(id, "main", 1)
            .expect("journal")
            .is_empty()
    );
    // At a terminal the person is told and asked again.
    let mut asked = Recorder::at(T0);
    asked
        .answers
        .extend(["maybe".to_string(), "no".to_string()]);
    let stopped = follow(&place, id, Resumption::Resume, &mut asked).expect("answered");
    assert!(matches!(stopped, Stopped::Ended(_)));
    assert_eq!(asked.printed(), "answer: no\n");
    assert!(asked.events.iter().any(|e| matches!(
        &e.kind,
        EventKind::Error { message } if message.contains("`maybe` is not one of")
    )));
}

#[test]
fn a_grant_at_resume_is_a_journaled_turn_the_rest_of_the_run_sees() {
    let place = Place::new();
    let source = r#"
(workflow w
  (state s
    (println (try (get (shell "echo first") :stdout) (catch e (field e 0))))
    (println (ask-user "Go on?"))
    (println (try (get (shell "echo second") :stdout) (catch e (field e 0))))
    (terminal)))
"#;
    let mut ports = Recorder::at(T0);
    let (id, stopped) = run(&place, source, &mut ports);
    assert_eq!(stopped, Stopped::Waiting);
    assert_eq!(ports.printed(), ":capability\n");
    let mut resumed = Recorder::at(T0);
    resumed.answers.push_back("yes".into());
    let stopped = durable::follow_with(
        &place.store,
        id,
        Resumption::Resume,
        &durable::Changes {
            grant: vec![duet_runtime::effects::Capability::Shell],
            budget_microusd: None,
        },
        &mut resumed.ports(),
    )
    .expect("resumed");
    assert!(matches!(stopped, Stopped::Ended(_)));
    assert_eq!(resumed.printed(), "yes\nsecond\n\n");
    let turns = place.store.read_turns(id, "main", 1).expect("journal");
    let inputs: Vec<String> = turns
        .iter()
        .map(|t| {
            durable::read_input(&place.store, id, "main", t)
                .expect("reads")
                .to_string()
        })
        .collect();
    assert_eq!(inputs[0], "granted shell", "{inputs:?}");
    durable::replay(&place.store, id, None).expect("a granted run replays");
}

const EDITS: &str = r#"
(workflow edit
  (state s
    (write-file "notes.txt" "one")
    (write-file "notes.txt" "two")
    (write-file "extra.txt" "three")
    (terminal)))
"#;

#[test]
fn back_and_fork_put_the_workspace_files_back_and_keep_what_a_person_changed() {
    let place = Place::new();
    let work = place.dir.path().join("work");
    std::fs::write(work.join("mine.txt"), "the person's own file").expect("written");
    let mut new = place.compile(EDITS);
    new.capabilities
        .grant(duet_runtime::effects::Capability::WorkspaceWrite);
    let mut ports = Recorder::at(T0);
    let id = durable::create(&place.store, new, None, &mut ports.ports()).expect("created");
    follow(&place, id, Resumption::Start, &mut ports).expect("followed");
    let read = |name: &str| std::fs::read_to_string(work.join(name)).ok();
    assert_eq!(read("notes.txt").as_deref(), Some("two"));
    assert_eq!(read("extra.txt").as_deref(), Some("three"));
    // The checkpoints are turns of their own, each naming the files that changed.
    let checkpoints: Vec<(u64, Vec<String>)> = place
        .store
        .read_turns(id, "main", 1)
        .expect("journal")
        .iter()
        .filter_map(|t| match durable::read_input(&place.store, id, "main", t) {
            Ok(RunInput::Checkpoint { files, .. }) => Some((t.turn, files)),
            _ => None,
        })
        .collect();
    assert_eq!(checkpoints.len(), 4, "{checkpoints:?}");
    assert_eq!(checkpoints[1].1, ["notes.txt"]);
    assert_eq!(checkpoints[3].1, ["extra.txt"]);
    assert!(
        ports
            .events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Checkpoint { .. }))
    );

    // A person edits a file by hand, then the run goes back to after the first write.
    std::fs::write(work.join("notes.txt"), "by hand").expect("edited");
    let head = place.store.branch(id, "main").expect("branch").head;
    let moved =
        durable::back(&place.store, id, head - checkpoints[1].0, &ports.clock).expect("moved");
    let files = moved.files.expect("files were put back");
    assert!(files.person.is_some(), "the hand edit is kept");
    assert_eq!(read("notes.txt").as_deref(), Some("one"));
    assert_eq!(read("extra.txt"), None, "a file created later is gone");
    assert_eq!(read("mine.txt").as_deref(), Some("the person's own file"));
    // Resuming does the later writes again: the files end as an uninterrupted run leaves them.
    follow(&place, id, Resumption::Resume, &mut Recorder::at(T0)).expect("resumed");
    assert_eq!(read("notes.txt").as_deref(), Some("two"));
    assert_eq!(read("extra.txt").as_deref(), Some("three"));

    // A fork from before the first write puts the files back as they were before the run.
    let forked = durable::fork(&place.store, id, 0, Some("fresh"), &ports.clock).expect("forked");
    assert!(forked.files.is_some());
    assert_eq!(read("notes.txt"), None);
    assert_eq!(read("extra.txt"), None);
    assert_eq!(read("mine.txt").as_deref(), Some("the person's own file"));
    durable::replay(&place.store, id, Some("main")).expect("main replays");
    assert!(!work.join(".duet").exists() && !work.join(".git").exists());
}
