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

fn generate_cmd(args: &Krb5confGenerateArgs) -> u8 {
    let spec = Spec {
        realm: args.realm.clone(),
        kdcs: args.kdcs.clone(),
        admin_server: args.admin_server.clone(),
        onprem_realm: args.onprem_realm.clone(),
        onprem_kdcs: args.onprem_kdcs.clone(),
        onprem_admin_server: args.onprem_admin_server.clone(),
        db_hosts: args.db_hosts.clone(),
        china: args.china,
    };
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
