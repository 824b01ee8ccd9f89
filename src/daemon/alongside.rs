//! A foreground `duet` serving other commands: a `duet run`, `resume` or `answer` (or
//! `duet agent chat`) following a run without a daemon holds the store for as long as it
//! follows it, so it serves every command the daemon would — on the same socket, with the
//! same protocol and code — until its run ends or waits. Its own run is followed on its own
//! thread, as before (what it prints is shown before the run goes on), but registered in
//! the same [`Hub`], so a `duet resume` of it from elsewhere is refused as the daemon
//! refuses one, `duet attach` follows it and `duet stop` stops it. When its run is done it takes no
//! more connections, finishes the commands it serves (saying so when it has to wait), and
//! lets go of the store.

use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;

use duet::driver::lease::Lease;
use duet::driver::served::Serving;
use duet_store::Store;

use super::hub::{Hosting, Hub};
use super::server::{Daemon, socket_path};

/// Starts serving the store this process holds: called through
/// [`duet::driver::served::alongside`] by a command about to follow a run. `None` when the
/// socket or the lease cannot be made (the command then follows its run alone).
pub fn serve(store: &Store) -> Option<Serving> {
    let dir = store.dir().to_path_buf();
    let lease = Lease::take(&dir, "command").ok()?;
    let hub = Hub::foreground(store.clone(), lease);
    let socket = socket_path(&dir);
    // This process holds the store's lock: a socket there is one a dead process left.
    let _ = std::fs::remove_file(&socket);
    let listener = UnixListener::bind(&socket).ok()?;
    if duet::driver::store::tighten(&socket, super::server::SOCKET_MODE).is_err() {
        let _ = std::fs::remove_file(&socket);
        return None;
    }
    let daemon = Daemon::new(hub.clone(), dir, None, None);
    let accept = daemon.listen(listener).ok();
    Some(Serving {
        host: Arc::new(Hosting(hub)),
        end: Box::new(End {
            daemon,
            socket,
            accept,
        }),
    })
}

/// Ends the serving when dropped.
struct End {
    daemon: Arc<Daemon>,
    socket: PathBuf,
    accept: Option<JoinHandle<()>>,
}

impl Drop for End {
    fn drop(&mut self) {
        // No new client can connect once the socket is gone; those already connected are
        // served to their end.
        let _ = std::fs::remove_file(&self.socket);
        self.daemon.stopping.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        self.daemon.drain(|n| {
            eprintln!(
                "duet: pid {} still serves {n} other duet {}; it ends once {} (`duet daemon \
                 start` serves a store without a foreground duet)",
                std::process::id(),
                if n == 1 { "command" } else { "commands" },
                if n == 1 { "that ends" } else { "they end" },
            );
        });
        self.daemon.hub.stop_all();
    }
}
