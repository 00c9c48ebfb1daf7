//! Port-53 I/O (RFC 1035 §4.2: UDP datagrams, TCP with a 2-byte length) with hickory-proto
//! messages on our own sockets, so refused, timed out, closed early and not-DNS stay apart
//! (hickory's resolver folds them into "timed out" / "no connections available").

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use hickory_proto::op::{Message, MessageType, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use tokio::time::Instant;

use crate::transport::{self, Framing, NetError, Proto};

/// The rcodes a diagnosis distinguishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rcode {
    NoError,
    NxDomain,
    ServFail,
    Refused,
    Other(String),
}

impl std::fmt::Display for Rcode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rcode::NoError => f.write_str("NOERROR"),
            Rcode::NxDomain => f.write_str("NXDOMAIN"),
            Rcode::ServFail => f.write_str("SERVFAIL"),
            Rcode::Refused => f.write_str("REFUSED"),
            Rcode::Other(s) => f.write_str(s),
        }
    }
}

/// A record's data, reduced to what the checks use. Names are lower case, without the final dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Cname(String),
    Ptr(String),
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: String,
    },
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rec {
    pub name: String,
    pub data: Data,
}

/// A well-formed DNS response to our query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub rcode: Rcode,
    pub truncated: bool,
    pub answers: Vec<Rec>,
    pub additionals: Vec<Rec>,
}

/// How one query ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsOutcome {
    Answer(Answer),
    /// Something replied that is not a DNS response to this query.
    Garbage {
        why: String,
        preview: String,
    },
    Net(NetError),
}

/// One query to one server over one transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsProbe {
    pub server: SocketAddr,
    pub proto: Proto,
    pub outcome: DnsOutcome,
    pub elapsed: Duration,
}

impl DnsProbe {
    pub fn target(&self) -> String {
        format!("{}/{}", self.server, self.proto)
    }

    pub fn answer(&self) -> Option<&Answer> {
        match &self.outcome {
            DnsOutcome::Answer(a) => Some(a),
            _ => None,
        }
    }
}

