//! Child processes that take their descendants with them. A command (`shell`) or an agent's
//! tool (`claude`, `codex`) often starts processes of its own; killing only the direct child
//! when an effect is withdrawn or times out would leave those running. Each child is started
//! as the leader of a new process group, and the group is killed when its [`Group`] guard is
//! dropped before the child was seen to finish.
//!
//! In a group of its own a child no longer gets the terminal's Ctrl-C; a host that runs such
//! children calls [`kill_groups_on_exit_signals`] so that SIGINT, SIGTERM and SIGHUP still
//! take them down with it.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use tokio::process::{Child, Command};

/// Leaders of the groups alive now (0 = a free slot): fixed atomics, so a signal handler
/// can read them.
static LIVE: [AtomicI32; 64] = [const { AtomicI32::new(0) }; 64];

fn remember(leader: i32) {
    for slot in &LIVE {
        if slot
            .compare_exchange(0, leader, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return;
        }
    }
}

fn forget(leader: i32) {
    for slot in &LIVE {
        let _ = slot.compare_exchange(leader, 0, Ordering::SeqCst, Ordering::SeqCst);
    }
}

/// Set when the host handles Ctrl-C itself ([`host_handles_interrupt`]).
static HOST_HANDLES_INTERRUPT: AtomicBool = AtomicBool::new(false);

/// The host stops what it runs on Ctrl-C itself and goes on (the REPL): SIGINT then neither
/// kills the live groups nor ends the process; SIGTERM and SIGHUP still do.
pub fn host_handles_interrupt() {
    HOST_HANDLES_INTERRUPT.store(true, Ordering::SeqCst);
}

/// Makes SIGINT, SIGTERM and SIGHUP kill every live group before the process ends as it
/// would have (once per process; later calls do nothing).
pub fn kill_groups_on_exit_signals() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: the handler only loads atomics, calls killpg and re-raises the signal
            // with its default action, all async-signal-safe.
            let _ = unsafe {
                signal_hook::low_level::register(signal, move || {
                    if signal == libc::SIGINT && HOST_HANDLES_INTERRUPT.load(Ordering::SeqCst) {
                        return;
                    }
                    for slot in &LIVE {
                        let leader = slot.load(Ordering::SeqCst);
                        if leader > 0 {
                            libc::killpg(leader, libc::SIGKILL);
                        }
                    }
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                })
            };
        }
    });
}

/// Kills a child's process group when dropped, unless [`Group::finished`] was called.
#[derive(Debug)]
pub struct Group {
    leader: Option<i32>,
}

impl Group {
    /// The child ended on its own: leave its group alone.
    pub fn finished(mut self) {
        if let Some(leader) = self.leader.take() {
            forget(leader);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(leader) = self.leader {
            forget(leader);
            // SAFETY: killpg only sends a signal; a group that is gone gives ESRCH, which
            // is ignored.
            unsafe {
                libc::killpg(leader, libc::SIGKILL);
            }
        }
    }
}

/// Spawns `command` as the leader of a new process group, killed (with its group) if the
/// returned guard is dropped first.
pub fn spawn(command: &mut Command) -> std::io::Result<(Child, Group)> {
    let child = command.process_group(0).kill_on_drop(true).spawn()?;
    let leader = child.id().and_then(|pid| i32::try_from(pid).ok());
    if let Some(leader) = leader {
        remember(leader);
    }
    Ok((child, Group { leader }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_the_guard_kills_what_the_child_started() {
        let dir = std::env::temp_dir().join(format!("duet-group-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let mark = dir.join("mark");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let mut command = Command::new("sh");
            command
                .arg("-c")
                .arg(format!("(sleep 1; touch '{}') & wait", mark.display()));
            let (child, group) = spawn(&mut command).expect("sh starts");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            drop(group);
            drop(child);
        });
        std::thread::sleep(std::time::Duration::from_millis(1500));
        assert!(
            !mark.exists(),
            "the background subshell was killed with its leader"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
