//! The three actions over a master connection. Each name gets its own transaction: the state is
//! read, the statements planned (`sql`), run, committed; a failure rolls that name back and the
//! next name still runs. `dry_run` reads and plans but runs nothing.

use std::time::Duration;

use serde::Serialize;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, GenericClient};

use super::judge::{problems, Problem, Role, RoleFacts};
use super::master::{chain, MasterError};
use super::name::Principal;
use super::sql;

/// Every Kerberos-looking role (name contains '@') with its memberships, sorted by name.
pub async fn read_roles(
    client: &impl GenericClient,
    like: Option<&str>,
) -> Result<Vec<Role>, tokio_postgres::Error> {
    let rows = client.query(sql::ROLES_QUERY, &[&like]).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push((
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        ));
    }
    Ok(sql::fold_roles(out))
}

/// The facts `judge_role` needs about one role name. Any login can read `pg_roles` and
/// `pg_auth_members`, so this works over the master connection or the user's own.
pub async fn read_role_facts(
    client: &impl GenericClient,
    name: &str,
) -> Result<RoleFacts, tokio_postgres::Error> {
    let roles = read_roles(client, Some(name)).await?;
    let (exact, case_variants): (Vec<Role>, Vec<Role>) =
        roles.into_iter().partition(|r| r.name == name);
    Ok(RoleFacts {
        name: name.to_string(),
        role: exact.into_iter().next(),
        case_variants,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Created with LOGIN and granted rds_ad.
    Created,
    /// Existed without rds_ad; granted it.
    Granted,
    /// Already a member of rds_ad: nothing to do.
    Unchanged,
    Dropped,
    /// Nothing to drop.
    Absent,
}

impl Outcome {
    pub fn describe(self, applied: bool) -> &'static str {
        match (self, applied) {
            (Outcome::Created, true) => "created with LOGIN and granted rds_ad",
            (Outcome::Created, false) => "would be created with LOGIN and granted rds_ad",
            (Outcome::Granted, true) => "existed without rds_ad: granted rds_ad",
            (Outcome::Granted, false) => "exists without rds_ad: rds_ad would be granted",
            (Outcome::Unchanged, _) => "already exists and is a member of rds_ad: nothing to do",
            (Outcome::Dropped, true) => "dropped",
            (Outcome::Dropped, false) => "would be dropped",
            (Outcome::Absent, _) => "does not exist: nothing to do",
        }
    }
}

/// What happened to one name.
#[derive(Debug, Clone)]
pub struct NameResult {
    pub name: String,
    pub outcome: Result<Outcome, MasterError>,
    /// The SQL run (or, with dry_run, that would run), BEGIN and COMMIT included.
    pub sql: Vec<String>,
    /// False for a dry run, or when the transaction was rolled back.
    pub applied: bool,
    /// Problems left with the login afterwards (NOLOGIN, rds_iam, case twins): warnings.
    pub notes: Vec<Problem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Drop,
}

/// How long one name's transaction (or the list query) may take: long enough for a lock held
/// briefly by another session, short enough that a hung connection does not hang kerbrds.
pub const OP_TIMEOUT: Duration = Duration::from_secs(60);

/// `apply` within `OP_TIMEOUT`. On timeout the transaction is abandoned (the server rolls it back
/// when the connection closes) and the caller must not reuse the connection: `None`.
pub async fn apply_within(
    client: &mut Client,
    action: Action,
    p: &Principal,
    master_user: &str,
    dry_run: bool,
) -> Option<NameResult> {
    tokio::time::timeout(OP_TIMEOUT, apply(client, action, p, master_user, dry_run))
        .await
        .ok()
}

/// The error for a name whose transaction did not finish within `OP_TIMEOUT`.
pub fn timed_out(p: &Principal) -> NameResult {
    NameResult {
        name: p.role_name(),
        outcome: Err(MasterError::new(
            format!("no answer within {} s; nothing was committed", OP_TIMEOUT.as_secs()),
            Some("another session may hold a lock on the role: look for it in pg_stat_activity (wait_event_type = 'Lock')".into()),
        )),
        sql: Vec::new(),
        applied: false,
        notes: Vec::new(),
    }
}

/// A read query within `OP_TIMEOUT`, its errors as `MasterError` naming `what`.
async fn read_within<T>(
    what: &str,
    query: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, MasterError> {
    match tokio::time::timeout(OP_TIMEOUT, query).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(MasterError::new(
            format!("cannot read {what}: {}", chain(&e)),
            None,
        )),
        Err(_) => Err(MasterError::new(
            format!("reading {what} took more than {} s", OP_TIMEOUT.as_secs()),
            None,
        )),
    }
}

/// Every Kerberos-looking role within `OP_TIMEOUT`, errors as `MasterError`.
pub async fn list_within(client: &Client) -> Result<Vec<Role>, MasterError> {
    read_within("the roles", read_roles(client, None)).await
}

/// Connects as the master user and reads the facts `judge_role` needs about `name`, for a doctor
/// that has no connection of its own (e.g. because the Kerberos login itself failed).
pub async fn master_role_facts(
    params: &crate::pgconn::ConnParams,
    password: Option<&super::master::Secret>,
    source: &super::master::PasswordSource,
    name: &str,
) -> Result<RoleFacts, MasterError> {
    let client = super::master::connect(params, password, source).await?;
    read_within(&format!("role {name}"), read_role_facts(&client, name)).await
}

/// Runs `action` for one name in its own transaction.
pub async fn apply(
    client: &mut Client,
    action: Action,
    p: &Principal,
    master_user: &str,
    dry_run: bool,
) -> NameResult {
    let name = p.role_name();
    let mut result = NameResult {
        name: name.clone(),
        outcome: Ok(Outcome::Unchanged),
        sql: Vec::new(),
        applied: false,
        notes: Vec::new(),
    };
    let tx = match client.transaction().await {
        Ok(tx) => tx,
        Err(e) => {
            result.outcome = Err(MasterError::new(
                format!("cannot start a transaction: {}", chain(&e)),
                None,
            ));
            return result;
        }
    };
    let facts = match read_role_facts(&tx, &name).await {
        Ok(f) => f,
        Err(e) => {
            result.outcome = Err(MasterError::new(
                format!("cannot read the roles: {}", chain(&e)),
                None,
            ));
            return result;
        }
    };
    let existing = facts.role.as_ref();
    let (statements, outcome) = match action {
        Action::Create => {
            let s = sql::create_statements(p, existing);
            let o = match existing {
                None => Outcome::Created,
                Some(r) if r.rds_ad.is_none() => Outcome::Granted,
                Some(_) => Outcome::Unchanged,
            };
            (s, o)
        }
        Action::Drop => (
            sql::drop_statements(p, existing),
            if existing.is_some() {
                Outcome::Dropped
            } else {
                Outcome::Absent
            },
        ),
    };
    result.sql = sql::transaction(&statements);
    result.outcome = Ok(outcome);
    if action == Action::Create {
        let after = existing.cloned().map_or_else(
            || Role {
                name: name.clone(),
                can_login: true,
                rds_ad: Some(Vec::new()),
                rds_iam: None,
            },
            |r| Role {
                rds_ad: r.rds_ad.or(Some(Vec::new())),
                ..r
            },
        );
        let twins: Vec<String> = facts.case_variants.iter().map(|r| r.name.clone()).collect();
        result.notes = problems(&after, &twins, &[], &[]);
    }
    if dry_run || statements.is_empty() {
        return result; // the transaction rolls back on drop; it changed nothing
    }
    for stmt in &statements {
        if let Err(e) = tx.batch_execute(stmt).await {
            result.outcome = Err(statement_error(&e, stmt, &name, master_user));
            return result;
        }
    }
    match tx.commit().await {
        Ok(()) => result.applied = true,
        Err(e) => {
            result.outcome = Err(MasterError::new(
                format!("COMMIT failed: {}", chain(&e)),
                None,
            ))
        }
    }
    result
}

/// A failed statement, judged by SQLSTATE and by which statement it was.
fn statement_error(e: &tokio_postgres::Error, stmt: &str, name: &str, master: &str) -> MasterError {
    let Some(db) = e.as_db_error() else {
        return MasterError::new(format!("{stmt} failed: {}", chain(e)), None);
    };
    let code = db.code();
    let q = super::name::quote_ident(master);
    let qn = super::name::quote_ident(name);
    let (what, hint) = if *code == SqlState::INSUFFICIENT_PRIVILEGE {
        if stmt.starts_with("GRANT rds_ad") {
            (
                format!("the master user {master} may not grant rds_ad"),
                format!("it must be a member of rds_ad WITH ADMIN OPTION or have CREATEROLE (the RDS master user has both through rds_superuser): connect as the RDS master user, or have it run GRANT rds_ad TO {q} WITH ADMIN OPTION;"),
            )
        } else if stmt.starts_with("CREATE") {
            (format!("the master user {master} may not create roles"), format!("it needs CREATEROLE (the RDS master user has it): connect as the RDS master user, or have it run ALTER ROLE {q} CREATEROLE;"))
        } else {
            (format!("the master user {master} may not drop {name}"), "dropping a role needs CREATEROLE (the RDS master user has it): connect as the RDS master user".to_string())
        }
    } else if *code == SqlState::UNDEFINED_OBJECT && stmt.starts_with("GRANT rds_ad") {
        (
            "this server has no rds_ad role".to_string(),
            "rds_ad exists on Amazon RDS for PostgreSQL; check that -h names the RDS endpoint and not another server".to_string(),
        )
    } else if *code == SqlState::DEPENDENT_OBJECTS_STILL_EXIST {
        (
            format!("{name} still owns objects or holds privileges"),
            format!("in every database where it does: REASSIGN OWNED BY {qn} TO {q}; DROP OWNED BY {qn}; then drop it again"),
        )
    } else if *code == SqlState::DUPLICATE_OBJECT {
        (
            format!("{name} was created by someone else meanwhile"),
            "run the command again: it will only add what is missing".to_string(),
        )
    } else {
        (
            format!("{stmt} failed"),
            db.hint().map_or_else(
                || "read the server's message above".to_string(),
                str::to_string,
            ),
        )
    };
    MasterError {
        message: format!("{what}: {} (SQLSTATE {})", db.message(), code.code()),
        hint: Some(hint),
        sqlstate: Some(code.code().to_string()),
    }
}
