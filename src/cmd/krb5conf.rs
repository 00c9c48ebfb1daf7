//! `kerbrds krb5conf check [FILE]` and `kerbrds krb5conf generate`.

use std::io::Write as _;
use std::time::Instant;

use crate::check::CheckId;
use crate::cli::{Krb5confAction, Krb5confArgs, Krb5confCheckArgs, Krb5confGenerateArgs};
use crate::exit;
use crate::krb5conf::generate::{generate, Spec};
use crate::krb5conf::write::{diff, write_atomic, Outcome, WriteError};
use crate::krb5conf::{judge, Env, LoadError, Profile, Request, SystemCanonicalizer};
use crate::report::{Report, Target};

pub fn run(args: Krb5confArgs) -> u8 {
    match args.action {
        Krb5confAction::Check(a) => check(&a),
        Krb5confAction::Generate(a) => generate_cmd(&a),
    }
}

fn check(args: &Krb5confCheckArgs) -> u8 {
    let started = Instant::now();
    let env = Env::from_process();
    let loaded = match &args.file {
        Some(f) => match Profile::load_file(f) {
            Err(LoadError::Missing(_)) => {
                super::error(
                    &format!("{} does not exist", f.display()),
                    Some("kerbrds krb5conf generate --realm REALM -o FILE writes one"),
                );
                return exit::CANNOT_RUN;
            }
            other => other,
        },
        None => Profile::load_default(&env),
    };
    let req = Request {
        host: args.host.as_deref(),
        krbsrvname: &args.krbsrvname,
        expected_realm: args.realm.as_deref(),
        krb5ccname: env.krb5ccname.as_deref(),
    };
    if args.fix {
        return match &loaded {
            Ok(p) => fix_cmd(p, &req, args.dry_run),
            Err(e) => {
                super::error(&e.to_string(), Some("only a file that parses can be fixed: correct the line named, or regenerate it"));
                exit::FAILED
            }
        };
    }
    let checked = judge(&loaded, &req, &SystemCanonicalizer);
    let mut target = Target::default();
    match &loaded {
        Ok(p) => {
            let files: Vec<String> = p
                .files
                .iter()
                .map(|f| f.path.display().to_string())
                .collect();
            target.fact("krb5.conf", files.join(", "));
            if let Some(r) = p.default_realm() {
                target.fact("default realm", r.value);
            }
        }
        Err(_) => target.fact(
            "krb5.conf",
            match &args.file {
                Some(f) => f.display().to_string(),
                None => env
                    .config_paths()
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(":"),
            },
        ),
    }
    if let Some(p) = &checked.value {
        target.fact("host", &p.given_host);
        target.fact("service principal", p.principal());
    }
    let precedence = [
        CheckId::Krb5confParse,
        CheckId::Krb5confRealm,
        CheckId::Krb5confDomainRealm,
        CheckId::Krb5confLint,
    ];
    let report = Report::new(
        "krb5conf check",
        target,
        checked.results,
        &precedence,
        started.elapsed(),
    );
    super::emit(&report, &args.output);
    report.exit_code()
}

/// `check --fix [--dry-run]`: the fixes the checks name, applied to the main file.
fn fix_cmd(profile: &Profile, req: &Request<'_>, dry_run: bool) -> u8 {
    let Some(path) = profile.files.first().map(|f| f.path.clone()) else {
        return exit::CANNOT_RUN;
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            super::error(&format!("read {}: {e}", path.display()), None);
            return exit::CANNOT_RUN;
        }
    };
    let fixed = crate::krb5conf::fix::fix(profile, &text, req);
    let mut out = String::new();
    if fixed.applied.is_empty() {
        out.push_str(&format!(
            "{}: nothing to fix mechanically\n",
            path.display()
        ));
    } else if dry_run {
        out.push_str(&format!(
            "--- {}\n+++ fixed\n{}",
            path.display(),
            diff(&text, &fixed.text)
        ));
    } else {
        match write_atomic(&path, &fixed.text, true) {
            Ok(Outcome::Replaced { backup }) => out.push_str(&format!(
                "fixed {} (the previous file is {})\n",
                path.display(),
                backup.display()
            )),
            Ok(_) => out.push_str(&format!("fixed {}\n", path.display())),
            Err(e) => {
                super::error(&e.to_string(), Some("run as a user who may write the file, or fix it by hand with --dry-run's diff"));
                return exit::FAILED;
            }
        }
    }
    for a in &fixed.applied {
        out.push_str(&format!("  fixed  {a}\n"));
    }
    for m in &fixed.manual {
        out.push_str(&format!("  to do  {m}\n"));
    }
    super::write_stdout(&out);
    exit::OK
}

