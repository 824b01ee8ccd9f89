//! The daemon's HTTP API (`duet daemon start --http ADDR`): runs as JSON resources and their
//! events as Server-Sent Events, on axum, on a thread of its own. Every request carries the
//! bearer token the daemon writes to `STORE/daemon.token` at start. Each route runs the
//! command it stands for, as the daemon serves it on its socket ([`act`]); the events come
//! from what the daemon keeps of each run ([`events`]). See `docs/api.md`.

mod act;
mod actions;
mod epoch;
pub mod events;
mod routes;
mod stream;
pub mod token;

use std::net::SocketAddr;
use std::sync::Arc;

use super::hub::Hub;

/// Where the API is served (`--http ADDR`), and whether beyond this machine
/// (`--http-public`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The address to listen on (port 0: one the system chooses).
    pub addr: SocketAddr,
    /// Whether an address other machines can reach is allowed.
    pub public: bool,
}

impl Options {
    /// Checks the address: one only this machine reaches, unless `public`.
    pub fn check(&self) -> Result<(), String> {
        if self.public || self.addr.ip().to_canonical().is_loopback() {
            return Ok(());
        }
        Err(format!(
            "`--http {}` is not a loopback address: other machines could reach the API; serve \
             it on 127.0.0.1:PORT or [::1]:PORT, or add `--http-public` to serve it there anyway",
            self.addr
        ))
    }
}

/// Starts serving the API for `hub`: listens, writes a fresh token to the store, and from
/// now on keeps every run's events for the streams. The address it listens on.
pub fn start(hub: &Arc<Hub>, options: &Options) -> Result<SocketAddr, String> {
    options.check()?;
    let listener = std::net::TcpListener::bind(options.addr)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| format!("cannot listen on {} for the HTTP API: {e}", options.addr))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the HTTP API's address: {e}"))?;
    let dir = hub.store().dir().to_path_buf();
    let token = token::issue(&dir)?;
    let events = Arc::new(events::EventLog::new(epoch::next(&dir)?));
    hub.keep_events(events.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the HTTP API's runtime: {e}"))?;
    let api = routes::Api::new(hub.clone(), token, events);
    let logged = hub.clone();
    std::thread::Builder::new()
        .name("http".into())
        .spawn(move || {
            let served = runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                axum::serve(listener, routes::router(api)).await
            });
            if let Err(e) = served {
                logged.log(&format!("the HTTP API stopped: {e}"));
            }
        })
        .map_err(|e| format!("cannot start the HTTP API's thread: {e}"))?;
    hub.log(&format!(
        "HTTP API on http://{addr}; its token is in {}",
        token::path(&dir).display()
    ));
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(addr: &str, public: bool) -> Options {
        Options {
            addr: addr.parse().expect("an address"),
            public,
        }
    }

    #[test]
    fn only_loopback_addresses_unless_public() {
        assert!(options("127.0.0.1:0", false).check().is_ok());
        assert!(options("[::1]:8080", false).check().is_ok());
        assert!(options("[::ffff:127.0.0.1]:8080", false).check().is_ok());
        let refused = options("0.0.0.0:8080", false).check().unwrap_err();
        assert!(refused.contains("--http-public"), "{refused}");
        assert!(options("192.168.1.2:8080", false).check().is_err());
        assert!(options("0.0.0.0:8080", true).check().is_ok());
    }
}
