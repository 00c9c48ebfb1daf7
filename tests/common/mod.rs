//! Test harness for the lab (scripts/lab): real MIT KDCs, PostgreSQL with GSSAPI, dnsmasq and
//! moto in a network namespace. Lab tests run inside that namespace (scripts/test does
//! `scripts/lab exec cargo test`); outside it they fail loudly with the reason, never skip.
//!
//! Tests that only read the lab take `Lab::shared()`; tests that inject a fault take
//! `Lab::exclusive()`, which heals the lab (faults cleared, daemons restarted) when dropped.
//! The lock is a file lock, so it also holds across test binaries run in parallel.
#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub struct Lab {
    pub ns: String,
    pub dir: PathBuf,
    pub root: PathBuf,
    env: Vec<(String, String)>,
}

pub struct LabGuard {
    lab: &'static Lab,
    exclusive: bool,
    _lock: File,
}

impl std::ops::Deref for LabGuard {
    type Target = Lab;
    fn deref(&self) -> &Lab {
        self.lab
    }
}

impl Drop for LabGuard {
    fn drop(&mut self) {
        if self.exclusive {
            self.lab.heal();
        }
    }
}

fn inode(path: &str) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.ino())
}

impl Lab {
    fn get() -> &'static Lab {
        static LAB: OnceLock<Lab> = OnceLock::new();
        LAB.get_or_init(|| {
            let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
            let ns = std::env::var("KERBRDS_LAB_NS").unwrap_or_else(|_| "kerbrds".into());
            let here = inode("/proc/self/ns/net");
            let lab_ns = inode(&format!("/run/netns/{ns}"));
            if lab_ns.is_none() || here != lab_ns {
                panic!(
                    "lab tests must run inside the lab's network namespace {ns:?}; run scripts/test, \
                     or `scripts/lab up && scripts/lab exec cargo test`"
                );
            }
            let out = Command::new(root.join("scripts/lab"))
                .arg("up")
                .output()
                .expect("run scripts/lab up");
            assert!(
                out.status.success(),
                "the lab could not start: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let out = Command::new(root.join("scripts/lab"))
                .arg("env")
                .output()
                .expect("run scripts/lab env");
            let env: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let dir = PathBuf::from(
                &env.iter()
                    .find(|(k, _)| k == "KERBRDS_LAB_DIR")
                    .expect("KERBRDS_LAB_DIR in lab env")
                    .1,
            );
            Lab { ns, dir, root, env }
        })
    }

    fn lock(exclusive: bool) -> LabGuard {
        let lab = Lab::get();
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(lab.dir.join("test.lock"))
            .expect("open lab lock");
        if exclusive {
            file.lock().expect("lock lab");
        } else {
            file.lock_shared().expect("lock lab shared");
        }
        LabGuard {
            lab,
            exclusive,
            _lock: file,
        }
    }

    /// For tests that only read the lab.
    pub fn shared() -> LabGuard {
        Lab::lock(false)
    }

    /// For tests that inject faults; the lab is healed when the guard drops.
    pub fn exclusive() -> LabGuard {
        Lab::lock(true)
    }

    fn heal(&self) {
        let _ = self.script(&["fault", "clear"]);
        let _ = self.script(&["start"]);
    }

    pub fn env(&self, key: &str) -> &str {
        &self
            .env
            .iter()
            .find(|(k, _)| k == key)
            .unwrap_or_else(|| panic!("{key} not in lab env"))
            .1
    }

    /// A command with the lab's client environment and nothing inherited that would change
    /// Kerberos, libpq or AWS behaviour.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        for (k, _) in std::env::vars() {
            if k.starts_with("KRB5")
                || k.starts_with("PG")
                || k.starts_with("AWS_")
                || k == "NO_COLOR"
                || k == "HOME"
            {
                cmd.env_remove(&k);
            }
        }
        cmd.env("HOME", self.dir.join("home"));
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// The kerbrds binary under test, with the lab environment.
    pub fn kerbrds(&self) -> Command {
        self.command(env!("CARGO_BIN_EXE_kerbrds"))
    }

    /// Runs `scripts/lab ARGS…`.
    pub fn script(&self, args: &[&str]) -> Output {
        Command::new(self.root.join("scripts/lab"))
            .args(args)
            .output()
            .expect("run scripts/lab")
    }

    /// Gets a TGT for a lab user (alice, bob, carol) into `ccache` (a FILE: name).
    pub fn kinit(&self, user: &str, ccache: &str) {
        let out = self.script(&["kinit", user, ccache]);
        assert!(
            out.status.success(),
            "kinit {user}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Gets alice a TGT that expires after `secs` seconds, then waits until it has.
    pub fn expired_tgt(&self, ccache: &str, secs: u64) {
        use std::io::Write;
        let mut child = self
            .command("kinit")
            .env("KRB5CCNAME", ccache)
            .args(["-l", &format!("{secs}s"), "alice@EXAMPLE.COM"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn kinit");
        writeln!(
            child.stdin.take().expect("stdin"),
            "{}",
            self.secret("alice.pw")
        )
        .expect("password");
        assert!(child.wait().expect("kinit").success(), "kinit -l {secs}s");
        std::thread::sleep(std::time::Duration::from_secs(secs + 1));
    }

    /// Injects faults (`["drop"|"reject", addr, port, proto]`); the exclusive guard heals them.
    pub fn faults(&self, faults: &[[&str; 4]]) {
        for f in faults {
            let mut args = vec!["fault"];
            args.extend_from_slice(f);
            assert!(self.script(&args).status.success(), "fault {f:?}");
        }
    }

    /// Writes the lab's client krb5.conf `base` without the lines containing any of `drop` to
    /// the scratch directory's krb5.conf, and returns that path (a seeded misconfiguration).
    pub fn krb5_conf_without(&self, scratch: &Scratch, base: &str, drop: &[&str]) -> String {
        let conf = std::fs::read_to_string(self.path(base)).expect("lab krb5.conf");
        let kept: String = conf
            .lines()
            .filter(|l| !drop.iter().any(|d| l.contains(d)))
            .map(|l| format!("{l}\n"))
            .collect();
        let path = scratch.path("krb5.conf");
        std::fs::write(&path, kept).expect("write krb5.conf");
        path.display().to_string()
    }

    pub fn secret(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join("secrets").join(name))
            .expect("lab secret")
            .trim()
            .to_string()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }
}

/// A private directory (and FILE: ccache name) per test.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn ccache(&self) -> String {
        format!("FILE:{}", self.dir.path().join("ccache").display())
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

pub fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().expect("spawn");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}
