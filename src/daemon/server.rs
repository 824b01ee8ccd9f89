//! The daemon's server: it holds the store, takes up the runs left active, and serves
//! clients on the socket, each connection on a thread of its own. A command it serves runs
//! the same code as without a daemon ([`duet::driver::served`]), its output sent back as
//! replies ([`crate::output::Sink`]).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::BufReader;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Condvar, Mutex};

use duet::driver::lease::Lease;
use duet::driver::served::{self, Served};
use duet_runtime::durable::Poser;
use duet_store::RunId;

use super::hub::Hub;
use super::protocol::{self, Reply, Request};
use crate::output::{self, Sink};

/// The mode of the socket: its owner's alone.
pub(super) const SOCKET_MODE: u32 = 0o600;

/// A client's connection, as the served command's console.
pub(super) struct Connection {
    stream: Mutex<UnixStream>,
    gone: AtomicBool,
    color: bool,
    stdout_terminal: bool,
    /// Where what is said to the person at the client's terminal goes while the command
    /// follows a run: along the run's events, so a question comes after what was printed
    /// before it ([`route`]).
    route: Mutex<Option<Route>>,
}

/// A way to the client that keeps the order of a followed run's events.
pub(super) type Route = Box<dyn Fn(Reply) + Send>;

impl Connection {
    /// Says `reply` to the person at the client's terminal: along the followed run's
    /// events when it follows one, else at once.
    pub(super) fn say(&self, reply: Reply) {
        let route = self.route.lock().unwrap_or_else(|e| e.into_inner());
        match route.as_ref() {
            Some(route) => route(reply),
            None => {
                drop(route);
                let _ = self.reply(&reply);
            }
        }
    }

    /// Sends `reply` to the client; an error (and the connection marked gone) when it has
    /// gone.
    pub(super) fn reply(&self, reply: &Reply) -> std::io::Result<()> {
        let mut stream = self.stream.lock().unwrap_or_else(|e| e.into_inner());
        let sent = protocol::send(&mut *stream, reply);
        if sent.is_err() {
            self.gone.store(true, Ordering::SeqCst);
        }
        sent
    }

    /// Whether the client has closed its end (Ctrl-C, or it was killed).
    fn closed(&self) -> bool {
        if self.gone.load(Ordering::SeqCst) {
            return true;
        }
        let stream = self.stream.lock().unwrap_or_else(|e| e.into_inner());
        let mut byte = 0u8;
        use std::os::fd::AsRawFd;
        // SAFETY: reads at most one byte into `byte`, leaving it in the socket (MSG_PEEK),
        // without waiting (MSG_DONTWAIT).
        let peeked = unsafe {
            libc::recv(
                stream.as_raw_fd(),
                (&raw mut byte).cast(),
                1,
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
            )
        };
        let would_block = peeked < 0
            && matches!(
                std::io::Error::last_os_error().raw_os_error(),
                Some(libc::EAGAIN | libc::EINTR)
            );
        let gone = peeked == 0 || (peeked < 0 && !would_block);
        if gone {
            self.gone.store(true, Ordering::SeqCst);
        }
        gone
    }
}

impl Sink for Connection {
    fn write(&self, err: bool, text: &[u8]) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(text).into_owned();
        self.reply(&if err {
            Reply::Err { text }
        } else {
            Reply::Out { text }
        })
    }

    fn color(&self) -> bool {
        self.color
    }

    fn stdout_terminal(&self) -> bool {
        self.stdout_terminal
    }
}

thread_local! {
    static CONNECTION: RefCell<Option<Arc<Connection>>> = const { RefCell::new(None) };
}

/// Tells this thread's client that its command now follows run `id`.
pub(super) fn following(id: RunId) {
    CONNECTION.with(|c| {
        if let Some(connection) = c.borrow().as_ref() {
            let _ = connection.reply(&Reply::Following {
                run: id.to_string(),
            });
        }
    });
}

/// Routes what is said to this thread's client through `route` (`None`: directly again).
pub(super) fn route(route: Option<Route>) {
    CONNECTION.with(|c| {
        if let Some(connection) = c.borrow().as_ref() {
            *connection.route.lock().unwrap_or_else(|e| e.into_inner()) = route;
        }
    });
}

/// Sends `reply` to this thread's client.
pub(super) fn reply(reply: &Reply) {
    CONNECTION.with(|c| {
        if let Some(connection) = c.borrow().as_ref() {
            let _ = connection.reply(reply);
        }
    });
}

/// Whether this thread serves a client's command.
pub(super) fn serving_client() -> bool {
    CONNECTION.with(|c| c.borrow().is_some())
}

/// Whether this thread's client has gone (never, for a command not served).
pub(crate) fn client_gone() -> bool {
    CONNECTION.with(|c| c.borrow().as_ref().is_some_and(|c| c.closed()))
}

