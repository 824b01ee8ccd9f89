//! Confining file access to the workspace: paths are taken relative to its root, and a path
//! that leaves it — through `..`, an absolute path or a symbolic link — is refused.

use std::path::{Component, Path, PathBuf};

/// The directory file effects may touch.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
}

impl Workspace {
    /// A workspace rooted at `root`, which must exist.
    pub fn new(root: impl Into<PathBuf>) -> std::io::Result<Workspace> {
        let root = root.into().canonicalize()?;
        Ok(Workspace { root })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The real path of `path` inside the workspace, or why it is refused. For a file that
    /// does not exist yet (writing), its directory must exist inside the workspace.
    pub fn resolve(&self, path: &str) -> Result<PathBuf, String> {
        let given = Path::new(path);
        if given
            .components()
            .any(|c| matches!(c, Component::ParentDir))
        {
            return Err(format!(
                "`{path}` uses `..`; paths stay inside the workspace"
            ));
        }
        let joined = if given.is_absolute() {
            given.to_path_buf()
        } else {
            self.root.join(given)
        };
        let real = match joined.canonicalize() {
            Ok(real) => real,
            Err(_) => {
                // A new file: its directory must exist, inside the workspace.
                let parent = joined.parent().unwrap_or(&self.root);
                let name = joined
                    .file_name()
                    .ok_or_else(|| format!("`{path}` does not name a file"))?;
                let parent = parent
                    .canonicalize()
                    .map_err(|_| format!("the directory of `{path}` does not exist"))?;
                parent.join(name)
            }
        };
        if real.starts_with(&self.root) {
            Ok(real)
        } else {
            Err(format!(
                "`{path}` is outside the workspace {}",
                self.root.display()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside() {
        let dir = std::env::temp_dir().join(format!("duet-ws-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/a.txt"), "a").unwrap();
        let ws = Workspace::new(&dir).unwrap();
        assert!(ws.resolve("sub/a.txt").unwrap().ends_with("sub/a.txt"));
        assert!(ws.resolve("new.txt").is_ok());
        assert!(ws.resolve("../etc/passwd").unwrap_err().contains("`..`"));
        assert!(
            ws.resolve("/etc/passwd")
                .unwrap_err()
                .contains("outside the workspace")
        );
        assert!(
            ws.resolve("missing/dir/x.txt")
                .unwrap_err()
                .contains("does not exist")
        );
        #[cfg(unix)]
        {
            let _ = std::fs::remove_file(dir.join("escape"));
            std::os::unix::fs::symlink("/etc", dir.join("escape")).unwrap();
            assert!(
                ws.resolve("escape/passwd")
                    .unwrap_err()
                    .contains("outside the workspace")
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