fn generate_cmd(args: &Krb5confGenerateArgs) -> u8 {
    let mut spec = Spec {
        realm: args.realm.clone().unwrap_or_default(),
        kdcs: args.kdcs.clone(),
        admin_server: args.admin_server.clone(),
        onprem_realm: args.onprem_realm.clone(),
        onprem_kdcs: args.onprem_kdcs.clone(),
        onprem_admin_server: args.onprem_admin_server.clone(),
        db_hosts: args.db_hosts.clone(),
        china: args.china,
    };
    if let Some(id) = &args.directory_id {
        match directory(id, args.region.as_deref()) {
            Ok((realm, ips)) => {
                if spec.realm.is_empty() {
                    spec.realm = realm;
                } else if !spec.realm.eq_ignore_ascii_case(&realm) {
                    super::error(
                        &format!(
                            "--realm {} differs from directory {id}'s realm {realm}",
                            spec.realm
                        ),
                        Some("drop --realm to use the directory's"),
                    );
                    return exit::CANNOT_RUN;
                }
                if spec.kdcs.is_empty() {
                    spec.kdcs = ips;
                }
            }
            Err(e) => {
                super::error(
                    &format!("cannot read directory {id}: {e}"),
                    Some("give --realm and --kdc instead, or check with kerbrds aws status"),
                );
                return exit::CANNOT_RUN;
            }
        }
    }
    let generated = match generate(&spec) {
        Ok(g) => g,
        Err(e) => {
            super::error(
                &e.to_string(),
                Some("give the directory's DNS name, e.g. --realm CORP.EXAMPLE.COM"),
            );
            return exit::CANNOT_RUN;
        }
    };
    {
        let mut stderr = anstream::stderr().lock();
        for n in &generated.notices {
            let _ = writeln!(stderr, "note: {n}");
        }
    }
    let Some(path) = &args.out_file else {
        super::write_stdout(&generated.text);
        return exit::OK;
    };
    if args.dry_run {
        let old = std::fs::read_to_string(path).unwrap_or_default();
        let d = diff(&old, &generated.text);
        if d.lines().all(|l| l.starts_with(' ')) || d.is_empty() {
            super::write_stdout(&format!("{} is already up to date\n", path.display()));
        } else {
            super::write_stdout(&format!("--- {}\n+++ generated\n{d}", path.display()));
        }
        return exit::OK;
    }
    match write_atomic(path, &generated.text, args.force) {
        Ok(Outcome::Created) => super::write_stdout(&format!("wrote {}\n", path.display())),
        Ok(Outcome::Unchanged) => {
            super::write_stdout(&format!("{} is already up to date\n", path.display()))
        }
        Ok(Outcome::Replaced { backup }) => super::write_stdout(&format!(
            "wrote {} (the previous file is {})\n",
            path.display(),
            backup.display()
        )),
        Err(e @ WriteError::Exists(_)) => {
            super::error(
                &e.to_string(),
                Some(
                    "see the difference with --dry-run; replace it with --force (a backup is kept)",
                ),
            );
            return exit::FAILED;
        }
        Err(e) => {
            super::error(
                &e.to_string(),
                Some("write elsewhere with -o FILE and set KRB5_CONFIG=FILE"),
            );
            return exit::FAILED;
        }
    }
    exit::OK
}

/// The directory's realm and domain controller addresses (ds:DescribeDirectories).
#[cfg(feature = "aws")]
fn directory(id: &str, region: Option<&str>) -> Result<(String, Vec<String>), String> {
    use crate::aws::sdk;
    use crate::aws::state::{CredFacts, Fetch};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(async {
        let bounds = sdk::Bounds::within(std::time::Duration::from_secs(10));
        let session = sdk::session(region, bounds).await;
        let Some(config) = session.config else {
            return Err(match (&session.credentials, &session.region) {
                (CredFacts::Found { .. }, None) => "no AWS Region (give --region)".to_string(),
                (CredFacts::Found { .. }, Some(_)) => "the AWS configuration did not load".into(),
                (other, _) => format!("no usable AWS credentials: {other:?}"),
            });
        };
        match sdk::directory(&sdk::Clients::new(&config), id).await {
            Fetch::Got(d) => Ok((
                d.realm(),
                d.dns_ips.iter().map(ToString::to_string).collect(),
            )),
            Fetch::Failed(e) => Err(e.describe()),
            Fetch::NotAsked(why) => Err(why),
        }
    })
}

#[cfg(not(feature = "aws"))]
fn directory(_id: &str, _region: Option<&str>) -> Result<(String, Vec<String>), String> {
    Err("this kerbrds was built without the aws feature".into())
}