/// Where the socket of the store in `dir` is.
pub fn socket_path(dir: &Path) -> PathBuf {
    dir.join(protocol::SOCKET)
}

/// The running daemon, or a foreground `duet` serving other commands while it follows its
/// own run ([`super::alongside`]): what its connections share.
pub(super) struct Daemon {
    pub(super) hub: Arc<Hub>,
    pub(super) dir: PathBuf,
    pub(super) since: u64,
    /// Where its HTTP API listens, when it serves one.
    pub(super) http: Option<std::net::SocketAddr>,
    /// Where a shutdown request hands its connection, to be answered once all is stopped;
    /// `None` for a foreground `duet`, which stops when its run ends.
    pub(super) shutdown: Option<Mutex<Sender<Arc<Connection>>>>,
    /// How many connections are being served, and a signal when it changes.
    pub(super) active: (Mutex<usize>, Condvar),
    /// Set once it takes no more connections.
    pub(super) stopping: AtomicBool,
}

impl Daemon {
    /// A daemon (or foreground `duet`, without `shutdown`) serving `hub`'s store in `dir`,
    /// with its HTTP API on `http` if it serves one.
    pub(super) fn new(
        hub: Arc<Hub>,
        dir: PathBuf,
        shutdown: Option<Sender<Arc<Connection>>>,
        http: Option<std::net::SocketAddr>,
    ) -> Arc<Daemon> {
        Arc::new(Daemon {
            hub,
            dir,
            since: duet_runtime::effects::now_ms().max(0) as u64,
            http,
            shutdown: shutdown.map(Mutex::new),
            active: (Mutex::new(0), Condvar::new()),
            stopping: AtomicBool::new(false),
        })
    }

    /// Takes connections on `listener`, each served on a thread of its own, until
    /// [`Daemon::stopping`] is set; those already waiting then are served too.
    pub(super) fn listen(
        self: &Arc<Self>,
        listener: UnixListener,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        use std::os::fd::AsRawFd;
        listener.set_nonblocking(true)?;
        let daemon = self.clone();
        std::thread::Builder::new()
            .name("accept".into())
            .spawn(move || {
                loop {
                    let stopping = daemon.stopping.load(Ordering::SeqCst);
                    while let Ok((stream, _)) = listener.accept() {
                        daemon.spawn_connection(stream);
                    }
                    if stopping {
                        return;
                    }
                    let mut ready = libc::pollfd {
                        fd: listener.as_raw_fd(),
                        events: libc::POLLIN,
                        revents: 0,
                    };
                    // SAFETY: polls the one descriptor `ready` names, which `listener` keeps
                    // open, for at most 100 ms.
                    unsafe { libc::poll(&raw mut ready, 1, 100) };
                }
            })
    }

    fn spawn_connection(self: &Arc<Self>, stream: UnixStream) {
        if stream.set_nonblocking(false).is_err() {
            return;
        }
        *lock(&self.active.0) += 1;
        let daemon = self.clone();
        let spawned = std::thread::Builder::new()
            .name("client".into())
            .stack_size(crate::STACK_BYTES)
            .spawn(move || {
                daemon.connection(stream);
                daemon.served_one();
            });
        if spawned.is_err() {
            self.served_one();
        }
    }

    fn served_one(&self) {
        *lock(&self.active.0) -= 1;
        self.active.1.notify_all();
    }

