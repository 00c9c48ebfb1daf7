//! `kerbrds doctor --bundle FILE`: one JSON file a support engineer can read without asking
//! follow-up questions — the report, the krb5.conf files in use, versions, the environment that
//! matters, resolv.conf and the Kerberos trace of this run. Secrets and key material are
//! redacted; the file is written atomically with mode 0600.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use serde_json::{json, Map, Value};

const ENV_PREFIXES: &[&str] = &["KRB5", "PG", "AWS_", "KERBRDS_"];
const SECRET_WORDS: &[&str] = &["PASSWORD", "SECRET", "TOKEN", "ACCESS_KEY", "PASS"];

/// Environment variables that change Kerberos, libpq or AWS behaviour, secrets redacted.
pub fn environment(vars: impl Iterator<Item = (String, String)>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in vars {
        if !ENV_PREFIXES.iter().any(|p| k.starts_with(p)) && k != "NO_COLOR" {
            continue;
        }
        let secret = SECRET_WORDS.iter().any(|w| k.to_uppercase().contains(w));
        let value = if secret { "<redacted>".to_string() } else { v };
        out.insert(k, Value::String(value));
    }
    out
}

/// MIT's trace prints key fingerprints after the enctype (`session key aes256-cts/1A2B`); none
/// of it is needed to diagnose a login, so it is masked. Principals stay.
pub fn redact_trace(trace: &str) -> String {
    const ENCTYPE_WORDS: &[&str] = &["aes", "rc4", "des", "camellia", "cts", "hmac"];
    let mut out = String::with_capacity(trace.len());
    for line in trace.lines() {
        let words: Vec<String> = line
            .split(' ')
            .map(|word| {
                let core = word.trim_end_matches([',', '.', ')']);
                match core.rsplit_once('/') {
                    Some((enctype, fp))
                        if fp.len() == 4
                            && fp.chars().all(|c| c.is_ascii_hexdigit())
                            && ENCTYPE_WORDS.iter().any(|w| enctype.contains(w)) =>
                    {
                        format!("{enctype}/<redacted>{}", &word[core.len()..])
                    }
                    _ => word.to_string(),
                }
            })
            .collect();
        out.push_str(&words.join(" "));
        out.push('\n');
    }
    out
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    let text = if out.stdout.is_empty() {
        out.stderr
    } else {
        out.stdout
    };
    Some(String::from_utf8_lossy(&text).trim().to_string())
}

/// Versions of what a login depends on: kerbrds itself, the OS, MIT krb5 and psql if present.
pub fn versions() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("kerbrds".into(), json!(env!("CARGO_PKG_VERSION")));
    if let Ok(os) = std::fs::read_to_string("/etc/os-release") {
        if let Some(name) = os.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=")) {
            m.insert("os".into(), json!(name.trim_matches('"')));
        }
    }
    if let Some(v) = command_output("klist", &["-V"]) {
        m.insert("krb5".into(), json!(v));
    }
    if let Some(v) = command_output("psql", &["--version"]) {
        m.insert("psql".into(), json!(v));
    }
    m
}

/// The files behind the run, by path (missing ones say so).
pub fn files(paths: &[&Path]) -> Map<String, Value> {
    let mut m = Map::new();
    for p in paths {
        let v = match std::fs::read_to_string(p) {
            Ok(t) => json!(t),
            Err(e) => json!(format!("<unreadable: {e}>")),
        };
        m.insert(p.display().to_string(), v);
    }
    m
}

pub struct Bundle {
    pub report: Value,
    pub files: Map<String, Value>,
    pub trace: Option<String>,
}

/// Writes the bundle atomically (temporary file in the same directory, then rename), mode 0600.
pub fn write(path: &Path, bundle: Bundle) -> std::io::Result<()> {
    let doc = json!({
        "kerbrds_bundle": 1,
        "report": bundle.report,
        "versions": versions(),
        "environment": environment(std::env::vars()),
        "files": bundle.files,
        "krb5_trace": bundle.trace.as_deref().map(redact_trace),
    });
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer_pretty(&mut tmp, &doc)?;
    tmp.write_all(b"\n")?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_the_environment_are_redacted_and_noise_is_dropped() {
        let env = environment(
            [
                ("PGPASSWORD", "hunter2"),
                ("AWS_SECRET_ACCESS_KEY", "abc"),
                ("AWS_ACCESS_KEY_ID", "AKIA123"),
                ("AWS_SESSION_TOKEN", "tok"),
                ("KERBRDS_AD_PASSWORD", "p"),
                ("PGHOST", "db.example.com"),
                ("KRB5CCNAME", "FILE:/tmp/cc"),
                ("PATH", "/usr/bin"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let text = serde_json::to_string(&env).unwrap();
        for secret in ["hunter2", "abc", "AKIA123", "tok", "\"p\""] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert_eq!(env["PGHOST"], "db.example.com");
        assert_eq!(env["KRB5CCNAME"], "FILE:/tmp/cc");
        assert!(!env.contains_key("PATH"));
    }

    #[test]
    fn key_fingerprints_in_the_trace_are_masked() {
        let t = "[1] 1700000000.1: AS key obtained for encrypted timestamp: aes256-cts/9E2B\n[1] Received TGT for krbtgt/EXAMPLE.COM@EXAMPLE.COM, session key aes256-cts/1A2B\n";
        let r = redact_trace(t);
        assert!(!r.contains("9E2B") && !r.contains("1A2B"), "{r}");
        assert!(
            r.contains("krbtgt/EXAMPLE.COM@EXAMPLE.COM"),
            "principals stay: {r}"
        );
        assert!(r.contains("aes256-cts/<redacted>"));
    }

    #[test]
    fn the_bundle_is_written_private_and_whole() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bundle.json");
        write(
            &path,
            Bundle {
                report: json!({"version": 1}),
                files: Map::new(),
                trace: Some("x".into()),
            },
        )
        .unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["report"]["version"], 1);
        assert_eq!(v["krb5_trace"], "x\n");
    }
}
