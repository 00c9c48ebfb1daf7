//! IAM policy documents, read as data: which services a trust policy lets assume the role, and
//! whether permission policies allow the Directory Service actions RDS needs. IAM returns
//! documents percent-encoded (RFC 3986); `decode` undoes that.

use serde_json::Value;

/// The actions AmazonRDSDirectoryServiceAccess grants and RDS needs to join a directory.
pub const REQUIRED_ACTIONS: [&str; 4] = [
    "ds:DescribeDirectories",
    "ds:AuthorizeApplication",
    "ds:UnauthorizeApplication",
    "ds:GetAuthorizedApplicationDetails",
];

pub const MANAGED_POLICY_NAME: &str = "AmazonRDSDirectoryServiceAccess";

/// The managed policy's ARN in a partition (`aws`, `aws-cn`, `aws-us-gov`).
pub fn managed_policy_arn(partition: &str) -> String {
    format!("arn:{partition}:iam::aws:policy/service-role/{MANAGED_POLICY_NAME}")
}

/// The trust policy `setup role` writes (and `status` expects).
pub fn rds_trust_policy() -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": ["directoryservice.rds.amazonaws.com", "rds.amazonaws.com"]},
            "Action": "sts:AssumeRole"
        }]
    })
    .to_string()
}

/// Percent-decodes an IAM policy document; a document that is already JSON is returned as is.
pub fn decode(doc: &str) -> String {
    if doc.trim_start().starts_with('{') {
        return doc.to_string();
    }
    let bytes = doc.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn as_list(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    }
}

/// IAM's action wildcards: `*` any run of characters, `?` one; case-insensitive.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let t: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// What a trust policy says: the services an Allow statement lets call sts:AssumeRole.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trust {
    pub services: Vec<String>,
    /// Statements with a Condition: shown as evidence, since they can narrow the trust.
    pub conditional: bool,
}

pub fn parse_trust(doc: &str) -> Result<Trust, String> {
    let v: Value = serde_json::from_str(&decode(doc)).map_err(|e| format!("not JSON: {e}"))?;
    let mut trust = Trust::default();
    for s in statements(&v) {
        if s.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        if !as_list(s.get("Action"))
            .iter()
            .any(|a| glob(a, "sts:AssumeRole"))
        {
            continue;
        }
        trust.conditional |= s.get("Condition").is_some();
        if let Some(p) = s.get("Principal") {
            trust
                .services
                .extend(as_list(p.get("Service")).into_iter().map(str::to_string));
        }
    }
    Ok(trust)
}

/// The two service principals RDS needs, and whether `trust` has each: the global name, or the
/// Region-specific one AWS documents for opt-in and newer Regions
/// (`directoryservice.rds.<region>.amazonaws.com`, `rds.<region>.amazonaws.com`).
pub fn missing_principals(trust: &Trust, region: Option<&str>) -> Vec<&'static str> {
    let has = |service: &str, prefix: &str| {
        trust.services.iter().any(|s| {
            s == service
                || region.is_some_and(|r| *s == format!("{prefix}.{r}.amazonaws.com"))
                || region.is_some_and(|r| *s == format!("{prefix}.{r}.amazonaws.com.cn"))
        })
    };
    let mut missing = Vec::new();
    if !has("directoryservice.rds.amazonaws.com", "directoryservice.rds") {
        missing.push("directoryservice.rds.amazonaws.com");
    }
    if !has("rds.amazonaws.com", "rds") {
        missing.push("rds.amazonaws.com");
    }
    missing
}

/// The required actions none of `docs` allows (Allow statements only; a Deny is not
/// subtracted, which errs towards passing a role RDS would still reject).
pub fn missing_actions<'a>(docs: impl IntoIterator<Item = &'a str>) -> Vec<&'static str> {
    let mut allowed: Vec<String> = Vec::new();
    for doc in docs {
        let Ok(v) = serde_json::from_str::<Value>(&decode(doc)) else {
            continue;
        };
        for s in statements(&v) {
            if s.get("Effect").and_then(Value::as_str) == Some("Allow") {
                allowed.extend(as_list(s.get("Action")).into_iter().map(str::to_string));
            }
        }
    }
    REQUIRED_ACTIONS
        .into_iter()
        .filter(|need| !allowed.iter().any(|a| glob(a, need)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn decodes_iam_percent_encoding() {
        let enc = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(decode(enc), r#"{"Version":"2012-10-17","Statement":[]}"#);
        assert_eq!(decode(r#"{"a":1}"#), r#"{"a":1}"#);
        // A stray % at the end is kept, not a panic.
        assert_eq!(decode("%7Bx%"), "{x%");
        assert_eq!(decode("%4"), "%4");
    }

    #[test]
    fn trust_with_both_principals_encoded() {
        let doc = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%5B%22directoryservice.rds.amazonaws.com%22%2C%22rds.amazonaws.com%22%5D%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
        let t = parse_trust(doc).unwrap();
        assert_eq!(
            missing_principals(&t, Some("us-east-1")),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn trust_with_only_rds_misses_directoryservice() {
        let doc = r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"rds.amazonaws.com"},"Action":["sts:AssumeRole"]}}"#;
        let t = parse_trust(doc).unwrap();
        assert_eq!(
            missing_principals(&t, None),
            vec!["directoryservice.rds.amazonaws.com"]
        );
    }

    #[test]
    fn regional_principals_count_and_deny_does_not() {
        let doc = r#"{"Statement":[
            {"Effect":"Allow","Principal":{"Service":["directoryservice.rds.ap-southeast-4.amazonaws.com","rds.ap-southeast-4.amazonaws.com"]},"Action":"sts:*"},
            {"Effect":"Deny","Principal":{"Service":"x.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let t = parse_trust(doc).unwrap();
        assert!(missing_principals(&t, Some("ap-southeast-4")).is_empty());
        assert_eq!(missing_principals(&t, Some("us-east-1")).len(), 2);
    }

    #[test]
    fn garbage_trust_is_an_error_not_a_panic() {
        assert!(parse_trust("%ZZ not json").is_err());
        assert!(parse_trust("").is_err());
    }

    #[test]
    fn actions_with_wildcards() {
        assert!(missing_actions([
            r#"{"Statement":[{"Effect":"Allow","Action":"ds:*","Resource":"*"}]}"#
        ])
        .is_empty());
        assert!(missing_actions([
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#
        ])
        .is_empty());
        assert_eq!(
            missing_actions([
                r#"{"Statement":[{"Effect":"Allow","Action":["ds:Describe*","ds:*Application"]}]}"#
            ]),
            vec!["ds:GetAuthorizedApplicationDetails"]
        );
        assert_eq!(missing_actions(["not json"]).len(), 4);
        assert_eq!(
            missing_actions([r#"{"Statement":[{"Effect":"Deny","Action":"ds:*"}]}"#]).len(),
            4
        );
    }

    #[test]
    fn glob_matches_like_iam() {
        assert!(glob("ds:Describe*", "ds:DescribeDirectories"));
        assert!(glob("DS:describedirectories", "ds:DescribeDirectories"));
        assert!(glob("ds:?escribeDirectories", "ds:DescribeDirectories"));
        assert!(!glob("ds:Describe", "ds:DescribeDirectories"));
        assert!(!glob("rds:*", "ds:DescribeDirectories"));
    }
}