/// `name` without the final dot, lower case: the form every comparison uses.
pub fn norm(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn convert(r: &hickory_proto::rr::Record) -> Rec {
    let data = match &r.data {
        RData::A(a) => Data::A(a.0),
        RData::AAAA(a) => Data::Aaaa(a.0),
        RData::CNAME(c) => Data::Cname(norm(&c.0.to_utf8())),
        RData::PTR(p) => Data::Ptr(norm(&p.0.to_utf8())),
        RData::SRV(s) => Data::Srv {
            priority: s.priority,
            weight: s.weight,
            port: s.port,
            target: norm(&s.target.to_utf8()),
        },
        other => Data::Other(other.record_type().to_string()),
    };
    Rec {
        name: norm(&r.name.to_utf8()),
        data,
    }
}

/// A recursive query for `name`/`rtype` with a fresh random id.
pub fn encode_query(name: &Name, rtype: RecordType) -> Result<(u16, Vec<u8>), String> {
    let mut msg = Message::query();
    msg.metadata.recursion_desired = true;
    msg.add_query(Query::query(name.clone(), rtype));
    let id = msg.metadata.id;
    msg.to_vec().map(|b| (id, b)).map_err(|e| e.to_string())
}

/// Decodes a reply and checks it answers query `id`.
pub fn decode_answer(bytes: &[u8], id: u16) -> Result<Answer, String> {
    let msg = Message::from_vec(bytes).map_err(|e| format!("not a DNS message: {e}"))?;
    if msg.metadata.message_type != MessageType::Response {
        return Err("a DNS query, not a response".into());
    }
    if msg.metadata.id != id {
        return Err(format!(
            "response to another query (id {} instead of {id})",
            msg.metadata.id
        ));
    }
    let rcode = match msg.metadata.response_code {
        ResponseCode::NoError => Rcode::NoError,
        ResponseCode::NXDomain => Rcode::NxDomain,
        ResponseCode::ServFail => Rcode::ServFail,
        ResponseCode::Refused => Rcode::Refused,
        other => Rcode::Other(other.to_str().to_string()),
    };
    Ok(Answer {
        rcode,
        truncated: msg.metadata.truncation,
        answers: msg.answers.iter().map(convert).collect(),
        additionals: msg.additionals.iter().map(convert).collect(),
    })
}

/// One query to `server` over `proto`, bounded by `deadline`.
pub async fn query(
    server: SocketAddr,
    proto: Proto,
    name: &Name,
    rtype: RecordType,
    deadline: Instant,
) -> DnsProbe {
    let start = Instant::now();
    let outcome = match encode_query(name, rtype) {
        Err(e) => DnsOutcome::Net(NetError::Io(format!("cannot encode the query: {e}"))),
        Ok((id, bytes)) => {
            let (r, _) = match proto {
                Proto::Udp => transport::udp_exchange(server, &bytes, deadline).await,
                Proto::Tcp => {
                    transport::tcp_exchange(server, &bytes, Framing::U16, 65_535, deadline).await
                }
            };
            match r {
                Err(e) => DnsOutcome::Net(e),
                Ok(reply) => match decode_answer(&reply, id) {
                    Ok(a) => DnsOutcome::Answer(a),
                    Err(why) => DnsOutcome::Garbage {
                        why,
                        preview: transport::preview(&reply),
                    },
                },
            }
        }
    };
    DnsProbe {
        server,
        proto,
        outcome,
        elapsed: start.elapsed(),
    }
}

/// The result of asking every server: the first usable answer (NOERROR or NXDOMAIN; a
/// truncated UDP answer is retried over TCP on the same server), else every failed probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Answered { server: SocketAddr, answer: Answer },
    Failed(Vec<DnsProbe>),
}

impl Lookup {
    pub fn answer(&self) -> Option<&Answer> {
        match self {
            Lookup::Answered { answer, .. } => Some(answer),
            Lookup::Failed(_) => None,
        }
    }
}

fn usable(a: &Answer) -> bool {
    matches!(a.rcode, Rcode::NoError | Rcode::NxDomain)
}

/// Asks every server at once over UDP and returns as soon as one gives a usable answer, so one
/// dead server among live ones costs nothing.
pub async fn lookup(
    servers: &[SocketAddr],
    name: &Name,
    rtype: RecordType,
    deadline: Instant,
) -> Lookup {
    let mut pending: FuturesUnordered<_> = servers
        .iter()
        .map(|s| query(*s, Proto::Udp, name, rtype, deadline))
        .collect();
    let mut failed = Vec::new();
    while let Some(p) = pending.next().await {
        match p.answer() {
            Some(a) if a.truncated => {
                let tcp = query(p.server, Proto::Tcp, name, rtype, deadline).await;
                match tcp.answer() {
                    Some(a) if usable(a) => {
                        return Lookup::Answered {
                            server: p.server,
                            answer: a.clone(),
                        }
                    }
                    _ => failed.push(tcp),
                }
            }
            Some(a) if usable(a) => {
                return Lookup::Answered {
                    server: p.server,
                    answer: a.clone(),
                }
            }
            _ => failed.push(p),
        }
    }
    Lookup::Failed(failed)
}

