//! StartupMessage and the authentication exchange (PostgreSQL protocol §55.2.1–3): GSSAPI with
//! mutual authentication; a password request is reported, never answered. Reads on until
//! ReadyForQuery so that every login-time error (role missing, no login) is classified here,
//! then keeps the raw tail for tokio-postgres.

use bytes::BytesMut;
use postgres_protocol::message::backend::Message;

use super::negotiate::{closed, not_postgres, server_failure};
use super::transport::Transport;
use super::wire::{self, Conn, ReadError, MAX_LOGIN_MESSAGE};
use super::{Failure, Phase};
use crate::catalogue::Cause;
use crate::gss::{CredState, GssClient};
use crate::pgconn::ConnParams;

/// What the login left behind for the session.
pub struct LoggedIn {
    pub io: Transport,
    /// AuthenticationOk … ReadyForQuery plus any read-ahead, replayed to tokio-postgres.
    pub tail: BytesMut,
    /// Whether a GSSAPI authentication exchange took place (false when GSS encryption already
    /// authenticated the client, or the server asked for nothing).
    pub gss_exchange: bool,
    pub server_version: Option<String>,
}

pub async fn login(
    io: Transport,
    params: &ConnParams,
    cred: &CredState,
    phase: &Phase,
) -> Result<LoggedIn, Failure> {
    let mut conn = Conn::new(io);
    phase.set("sending StartupMessage");
    let startup = wire::startup_message(
        &params.user.value,
        &params.dbname.value,
        params.application_name.as_deref().unwrap_or("kerbrds"),
    )
    .map_err(|e| Failure::new(Cause::Internal, e.to_string(), Cause::Internal.fix()))?;
    send(&mut conn, &startup).await?;
    phase.set("authenticating");

    let mut gss: Option<GssClient> = None;
    let mut gss_exchange = false;
    let mut authed = false;
    let mut tail = BytesMut::new();
    let mut server_version = None;
    loop {
        let frame = conn
            .read_message(MAX_LOGIN_MESSAGE)
            .await
            .map_err(|e| read_failure(&e, authed))?;
        match frame.msg {
            Message::AuthenticationOk if !authed => {
                if let Some(g) = &gss {
                    if !g.is_complete() {
                        return Err(not_postgres(
                            "the server reported success before GSSAPI mutual authentication completed"
                                .into(),
                        ));
                    }
                    g.require_established(false)
                        .map_err(|f| Failure::gss(&f, params))?;
                }
                authed = true;
                phase.set("waiting for ReadyForQuery");
                tail.extend_from_slice(&frame.raw);
            }
            // Without native SSPI, libpq answers an SSPI request with GSSAPI too (a Windows
            // server's Negotiate accepts a raw Kerberos token).
            Message::AuthenticationGss | Message::AuthenticationSspi
                if !authed && gss.is_none() =>
            {
                usable(cred, params)?;
                phase.set("getting a service ticket (GSSAPI authentication)");
                let client = GssClient::new(&params.krbsrvname.value, &params.host.value)
                    .map_err(|f| Failure::gss(&f, params))?;
                let (client, r) = client.step(None).await;
                let token = r.map_err(|f| Failure::gss(&f, params))?;
                let Some(token) = token else {
                    return Err(not_postgres("GSSAPI produced no initial token".into()));
                };
                send(&mut conn, &response(&token)?).await?;
                gss = Some(client);
                gss_exchange = true;
                phase.set("authenticating");
            }
            Message::AuthenticationGssContinue(body) if !authed => {
                let Some(client) = gss.take() else {
                    return Err(not_postgres(
                        "the server sent AuthenticationGSSContinue without AuthenticationGSS"
                            .into(),
                    ));
                };
                let (client, r) = client.step(Some(body.data().to_vec())).await;
                if let Some(token) = r.map_err(|f| Failure::gss(&f, params))? {
                    send(&mut conn, &response(&token)?).await?;
                }
                gss = Some(client);
            }
            Message::AuthenticationSasl(_) if !authed => {
                return Err(password(params, "SCRAM (SASL)"))
            }
            Message::AuthenticationMd5Password(_) if !authed => {
                return Err(password(params, "MD5"))
            }
            Message::AuthenticationCleartextPassword if !authed => {
                return Err(password(params, "cleartext"))
            }
            Message::AuthenticationKerberosV5 | Message::AuthenticationScmCredential if !authed => {
                return Err(Failure::new(
                    Cause::ServerFatal,
                    "the server asked for an authentication method libpq no longer supports \
                     (Kerberos V5 of PostgreSQL < 9.4, or SCM credentials)",
                    "use a gss line in pg_hba.conf (RDS: grant rds_ad to the login)",
                ))
            }
            Message::ErrorResponse(body) => {
                let e = wire::ServerError::from_fields(body.fields());
                return Err(server_failure(&e));
            }
            Message::NoticeResponse(_) => {
                if authed {
                    tail.extend_from_slice(&frame.raw);
                }
            }
            Message::ParameterStatus(ref body) if authed => {
                if body.name().ok() == Some("server_version") {
                    server_version = body.value().ok().map(str::to_string);
                }
                tail.extend_from_slice(&frame.raw);
            }
            Message::BackendKeyData(_) if authed => tail.extend_from_slice(&frame.raw),
            Message::ReadyForQuery(_) if authed => {
                tail.extend_from_slice(&frame.raw);
                break;
            }
            _ => {
                return Err(not_postgres(format!(
                    "unexpected message '{}' during {}",
                    char::from(frame.raw[0]),
                    if authed {
                        "session start"
                    } else {
                        "authentication"
                    }
                )))
            }
        }
    }
    tail.extend_from_slice(&conn.buf.split());
    Ok(LoggedIn {
        io: conn.io,
        tail,
        gss_exchange,
        server_version,
    })
}

