//! RDS endpoint names → what to ask AWS for. Instance endpoints are
//! `<instance-id>.<hash>.<region>.rds.amazonaws.com` (China: `….rds.amazonaws.com.cn`); Aurora
//! cluster endpoints put `cluster-`, `cluster-ro-` or `cluster-custom-` before the hash.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The DB instance or cluster identifier (RDS identifiers are case-insensitive; lower case).
    pub id: String,
    pub region: String,
    /// True for Aurora cluster endpoints: the membership lives on the cluster.
    pub cluster: bool,
    /// `aws`, or `aws-cn` for the China partition.
    pub partition: &'static str,
}

/// Parses an RDS endpoint host name (a trailing dot and a `:port` are ignored); `None` when the
/// name is not RDS-shaped.
pub fn parse(host: &str) -> Option<Endpoint> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h.to_string(),
        _ => host,
    };
    let (rest, partition) = if let Some(r) = host.strip_suffix(".rds.amazonaws.com.cn") {
        (r, "aws-cn")
    } else {
        (host.strip_suffix(".rds.amazonaws.com")?, "aws")
    };
    let labels: Vec<&str> = rest.split('.').collect();
    let [id, hash, region] = labels.as_slice() else {
        return None;
    };
    let valid = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !(valid(id) && valid(hash) && valid(region) && region.contains('-')) {
        return None;
    }
    let cluster = ["cluster-ro-", "cluster-custom-", "cluster-"]
        .iter()
        .any(|p| hash.starts_with(p));
    Some(Endpoint {
        id: (*id).to_string(),
        region: (*region).to_string(),
        cluster,
        partition,
    })
}

/// The partition of a Region name, for ARNs in hints.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn ep(id: &str, region: &str, cluster: bool, partition: &'static str) -> Option<Endpoint> {
        Some(Endpoint {
            id: id.into(),
            region: region.into(),
            cluster,
            partition,
        })
    }

    #[test]
    fn endpoint_table() {
        let cases = [
            (
                "mydb.abc123xyz.us-east-1.rds.amazonaws.com",
                ep("mydb", "us-east-1", false, "aws"),
            ),
            (
                "MyDB.ABC123XYZ.us-east-1.rds.amazonaws.com.",
                ep("mydb", "us-east-1", false, "aws"),
            ),
            (
                "mydb.abc123xyz.us-east-1.rds.amazonaws.com:5432",
                ep("mydb", "us-east-1", false, "aws"),
            ),
            (
                "db-1.c9akciq32.cn-north-1.rds.amazonaws.com.cn",
                ep("db-1", "cn-north-1", false, "aws-cn"),
            ),
            (
                "aurora.cluster-c9akciq32.eu-west-1.rds.amazonaws.com",
                ep("aurora", "eu-west-1", true, "aws"),
            ),
            (
                "aurora.cluster-ro-c9akciq32.eu-west-1.rds.amazonaws.com",
                ep("aurora", "eu-west-1", true, "aws"),
            ),
            ("db.example.com", None),
            ("rds.amazonaws.com", None),
            ("a.b.rds.amazonaws.com", None),
            ("a.b.c.d.rds.amazonaws.com", None),
            ("my_db.abc.us-east-1.rds.amazonaws.com", None),
            ("", None),
        ];
        for (host, want) in cases {
            assert_eq!(parse(host), want, "{host}");
        }
    }

    #[test]
    fn partitions() {
        assert_eq!(partition_of("cn-northwest-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("eu-central-1"), "aws");
    }
}
