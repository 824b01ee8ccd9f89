//! Confining file access to the workspace, without races. Every path is taken relative to
//! the workspace's root and opened one component at a time, each relative to the directory
//! handle opened before it and never following a symbolic link in the kernel
//! (`openat(…, O_NOFOLLOW)`). A link met on the way is read and its target resolved the same
//! way, component by component from the directory holding it; a target that climbs above
//! the root, an absolute target elsewhere, `..` and absolute paths in the request are
//! refused. Because no name is ever looked up twice, a directory swapped for a symbolic link
//! between a check and a use cannot send a read or a write outside: there is no separate
//! check. Every directory crossed is compared, by device and inode, with the directories the
//! workspace must never reach (the run store, wherever it lies), so a link pointing into the
//! store is refused too.
//!
//! Why this and not `openat2(RESOLVE_BENEATH)` or `cap-std`: both resolve a whole path in
//! one call, so neither can refuse the store directory met on the way (a check of the
//! opened file's ancestors afterwards would be a second lookup, and so a race); `openat2` is
//! also Linux ≥ 5.6 only (and often blocked by container seccomp filters), and `cap-std`
//! (bytecodealliance, maintained) would bring nine crates into the build for what is about
//! a hundred lines over `openat`, `readlinkat` and `fstat`, which `libc` (already a
//! dependency) offers on every Unix.

use std::collections::VecDeque;
use std::ffi::{CString, OsStr, OsString};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};

use super::Failure;

/// Symbolic links followed while resolving one path before it is given up as a loop.
const MAX_LINKS: usize = 40;

/// Where a run store lies unless told otherwise: `.duet` in the current directory, so in
/// the workspace. Every workspace refuses its own `.duet`.
pub const DEFAULT_STORE: &str = ".duet";

/// The directory file effects may touch.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    /// Directories inside (or around) the workspace that must never be reached.
    forbidden: Vec<PathBuf>,
}

/// How the last component of a path is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    /// A regular file, to read.
    Read,
    /// A regular file, to write (created if missing, truncated if present).
    Write,
    /// A directory.
    Dir,
}

/// A directory forbidden to the workspace, as found on disk now.
struct Fence {
    dev: u64,
    ino: u64,
    path: PathBuf,
}

/// What a walk opened: the object, and the real path of the directory it was opened in.
struct Opened {
    file: File,
    /// The names of the directories crossed from the root, after links were resolved.
    real: PathBuf,
}

impl Workspace {
    /// A workspace rooted at `root`, which must exist. It refuses the default store's place,
    /// `ROOT/.duet` ([`DEFAULT_STORE`]); the engine adds the store a run is kept in.
    pub fn new(root: impl Into<PathBuf>) -> std::io::Result<Workspace> {
        let root = root.into().canonicalize()?;
        Ok(Workspace {
            forbidden: vec![root.join(DEFAULT_STORE)],
            root,
        })
    }

    /// The same workspace, refusing every path that reaches `dir` (the run store): through
    /// its name, a symbolic link or any other way in. `dir` need not exist yet.
    pub fn with_forbidden(mut self, dir: impl AsRef<Path>) -> Workspace {
        let dir = dir.as_ref();
        let dir = if dir.is_absolute() {
            dir.to_path_buf()
        } else {
            std::env::current_dir().map_or_else(|_| dir.to_path_buf(), |cwd| cwd.join(dir))
        };
        if !self.forbidden.contains(&dir) {
            self.forbidden.push(dir);
        }
        self
    }