    /// Waits until no connection is being served; `waiting` is called first if one is.
    pub(super) fn drain(&self, waiting: impl FnOnce(usize)) {
        let mut active = lock(&self.active.0);
        if *active > 0 {
            waiting(*active);
        }
        while *active > 0 {
            active = self
                .active
                .1
                .wait(active)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Serves the store in `dir` until told to stop: called by `duet daemon start --foreground`,
/// with the HTTP API too when `http` says where. `ready` is called once the socket takes
/// connections, with the API's address. An error says why it cannot serve.
pub fn serve(
    dir: &Path,
    http: Option<&super::http::Options>,
    ready: impl FnOnce(&Path, Option<std::net::SocketAddr>),
) -> Result<(), String> {
    let store = duet::driver::store::open(dir, duet::driver::store::STORE_PATIENCE)?;
    let dir = store.dir().to_path_buf();
    let log_path = duet::driver::detach::daemon_log(&dir);
    let log = open_log(&log_path)?;
    let lease = Lease::take(&dir, "daemon")
        .map_err(|e| format!("cannot write the daemon's lease in {}: {e}", dir.display()))?;
    let hub = Hub::new(store, lease, log);
    hub.log(&format!(
        "daemon pid {} serving {}",
        std::process::id(),
        dir.display()
    ));
    // Before runs are taken up, so the API's streams have their every event.
    let http = http
        .map(|options| super::http::start(&hub, options))
        .transpose()?;
    let socket = socket_path(&dir);
    // A socket left by a daemon that died: the store's lock says none serves it now.
    let _ = std::fs::remove_file(&socket);
    let listener = UnixListener::bind(&socket)
        .map_err(|e| format!("cannot listen on {}: {e}", socket.display()))?;
    duet::driver::store::tighten(&socket, SOCKET_MODE)
        .map_err(|e| format!("cannot make {} private: {e}", socket.display()))?;
    let taken = hub.take_up()?;
    hub.log(&format!("took up {taken} unfinished runs"));
    let (shutdown, stopping) = channel();
    let daemon = Daemon::new(hub.clone(), dir.clone(), Some(shutdown), http);
    daemon
        .listen(listener)
        .map_err(|e| format!("cannot start the daemon's listener: {e}"))?;
    ready(&dir, http);
    // Until a client asks it to stop.
    let asker = stopping
        .recv()
        .map_err(|_| "the daemon's listener stopped".to_string())?;
    hub.log("stopping: every run is left as it is, to be continued");
    let _ = std::fs::remove_file(&socket);
    if http.is_some() {
        let _ = std::fs::remove_file(super::http::token::path(&dir));
    }
    hub.stop_all();
    hub.log("stopped");
    let _ = asker.reply(&Reply::Exit { code: 0 });
    Ok(())
}

fn open_log(path: &Path) -> Result<std::fs::File, String> {
    if let Some(parent) = path.parent() {
        duet_store::private_dir(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(duet::driver::detach::LOG_MODE)
        .open(path)
        .map_err(|e| format!("cannot open the daemon's log {}: {e}", path.display()))
}

impl Daemon {
    /// Serves one client: one request, then its replies.
    fn connection(&self, stream: UnixStream) {
        let Ok(reading) = stream.try_clone() else {
            return;
        };
        let mut reader = BufReader::new(reading);
        let request = match protocol::receive::<Request>(&mut reader) {
            Ok(Some(request)) => request,
            Ok(None) => return,
            Err(e) => {
                let connection = connection(stream, false, false);
                let _ = connection.reply(&Reply::Err {
                    text: format!("error: the daemon could not read the request: {e}\n"),
                });
                let _ = connection.reply(&Reply::Exit { code: 2 });
                return;
            }
        };
        match request {
            Request::Status => {
                let _ = protocol::send(
                    &mut &stream,
                    &Reply::Daemon {
                        pid: std::process::id(),
                        store: self.dir.clone(),
                        since: self.since,
                        following: self.hub.following().iter().map(|r| r.to_string()).collect(),
                        http: self.http,
                        foreground: self.shutdown.is_none(),
                    },
                );
            }
            Request::Shutdown => {
                let connection = connection(stream, false, false);
                match &self.shutdown {
                    Some(sender) => {
                        let _ = lock(sender).send(connection);
                    }
                    None => {
                        let _ = connection.reply(&Reply::Err {
                            text: format!(
                                "error: pid {} is a foreground `duet` following a run, not a \
                                 daemon; it lets go of the store when its run ends\n",
                                std::process::id()
                            ),
                        });
                        let _ = connection.reply(&Reply::Exit { code: 1 });
                    }
                }
            }
            Request::Command {
                args,
                cwd,
                color,
                stdout_terminal,
                env,
                stdin_terminal,
            } => {
                let connection = connection(stream, color, stdout_terminal);
                let poser =
                    stdin_terminal.then(|| super::asking::poser(reader, connection.clone()));
                let code = self.command(args, cwd, env, poser, connection.clone());
                let _ = connection.reply(&Reply::Exit { code });
            }
        }
    }

    /// Runs the command `args` for a client in `cwd`; its exit status.
    fn command(
        &self,
        args: Vec<String>,
        cwd: PathBuf,
        env: BTreeMap<String, String>,
        poser: Option<Arc<dyn Poser>>,
        connection: Arc<Connection>,
    ) -> u8 {
        let served = Served {
            store: self.hub.store().clone(),
            cwd,
            host: Arc::new(super::hub::Hosting(self.hub.clone())),
            env,
            poser,
        };
        CONNECTION.with(|c| *c.borrow_mut() = Some(connection.clone()));
        let code = output::redirect(connection, || {
            served::serve(served, || crate::served_command(args))
        });
        CONNECTION.with(|c| c.borrow_mut().take());
        code
    }
}

fn connection(stream: UnixStream, color: bool, stdout_terminal: bool) -> Arc<Connection> {
    Arc::new(Connection {
        stream: Mutex::new(stream),
        gone: AtomicBool::new(false),
        color,
        stdout_terminal,
        route: Mutex::new(None),
    })
}