/// Addresses of `name` with the CNAME chain followed (within the answer, then by asking again
/// for the chain's end, at most 8 hops as resolvers do). Returns (canonical chain, addresses,
/// the last lookup).
pub async fn resolve(
    servers: &[SocketAddr],
    host: &str,
    deadline: Instant,
) -> Result<(Vec<String>, Vec<IpAddr>), Lookup> {
    let mut chain: Vec<String> = Vec::new();
    let mut current = norm(host);
    for _ in 0..8 {
        let Ok(name) = Name::from_ascii(format!("{current}.")) else {
            return Ok((chain, Vec::new()));
        };
        let (a, aaaa) = tokio::join!(
            lookup(servers, &name, RecordType::A, deadline),
            lookup(servers, &name, RecordType::AAAA, deadline)
        );
        let (Some(ans4), ans6) = (a.answer(), aaaa.answer()) else {
            return Err(a);
        };
        let records: Vec<&Rec> = ans4
            .answers
            .iter()
            .chain(ans6.map(|x| x.answers.iter()).into_iter().flatten())
            .collect();
        // Walk the chain inside the answer.
        loop {
            let next = records.iter().find_map(|r| match &r.data {
                Data::Cname(t) if r.name == current => Some(t.clone()),
                _ => None,
            });
            match next {
                Some(t) if !chain.contains(&t) && chain.len() < 8 => {
                    chain.push(t.clone());
                    current = t;
                }
                _ => break,
            }
        }
        let addrs: Vec<IpAddr> = records
            .iter()
            .filter(|r| r.name == current)
            .filter_map(|r| match r.data {
                Data::A(a) => Some(IpAddr::V4(a)),
                Data::Aaaa(a) => Some(IpAddr::V6(a)),
                _ => None,
            })
            .collect();
        if !addrs.is_empty() || chain.is_empty() || ans4.rcode == Rcode::NxDomain {
            return Ok((chain, dedup(addrs)));
        }
        // A CNAME whose target the server did not resolve: ask for the target.
    }
    Ok((chain, Vec::new()))
}

fn dedup(mut v: Vec<IpAddr>) -> Vec<IpAddr> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|a| seen.insert(*a));
    v
}

/// The PTR names of `addr` (what MIT's `rdns = true` turns a host name into).
pub async fn reverse(
    servers: &[SocketAddr],
    addr: IpAddr,
    deadline: Instant,
) -> Result<Vec<String>, Lookup> {
    let name = Name::from(addr);
    match lookup(servers, &name, RecordType::PTR, deadline).await {
        Lookup::Answered { answer, .. } => Ok(answer
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                Data::Ptr(p) => Some(p.clone()),
                _ => None,
            })
            .collect()),
        failed => Err(failed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, CNAME};
    use hickory_proto::rr::Record;

    #[test]
    fn answers_round_trip_and_wrong_ids_are_rejected() {
        let name = Name::from_ascii("mydb.example.com.").unwrap();
        let (id, q) = encode_query(&name, RecordType::A).unwrap();
        let mut reply = Message::from_vec(&q).unwrap();
        reply.metadata.message_type = MessageType::Response;
        let target = Name::from_ascii("ip-10-0-0-1.ec2.internal.").unwrap();
        reply.add_answer(Record::from_rdata(
            name.clone(),
            60,
            RData::CNAME(CNAME(target.clone())),
        ));
        reply.add_answer(Record::from_rdata(
            target,
            60,
            RData::A(A::new(10, 0, 0, 1)),
        ));
        let bytes = reply.to_vec().unwrap();
        let a = decode_answer(&bytes, id).unwrap();
        assert_eq!(a.rcode, Rcode::NoError);
        assert_eq!(
            a.answers,
            vec![
                Rec {
                    name: "mydb.example.com".into(),
                    data: Data::Cname("ip-10-0-0-1.ec2.internal".into())
                },
                Rec {
                    name: "ip-10-0-0-1.ec2.internal".into(),
                    data: Data::A(Ipv4Addr::new(10, 0, 0, 1))
                },
            ]
        );
        assert!(decode_answer(&bytes, id.wrapping_add(1))
            .unwrap_err()
            .contains("another query"));
        assert!(decode_answer(&q, id)
            .unwrap_err()
            .contains("not a response"));
        assert!(decode_answer(b"HTTP/1.1 200 OK\r\n", id).is_err());
    }

    proptest::proptest! {
        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let _ = decode_answer(&bytes, 1);
        }
    }
}