    /// The same confinement for a private copy of the workspace at `root` (an attempt's,
    /// `isolated`): paths are taken beneath `root`, and every forbidden directory but those
    /// that hold `root` (the store a copy is kept in, out of reach above it) is refused.
    pub fn copy_at(&self, root: impl Into<PathBuf>) -> std::io::Result<Workspace> {
        let mut copy = Workspace::new(root)?;
        let kept = self.forbidden.iter().filter(|dir| {
            let real = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
            !copy.root.starts_with(real) && !copy.forbidden.contains(dir)
        });
        copy.forbidden.extend(kept.cloned().collect::<Vec<_>>());
        Ok(copy)
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The text of the file at `path`.
    pub fn read(&self, path: &str) -> Result<String, Failure> {
        let mut opened = self.walk(path, Open::Read)?;
        let mut bytes = Vec::new();
        opened
            .file
            .read_to_end(&mut bytes)
            .map_err(|e| io(path, &e))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Writes `text` to the file at `path`, creating it if it does not exist. Its directory
    /// must exist. Through a symbolic link only a file that exists is written.
    pub fn write(&self, path: &str, text: &str) -> Result<(), Failure> {
        let mut opened = self.walk(path, Open::Write)?;
        opened
            .file
            .write_all(text.as_bytes())
            .map_err(|e| io(path, &e))
    }

    /// The names in the directory at `dir`, sorted, without the forbidden directories.
    pub fn list(&self, dir: &str) -> Result<Vec<String>, Failure> {
        let opened = self.walk(dir, Open::Dir)?;
        let fences = self.fences();
        let parent = fstat(&opened.file).map_err(|e| io(dir, &e))?;
        let mut names: Vec<String> = read_dir(OwnedFd::from(opened.file))
            .map_err(|e| io(dir, &e))?
            .into_iter()
            .filter(|(_, ino)| !fences.iter().any(|f| f.dev == parent.0 && f.ino == *ino))
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    }

    /// The real path of the directory `path` inside the workspace, for a command to start
    /// in (`shell :cwd`, an agent's `:cwd`), or why it is refused.
    pub fn directory(&self, path: &str) -> Result<PathBuf, Failure> {
        self.walk(path, Open::Dir).map(|opened| opened.real)
    }

    /// The forbidden directories as they are on disk now (missing ones are skipped).
    fn fences(&self) -> Vec<Fence> {
        self.forbidden
            .iter()
            .filter_map(|path| {
                let meta = std::fs::metadata(path).ok()?;
                use std::os::unix::fs::MetadataExt;
                Some(Fence {
                    dev: meta.dev(),
                    ino: meta.ino(),
                    path: path.canonicalize().unwrap_or_else(|_| path.clone()),
                })
            })
            .collect()
    }

    /// Opens `path` beneath the root as `how` says, one component at a time.
    fn walk(&self, path: &str, how: Open) -> Result<Opened, Failure> {
        let given = Path::new(path);
        if given.is_absolute() {
            return Err(refused(format!(
                "`{path}` is an absolute path; workspace paths are relative to the workspace {}",
                self.root.display()
            )));
        }
        if given.components().any(|c| c == Component::ParentDir) {
            return Err(refused(format!(
                "`{path}` uses `..`; paths stay inside the workspace"
            )));
        }
        if path.contains('\0') {
            return Err(refused(format!("`{path:?}` contains a NUL byte")));
        }
        let fences = self.fences();
        if let Some(fence) = fences.iter().find(|f| self.root.starts_with(&f.path)) {
            return Err(into_store(path, &fence.path));
        }
        let root = open_at(None, self.root.as_os_str(), libc::O_DIRECTORY)
            .map_err(|e| io(&self.root.display().to_string(), &e))?;
        self.fenced(path, &root, &fences)?;
        // The directories crossed, each with its name; the root is at the bottom.
        let mut dirs: Vec<(File, OsString)> = vec![(root, OsString::new())];
        let mut todo: VecDeque<OsString> = names(given);
        let mut links = 0;
        // The latest link followed, with its target, for messages.
        let mut link: Option<(PathBuf, OsString)> = None;
        // Set once the last component turned out to be a link: a write then only writes a
        // file that exists, so a dangling link creates nothing anywhere.
        let mut no_create = false;
        let crossed = |dirs: &[(File, OsString)], name: &OsStr| -> PathBuf {
            let mut p: PathBuf = dirs.iter().skip(1).map(|(_, n)| n).collect();
            p.push(name);
            p
        };
        let outside = |link: &Option<(PathBuf, OsString)>| {
            let (name, target) = link.clone().unwrap_or_default();
            refused(format!(
                "`{path}` leads outside the workspace {} through the symbolic link `{}` (to `{}`)",
                self.root.display(),
                name.display(),
                Path::new(&target).display()
            ))
        };
        while let Some(name) = todo.pop_front() {
            if name == ".." {
                // Only a link's target gets here: `..` is the directory above the link's.
                if dirs.len() == 1 {
                    return Err(outside(&link));
                }
                dirs.pop();
                continue;
            }
            let last = todo.is_empty();
            let dir = &dirs.last().expect("the root is never popped").0;
            let flags = match (last, how) {
                (false, _) | (true, Open::Dir) => libc::O_DIRECTORY | libc::O_NOFOLLOW,
                (true, Open::Read) => libc::O_NOFOLLOW | libc::O_NONBLOCK,
                (true, Open::Write) => {
                    let create = if no_create { 0 } else { libc::O_CREAT };
                    libc::O_WRONLY | libc::O_TRUNC | libc::O_NOFOLLOW | libc::O_NONBLOCK | create
                }
            };
            match open_at(Some(dir), &name, flags) {
                Ok(file) => {
                    self.fenced(path, &file, &fences)?;
                    if last && how != Open::Dir {
                        let meta = file.metadata().map_err(|e| io(path, &e))?;
                        if !meta.is_file() {
                            let what = if meta.is_dir() {
                                "a directory"
                            } else {
                                "a special file"
                            };
                            return Err(Failure::new(
                                "io",
                                format!("`{path}` is {what}, not a file"),
                            ));
                        }
                        let real = self.root.join(crossed(&dirs, OsStr::new("")));
                        return Ok(Opened { file, real });
                    }
                    dirs.push((file, name));
                }
                Err(e) if is_link_error(&e) => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(refused(format!(
                            "`{path}` goes through more than {MAX_LINKS} symbolic links (a loop?)"
                        )));
                    }
                    let target = match read_link_at(dir, &name) {
                        Ok(target) => target,
                        // A file where a directory was needed.
                        Err(_) if e.raw_os_error() == Some(libc::ENOTDIR) => {
                            return Err(Failure::new(
                                "io",
                                format!(
                                    "`{path}`: `{}` is not a directory",
                                    crossed(&dirs, &name).display()
                                ),
                            ));
                        }
                        // Not a link any more: it was swapped back meanwhile. Try again.
                        Err(_) => {
                            todo.push_front(name);
                            continue;
                        }
                    };
                    link = Some((crossed(&dirs, &name), target.clone()));
                    no_create |= last;
                    let target = Path::new(&target);
                    let rest = if target.is_absolute() {
                        // An absolute target is fine only where it names a place beneath
                        // the root; it is then walked from the root like any path.
                        let inside = target
                            .strip_prefix(&self.root)
                            .map_err(|_| outside(&link))?;
                        dirs.truncate(1);
                        names(inside)
                    } else {
                        names(target)
                    };
                    for n in rest.into_iter().rev() {
                        todo.push_front(n);
                    }
                }
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                    if let (true, Some((name, target))) = (no_create && how == Open::Write, &link) {
                        return Err(refused(format!(
                            "`{path}` is a symbolic link (`{}`) to `{}`, which does not exist; a write goes through a link only to a file that exists",
                            name.display(),
                            Path::new(target).display()
                        )));
                    }
                    let message = if last {
                        format!("`{path}` does not exist in the workspace")
                    } else {
                        format!(
                            "the directory `{}` of `{path}` does not exist in the workspace",
                            crossed(&dirs, &name).display()
                        )
                    };
                    return Err(Failure::new("io", message));
                }
                Err(e) => return Err(io(path, &e)),
            }
        }
        // Only directories (the path was empty, `.`, or named a directory).
        match how {
            Open::Dir => {
                let real = self.root.join(crossed(&dirs, OsStr::new("")));
                let (file, _) = dirs.pop().expect("the root is never popped");
                Ok(Opened { file, real })
            }
            _ => Err(Failure::new(
                "io",
                format!("`{path}` is a directory, not a file"),
            )),
        }
    }

    /// Refuses `opened` (reached through `path`) if it is a forbidden directory.
    fn fenced(&self, path: &str, opened: &File, fences: &[Fence]) -> Result<(), Failure> {
        if fences.is_empty() {
            return Ok(());
        }
        let (dev, ino) = fstat(opened).map_err(|e| io(path, &e))?;
        match fences.iter().find(|f| f.dev == dev && f.ino == ino) {
            Some(fence) => Err(into_store(path, &fence.path)),
            None => Ok(()),
        }
    }
}

