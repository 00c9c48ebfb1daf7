//! `kerbrds doctor`: states the target (src/doctor/target.rs), runs every check at once
//! (src/doctor/run.rs), prints one report and the verdict. Read-only: no kinit, no file
//! written (but `--bundle`), no mutating AWS call.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::aws::AwsInputs;
use crate::cli::{DoctorArgs, Format};
use crate::doctor::target::describe;
use crate::doctor::{bundle, precedence::PRECEDENCE, run};
use crate::exit;
use crate::krb5conf::HostRealm;
use crate::pgconn::{self, GssEncMode, Source, Value};
use crate::report::{human, json, progress, Report};

use super::probe::plan;

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

pub fn run(args: &DoctorArgs) -> u8 {
    // MIT reads KRB5_TRACE when a krb5 context is created, so it is set before any thread starts.
    let trace = match &args.bundle {
        Some(_) => match tempfile::NamedTempFile::new() {
            Ok(f) => {
                std::env::set_var("KRB5_TRACE", f.path());
                Some(f)
            }
            Err(e) => {
                super::error(
                    &format!("cannot create a file for the Kerberos trace: {e}"),
                    None,
                );
                return exit::CANNOT_RUN;
            }
        },
        None => None,
    };
    let params = match pgconn::resolve(&args.conn, &env) {
        Ok(p) => p,
        Err(e) => {
            super::error(&e.message, e.hint.as_deref());
            return exit::CANNOT_RUN;
        }
    };
    let plan = match plan(&args.conn, &args.net, &env) {
        Ok(p) => p,
        Err((message, hint)) => {
            super::error(&message, hint.as_deref());
            return exit::CANNOT_RUN;
        }
    };
    let timeout = plan.inputs.timeout;
    let mut target = plan.target;
    let mut probe_inputs = plan.inputs;
    let canon = crate::doctor::target::dns();
    let ticket = describe(&mut target, &params, &plan.profile, &canon, timeout);
    // A DB user without @REALM is no Kerberos principal (RDS compares the login with the full
    // principal): the KDC probes ask about the ticket's principal instead.
    if !params.user.value.contains('@') {
        if let Some((user, realm)) = ticket.as_deref().and_then(|p| p.rsplit_once('@')) {
            probe_inputs.user = Some(user.to_string());
            probe_inputs.realm = Some(realm.to_string());
        }
    }

    // The directory's realm must be the one the DB host maps to (the service principal's realm).
    let expected_realm = match &plan.profile {
        Ok(p) => match p.realm_for_host(&params.host.value) {
            HostRealm::Mapped { realm, .. } => Some(realm),
            HostRealm::Referral { .. } => None,
        },
        Err(_) => None,
    };
    let (aws, aws_skip_reason) = if args.no_aws {
        (None, "skipped: --no-aws".to_string())
    } else if !cfg!(feature = "aws") {
        (
            None,
            "skipped: kerbrds was built without the aws feature".to_string(),
        )
    } else {
        (
            Some(AwsInputs {
                instance: args.instance.clone(),
                host: Some(params.host.value.clone()),
                region: args.region.clone(),
                expected_realm,
            }),
            String::new(),
        )
    };
    let master = args.master_user.as_ref().map(|u| {
        let mut m = params.clone();
        m.user = Value {
            value: u.clone(),
            source: Source::Flag,
        };
        m.gssencmode = Value {
            value: GssEncMode::Disable,
            source: Source::Default,
        };
        m
    });

    if args.output.format == Format::Human {
        let mut out = anstream::stdout().lock();
        let _ = out.write_all(human::render_target(&target).as_bytes());
        let _ = out.flush();
    }

    let inputs = run::Inputs {
        params,
        probe: probe_inputs,
        profile: Arc::new(plan.profile),
        aws,
        aws_skip_reason,
        master,
        krb5ccname: env("KRB5CCNAME"),
        canon,
        timeout,
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let started = Instant::now();
    let show_progress = args.output.format == Format::Human;
    let sink = run::Sink::default();
    let (results, interrupted) = runtime.block_on(async {
        tokio::select! {
            results = run::run(&inputs, &sink) => (results, false),
            never = progress::ticker(timeout, show_progress) => match never {},
            // Ctrl-C: report what finished, the rest marked as interrupted.
            Ok(()) = tokio::signal::ctrl_c() => (sink.interrupted(), true),
        }
    });
    // A GSS call stuck on a blackholed KDC must not hold the exit: its step already timed out.
    runtime.shutdown_timeout(Duration::ZERO);
    let report = Report::new("doctor", target, results, PRECEDENCE, started.elapsed());

    let opts = human::Options {
        verbose: args.output.verbose,
        ascii: args.output.ascii,
    };
    let text = match args.output.format {
        Format::Json => json::render(&report),
        Format::Human => human::render_checks(&report, opts),
    };
    super::write_stdout(&text);

    if let Some(path) = &args.bundle {
        let trace_text = trace
            .as_ref()
            .and_then(|f| std::fs::read_to_string(f.path()).ok());
        let mut paths: Vec<std::path::PathBuf> = env("KRB5_CONFIG")
            .unwrap_or_else(|| "/etc/krb5.conf".into())
            .split(':')
            .filter(|p| !p.is_empty())
            .map(Into::into)
            .collect();
        paths.push("/etc/resolv.conf".into());
        let refs: Vec<&std::path::Path> = paths.iter().map(|p| p.as_path()).collect();
        let written = bundle::write(
            path,
            bundle::Bundle {
                report: json::to_value(&report),
                files: bundle::files(&refs),
                trace: trace_text,
            },
        );
        match written {
            Ok(()) => super::note(&format!("support bundle written to {}", path.display())),
            Err(e) => {
                super::error(
                    &format!("cannot write the support bundle {}: {e}", path.display()),
                    Some("choose a writable path with --bundle FILE"),
                );
                return exit::CANNOT_RUN;
            }
        }
    }
    if interrupted {
        super::note("interrupted: the checks marked 'interrupted before it finished' did not run to the end");
        return exit::CANNOT_RUN;
    }
    report.exit_code()
}