async fn send(conn: &mut Conn<Transport>, bytes: &[u8]) -> Result<(), Failure> {
    conn.send(bytes).await.map_err(|e| {
        if closed(&e) {
            hung_up(false)
        } else {
            super::negotiate::io_fail(e)
        }
    })
}

fn response(token: &[u8]) -> Result<BytesMut, Failure> {
    wire::gss_response(token)
        .map_err(|e| Failure::new(Cause::Internal, e.to_string(), Cause::Internal.fix()))
}

/// GSS authentication needs a valid TGT; an expired one still "acquires", so say so before MIT
/// produces a vaguer error.
fn usable(cred: &CredState, params: &ConnParams) -> Result<(), Failure> {
    match cred {
        CredState::Valid(_) => Ok(()),
        other => Err(Failure::cred(other, params)),
    }
}

fn password(params: &ConnParams, method: &str) -> Failure {
    let user = &params.user.value;
    Failure::new(
        Cause::PasswordAuthChosen,
        format!(
            "the server asked for a password ({method}): pg_hba chose a password method for user \
             {user}, so it did not offer Kerberos to this login"
        ),
        super::role_fix(
            user,
            "the role is missing, not a member of rds_ad, or spelled with another realm case",
        ),
    )
}

fn read_failure(e: &ReadError, authed: bool) -> Failure {
    match e {
        ReadError::Garbage(s) => not_postgres(s.clone()),
        ReadError::Eof => hung_up(authed),
        ReadError::Io(e) if closed(e) => hung_up(authed),
        ReadError::Io(e) => super::negotiate::io_fail(std::io::Error::new(e.kind(), e.to_string())),
    }
}

fn hung_up(authed: bool) -> Failure {
    Failure::new(
        Cause::ServerFatal,
        format!(
            "the server closed the connection during {} without an error message",
            if authed {
                "session start"
            } else {
                "authentication"
            }
        ),
        "look at the server log (RDS: the postgresql log in the console) for the reason",
    )
}