/// A path refused: a `capability` failure, since the run may not go there.
fn refused(message: String) -> Failure {
    Failure::new("capability", message)
}

fn into_store(path: &str, store: &Path) -> Failure {
    refused(format!(
        "`{path}` reaches the run store {}, which no workflow may read or write; use a path elsewhere in the workspace",
        store.display()
    ))
}

fn io(path: &str, e: &std::io::Error) -> Failure {
    Failure::new("io", format!("`{path}`: {e}"))
}

/// The names of `path`'s components (`.` dropped).
fn names(path: &Path) -> VecDeque<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

/// Whether opening with `O_NOFOLLOW` failed because the name is a symbolic link (Linux says
/// `ELOOP`, the BSDs `EMLINK`; with `O_DIRECTORY` some say `ENOTDIR`).
fn is_link_error(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ELOOP) | Some(libc::EMLINK) | Some(libc::ENOTDIR)
    )
}

/// `openat(dir, name, flags | O_CLOEXEC)`; with no `dir`, `name` is a whole path.
fn open_at(dir: Option<&File>, name: &OsStr, flags: i32) -> std::io::Result<File> {
    let name = CString::new(name.as_bytes()).map_err(std::io::Error::other)?;
    let at = dir.map_or(libc::AT_FDCWD, AsRawFd::as_raw_fd);
    // SAFETY: `name` is a valid C string and `at` an open descriptor (or AT_FDCWD); the
    // mode is read only with O_CREAT.
    let fd = unsafe {
        libc::openat(
            at,
            name.as_ptr(),
            flags | libc::O_CLOEXEC,
            0o666 as libc::c_uint,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened and is owned by nothing else.
    let file = unsafe { File::from_raw_fd(fd) };
    if flags & libc::O_NONBLOCK != 0 {
        // Opened without blocking (a FIFO would wait for a peer); reads and writes block.
        // SAFETY: F_GETFL/F_SETFL on a descriptor we own.
        unsafe {
            let now = libc::fcntl(fd, libc::F_GETFL);
            if now >= 0 {
                libc::fcntl(fd, libc::F_SETFL, now & !libc::O_NONBLOCK);
            }
        }
    }
    Ok(file)
}

/// The target of the symbolic link `name` in `dir`.
fn read_link_at(dir: &File, name: &OsStr) -> std::io::Result<OsString> {
    let name = CString::new(name.as_bytes()).map_err(std::io::Error::other)?;
    let mut buf = vec![0u8; 4096];
    // SAFETY: `buf` has the length passed; `name` is a valid C string.
    let n = unsafe {
        libc::readlinkat(
            dir.as_raw_fd(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    buf.truncate(n as usize);
    Ok(OsString::from_vec(buf))
}

/// The device and inode of an open file.
fn fstat(file: &File) -> std::io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata()?;
    Ok((meta.dev(), meta.ino()))
}

/// The entries of an open directory (not `.` and `..`), with their inode numbers.
fn read_dir(dir: OwnedFd) -> std::io::Result<Vec<(OsString, u64)>> {
    use std::os::fd::IntoRawFd;
    let fd = dir.into_raw_fd();
    // SAFETY: `fd` is an open directory we own; fdopendir takes it over (closedir closes it).
    let stream = unsafe { libc::fdopendir(fd) };
    if stream.is_null() {
        let e = std::io::Error::last_os_error();
        // SAFETY: fdopendir failed, so `fd` is still ours to close.
        unsafe { libc::close(fd) };
        return Err(e);
    }
    let mut entries = Vec::new();
    loop {
        // SAFETY: `stream` is an open directory stream; each entry is read before the next
        // call to readdir.
        let entry = unsafe { libc::readdir(stream) };
        if entry.is_null() {
            break;
        }
        // SAFETY: readdir returned a valid entry whose name is NUL-terminated.
        let (name, ino) = unsafe {
            let name = std::ffi::CStr::from_ptr((*entry).d_name.as_ptr());
            (
                OsStr::from_bytes(name.to_bytes()).to_os_string(),
                (*entry).d_ino,
            )
        };
        if name != "." && name != ".." {
            #[allow(clippy::useless_conversion)]
            entries.push((name, u64::from(ino)));
        }
    }
    // SAFETY: `stream` is open and closed once.
    unsafe { libc::closedir(stream) };
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn place() -> (tempfile::TempDir, PathBuf, Workspace) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ws = dir.path().join("ws");
        std::fs::create_dir_all(ws.join("sub")).unwrap();
        std::fs::write(ws.join("sub/a.txt"), "a").unwrap();
        std::fs::create_dir_all(dir.path().join("outside")).unwrap();
        std::fs::write(dir.path().join("outside/secret"), "secret").unwrap();
        let workspace = Workspace::new(&ws).unwrap();
        (dir, ws, workspace)
    }

    fn refusal(result: Result<impl std::fmt::Debug, Failure>) -> String {
        let failure = result.expect_err("refused");
        assert_eq!(failure.kind, "capability", "{}", failure.message);
        failure.message
    }

    #[test]
    fn paths_stay_inside() {
        let (dir, ws, w) = place();
        assert_eq!(w.read("sub/a.txt").unwrap(), "a");
        assert_eq!(w.read("./sub/./a.txt").unwrap(), "a");
        w.write("new.txt", "n").unwrap();
        assert_eq!(std::fs::read_to_string(ws.join("new.txt")).unwrap(), "n");
        assert_eq!(w.list("").unwrap(), ["new.txt", "sub"]);
        assert_eq!(w.list(".").unwrap(), ["new.txt", "sub"]);
        assert!(refusal(w.read("../outside/secret")).contains("`..`"));
        let absolute = dir.path().join("outside/secret");
        let message = refusal(w.read(absolute.to_str().unwrap()));
        assert!(message.contains("absolute path"), "{message}");
        let missing = w.write("missing/dir/x.txt", "x").unwrap_err();
        assert_eq!(missing.kind, "io");
        assert!(
            missing
                .message
                .contains("`missing` of `missing/dir/x.txt` does not exist"),
            "{}",
            missing.message
        );
        assert_eq!(w.read("nothing.txt").unwrap_err().kind, "io");
        assert!(w.read("sub").unwrap_err().message.contains("a directory"));
        assert_eq!(w.directory("sub").unwrap(), ws.join("sub"));
    }

    #[test]
    fn links_inside_are_followed_and_links_out_refused() {
        let (dir, ws, w) = place();
        symlink("sub/a.txt", ws.join("inner")).unwrap();
        symlink("../sub", ws.join("sub/loop")).unwrap();
        symlink(ws.join("sub"), ws.join("absolute-inside")).unwrap();
        symlink(dir.path().join("outside"), ws.join("escape")).unwrap();
        symlink("../outside/secret", ws.join("climb")).unwrap();
        symlink("sub/../../outside", ws.join("sneak")).unwrap();
        symlink("self", ws.join("self")).unwrap();
        assert_eq!(w.read("inner").unwrap(), "a");
        assert_eq!(w.read("sub/loop/loop/a.txt").unwrap(), "a");
        assert_eq!(w.read("absolute-inside/a.txt").unwrap(), "a");
        assert_eq!(w.directory("sub/loop").unwrap(), ws.join("sub"));
        for path in ["escape/secret", "climb", "sneak/secret"] {
            let message = refusal(w.read(path));
            assert!(
                message.contains("leads outside the workspace"),
                "{path}: {message}"
            );
            assert!(message.contains(&format!("`{path}`")), "{message}");
        }
        assert!(refusal(w.list("escape")).contains("symbolic link `escape`"));
        assert!(refusal(w.write("escape/secret", "x")).contains("outside"));
        assert!(refusal(w.read("self")).contains("symbolic links"));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("outside/secret")).unwrap(),
            "secret"
        );
        // Writing through a link inside writes its target.
        w.write("inner", "b").unwrap();
        assert_eq!(std::fs::read_to_string(ws.join("sub/a.txt")).unwrap(), "b");
        assert!(ws.join("inner").is_symlink());
    }

    #[test]
    fn dangling_links_create_nothing() {
        let (dir, ws, w) = place();
        let target = dir.path().join("outside/created");
        symlink(&target, ws.join("dangling-out")).unwrap();
        symlink("sub/not-yet", ws.join("dangling-in")).unwrap();
        assert!(refusal(w.write("dangling-out", "x")).contains("outside"));
        let message = refusal(w.write("dangling-in", "x"));
        assert!(message.contains("does not exist"), "{message}");
        assert!(message.contains("`dangling-in`"), "{message}");
        assert!(!target.exists());
        assert!(!ws.join("sub/not-yet").exists());
    }

    #[test]
    fn the_store_is_out_of_reach_however_it_is_named() {
        let (dir, ws, w) = place();
        // The default store's place is refused without being named.
        let store = ws.join(DEFAULT_STORE);
        std::fs::create_dir_all(store.join("logs")).unwrap();
        std::fs::write(store.join("logs/r1.log"), "other runs").unwrap();
        symlink(".duet", ws.join("back-door")).unwrap();
        symlink(&store, ws.join("front-door")).unwrap();
        for path in [
            ".duet/logs/r1.log",
            "back-door/logs/r1.log",
            "front-door/logs/r1.log",
        ] {
            let message = refusal(w.read(path));
            assert!(message.contains("run store"), "{path}: {message}");
            assert!(message.contains(&format!("`{path}`")), "{message}");
        }
        assert!(refusal(w.write(".duet/lock", "0")).contains("run store"));
        assert!(refusal(w.list(".duet")).contains("run store"));
        assert!(refusal(w.directory("back-door")).contains("run store"));
        assert_eq!(w.list("").unwrap(), ["back-door", "front-door", "sub"]);
        // A store elsewhere, reached through a link from the workspace.
        let elsewhere = dir.path().join("store");
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::write(elsewhere.join("lock"), "1").unwrap();
        symlink(&elsewhere, ws.join("sub/store")).unwrap();
        let w = Workspace::new(&ws).unwrap().with_forbidden(&elsewhere);
        assert!(w.read("sub/store/lock").is_err());
        // A workspace inside its store reaches nothing.
        let w = Workspace::new(ws.join("sub")).unwrap().with_forbidden(&ws);
        assert!(refusal(w.read("a.txt")).contains("run store"));
    }
}
