//! The failure catalogue as code: one `Cause` per failure users hit in this setup
//! (docs/failure-catalogue.md and ../shared/FAILURE-CATALOGUE.md rows B-1 … B-52, plus the
//! probe outcomes kerbrds itself distinguishes). Each cause has a stable `code()`, a one-line
//! `why()` and a generic `fix()`; checks replace the generic fix with the concrete one for the
//! host at hand (the krb5.conf line, the kinit command, the SQL, the port, the AWS CLI call).

macro_rules! causes {
    ($($(#[$doc:meta])* $variant:ident => $code:literal, $why:literal, $fix:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Cause { $($(#[$doc])* $variant),* }

        impl Cause {
            pub const ALL: &'static [Cause] = &[$(Cause::$variant),*];

            /// Stable lower-case code, used in JSON and in docs anchors.
            pub fn code(self) -> &'static str {
                match self { $(Cause::$variant => $code),* }
            }

            /// Why this matters, in one sentence.
            pub fn why(self) -> &'static str {
                match self { $(Cause::$variant => $why),* }
            }

            /// The generic fix; checks give the concrete one for this host as their hint.
            pub fn fix(self) -> &'static str {
                match self { $(Cause::$variant => $fix),* }
            }

            pub fn from_code(code: &str) -> Option<Cause> {
                match code { $($code => Some(Cause::$variant),)* _ => None }
            }
        }
    };
}

/// The catalogue as Markdown (docs/failure-catalogue.md), one anchored entry per cause.
pub fn markdown() -> String {
    let mut s = String::from(
        "# Failure catalogue\n\nEvery cause kerbrds reports, by its stable code (generated from \
         `src/catalogue.rs`). `kerbrds explain CODE` prints the same entry.\n",
    );
    for c in Cause::ALL {
        s.push_str(&format!(
            "\n### <a id=\"{0}\"></a>{0}\n\n- **Why:** {1}\n- **Fix:** `{2}`\n",
            c.code(),
            c.why(),
            c.fix()
        ));
    }
    s
}

impl Cause {
    /// Where the cause is documented (an anchor in docs/failure-catalogue.md).
    pub fn docs(self) -> String {
        format!("docs/failure-catalogue.md#{}", self.code())
    }
}

causes! {
    // ------------------------------------------------------------------ krb5.conf (B-20..B-33)
    /// B-27: no krb5.conf, or KRB5_CONFIG points nowhere.
    Krb5confMissing => "krb5conf-missing",
        "without a krb5.conf, MIT Kerberos has no default realm: kinit fails with 'Configuration file does not specify default realm'",
        "generate one: kerbrds krb5conf generate --realm CORP.EXAMPLE.COM -o /etc/krb5.conf";
    /// The file exists but is not valid MIT profile syntax.
    Krb5confSyntax => "krb5conf-syntax",
        "MIT Kerberos refuses a krb5.conf it cannot parse, and every Kerberos call fails",
        "fix the line named in the error, or regenerate the file with kerbrds krb5conf generate";
    /// B-27: no default_realm.
    Krb5confNoDefaultRealm => "krb5conf-no-default-realm",
        "kinit and libpq need a default realm to build the user's principal",
        "add 'default_realm = CORP.EXAMPLE.COM' under [libdefaults]";
    /// B-25/B-26: realm not upper case.
    RealmNotUpperCase => "realm-not-upper-case",
        "Active Directory realms are the domain name in upper case; a lower-case realm fails with 'KDC reply did not match expectations' or 'Cannot find KDC for realm'",
        "write the realm in upper case everywhere (default_realm, [realms], [domain_realm], kinit USER@REALM)";
    /// B-12: no kdc for the realm and DNS lookup of KDCs disabled.
    RealmHasNoKdc => "realm-has-no-kdc",
        "with no 'kdc =' line and dns_lookup_kdc off, kinit fails with 'Cannot find KDC for realm'",
        "add 'kdc = <directory DNS name or DC address>' to the realm, or set dns_lookup_kdc = true";
    /// B-22: no [domain_realm] entry covers the DB host.
    DomainRealmMissing => "domain-realm-missing",
        "without a [domain_realm] mapping, the service ticket for the DB is asked in the wrong realm: 'Server krbtgt/…@ONPREM.COM not found in Kerberos database'",
        "add '.rds.amazonaws.com = CORP.EXAMPLE.COM' (and the DB host's own domain) under [domain_realm]";
    /// The DB host maps to a realm that is not the directory's.
    DomainRealmWrong => "domain-realm-wrong",
        "the DB host is mapped to a realm other than the managed directory's, so the service ticket is asked from the wrong KDC",
        "map the DB host's domain to the managed directory's realm under [domain_realm]";
    /// B-20: rdns / dns_canonicalize_hostname rewrite the SPN.
    SpnRewritten => "spn-rewritten",
        "MIT defaults (rdns = true, dns_canonicalize_hostname = true) replace the RDS endpoint by its EC2-internal name: 'Server krbtgt/EC2.INTERNAL@… not found in Kerberos database'",
        "set 'rdns = false' and 'dns_canonicalize_hostname = false' under [libdefaults]";
    /// B-33: dns_canonicalize_hostname = fallback.
    CanonicalizeFallback => "canonicalize-fallback",
        "older krb5 libraries bundled with drivers (psycopg2-binary ships 1.15) reject 'fallback' with 'Invalid boolean value'",
        "use 'dns_canonicalize_hostname = false'";
    /// B-31: enctype lists exclude AES.
    EnctypesWithoutAes => "enctypes-without-aes",
        "AWS Managed AD issues AES tickets; an enctype list without AES fails with 'KDC has no support for encryption type'",
        "remove the enctype lines, or include aes256-cts-hmac-sha1-96 and aes128-cts-hmac-sha1-96";
    /// Malformed realm or domain names in [domain_realm] or [realms].
    MalformedRealmName => "malformed-realm-name",
        "a realm name that is not the directory's DNS name in upper case (e.g. an underscore for a hyphen) matches nothing",
        "write the realm exactly as the directory's DNS name, in upper case";
    /// The credential cache named by KRB5CCNAME or default_ccache_name cannot be written.
    CcacheNotWritable => "ccache-not-writable",
        "kinit cannot store the ticket, so every later step finds no credentials",
        "point KRB5CCNAME at a writable FILE: path, e.g. export KRB5CCNAME=FILE:/tmp/krb5cc_$(id -u)";
    /// An includedir file overrides a setting of the main file.
    IncludeOverrides => "include-overrides",
        "a file pulled in by include/includedir sets the same relation; MIT uses the first value it reads, which may not be the one you edited",
        "remove the duplicate from one of the files";

    // ------------------------------------------------------------------ DNS (B-11..B-13, B-18)
    DnsRefused => "dns-refused",
        "the DNS server actively refused the query port, so no name in the setup resolves",
        "point /etc/resolv.conf at the directory's DNS addresses (DnsIpAddrs) or a Route 53 Resolver rule";
    DnsTimeout => "dns-timeout",
        "the DNS server did not answer: a security group, NACL or route drops port 53",
        "allow UDP and TCP 53 from this host to the DNS server";
    DnsTcpBlocked => "dns-tcp-blocked",
        "large DNS answers (many SRV records) need TCP 53; with it blocked, lookups fail intermittently",
        "allow TCP 53 as well as UDP 53 to the DNS server";
    DnsGarbage => "dns-garbage",
        "something answered on port 53 that is not a DNS server",
        "check that the resolver address really is a DNS server (the directory's DnsIpAddrs)";
    DnsNoSrv => "dns-no-srv",
        "no _kerberos SRV records: MIT can only find the KDCs through 'kdc =' lines in krb5.conf",
        "use the directory's DNS servers, or list the KDCs with 'kdc =' in krb5.conf";
    DnsSrvMismatch => "dns-srv-mismatch",
        "the KDCs published in DNS differ from the ones krb5.conf lists",
        "make the 'kdc =' lines match the directory's domain controllers";
    /// B-18/B-13: the DB host name does not resolve.
    HostNotFound => "host-not-found",
        "the DB host name does not resolve: nothing can connect to it",
        "check the endpoint name; use a resolver that answers for it (or add a hosts entry)";
    /// B-21: the host given is an IP address.
    HostIsIpAddress => "host-is-ip-address",
        "the service principal is built from the host name; with an IP address it becomes postgres/10.1.2.3@REALM, which does not exist",
        "connect with the endpoint name, not its address (use hostaddr= to pin the address)";

    // ------------------------------------------------------------------ KDC and kpasswd (B-9, B-10, B-14, B-15, B-32)
    KdcTimeout => "kdc-timeout",
        "the KDC did not answer: a security group, NACL or route drops port 88; kinit then waits ~18 s and fails with 'Cannot contact any KDC'",
        "allow UDP and TCP 88 from this host to the domain controllers (directory security group)";
    KdcRefused => "kdc-refused",
        "the KDC port was actively refused: a host firewall rejects it or nothing listens there",
        "check the KDC address and open port 88 (UDP and TCP)";
    KdcGarbage => "kdc-garbage",
        "something answered on port 88 that is not a Kerberos KDC",
        "check the 'kdc =' addresses in krb5.conf";
    KdcUdpOnlyBlocked => "kdc-udp-blocked",
        "UDP 88 is dropped but TCP works: MIT waits 1 s per request before falling back to TCP (slow, not broken)",
        "allow UDP 88 to the domain controllers as well";
    /// AD tickets carry a PAC and do not fit UDP: TCP 88 is mandatory.
    KdcTcpBlocked => "kdc-tcp-blocked",
        "TCP 88 is blocked: Active Directory tickets carry a PAC that does not fit UDP, so logins fail",
        "allow TCP 88 to the domain controllers";
    KdcWrongRealm => "kdc-wrong-realm",
        "the KDC does not serve the realm asked for",
        "check the realm's 'kdc =' lines and the realm name";
    /// B-28: the user principal is unknown to the KDC.
    ClientUnknown => "client-unknown",
        "the KDC does not know this user: 'Client not found in Kerberos database'",
        "check the user name and realm (on-prem users belong to the on-prem realm)";
    /// B-30
    ClientRevoked => "client-revoked",
        "the account is disabled or locked out: 'Client's credentials have been revoked'",
        "ask an AD administrator to enable or unlock the account";
    /// Active Directory: the account was disabled (or locked, or expired) after kinit; the TGT
    /// still exists, but the KDC refuses every service ticket (Samba and Windows: KDC_ERR_POLICY).
    AccountDisabled => "account-disabled",
        "the account was disabled, locked or expired after kinit: the KDC refuses service tickets with 'KDC policy rejects request' (KDC_ERR_POLICY)",
        "ask an AD administrator to enable or unlock the account (Enable-ADAccount / Unlock-ADAccount USER), then kdestroy && kinit USER@REALM";
    /// Active Directory: the password has expired or must change at next logon (KDC_ERR_KEY_EXPIRED).
    PasswordExpired => "password-expired",
        "the account's password has expired or must be changed at next logon: 'Password has expired' (KDC_ERR_KEY_EXPIRED); no ticket is issued until it changes",
        "change the password: kpasswd USER@REALM (needs UDP/TCP 464 to a domain controller), or ask an AD administrator to reset it; then kinit USER@REALM";
    /// Active Directory: the service ticket is RC4 because the SPN's account lacks AES enctypes.
    ServiceTicketRc4 => "service-ticket-rc4",
        "the DB's service ticket is encrypted with RC4 (arcfour-hmac): the account holding the SPN has no AES enctypes; RC4 is deprecated, and clients or domain controllers that disable it then fail with 'KDC has no support for encryption type'",
        "on the account that holds the SPN: Set-ADUser ACCOUNT -KerberosEncryptionType AES128,AES256 (msDS-SupportedEncryptionTypes = 24), reset its password so AES keys exist, re-export the keytab; then kdestroy && kinit";
    /// B-15 (reachability of kpasswd).
    KpasswdUnreachable => "kpasswd-unreachable",
        "kpasswd (464) is unreachable: a user whose password must change at first logon cannot change it",
        "allow UDP and TCP 464 from this host to the domain controllers";
    /// B-32
    ClockSkew => "clock-skew",
        "Kerberos rejects tickets when clocks differ by more than 5 minutes: 'Clock skew too great'",
        "synchronise the clock (chrony/NTP; Amazon Time Sync 169.254.169.123 on EC2)";

    // ------------------------------------------------------------------ tickets (B-35, B-36, B-47, B-20..B-24)
    /// B-35
    NoCredentials => "no-credentials",
        "there is no ticket in the credential cache: 'No Kerberos credentials available'",
        "kinit USER@REALM";
    /// B-36
    TicketExpired => "ticket-expired",
        "the ticket-granting ticket has expired: 'Ticket expired'",
        "kinit USER@REALM (or kinit -R within the renewable lifetime)";
    /// B-21/B-22/B-24: the service principal is unknown.
    ServerNotFound => "server-not-found",
        "the KDC has no such service principal: 'Server … not found in Kerberos database'",
        "connect with the RDS endpoint name, keep krbsrvname=postgres, and map .rds.amazonaws.com to the directory's realm";
    /// B-47
    KeyVersionMismatch => "key-version-mismatch",
        "the cached service ticket was issued for an older key of the DB (it re-joined the domain): 'Key version is not available'",
        "kdestroy && kinit USER@REALM";
    /// B-31
    EnctypeNotSupported => "enctype-not-supported",
        "client and account share no encryption type: 'KDC has no support for encryption type'",
        "enable AES on the account or trust (reset the password to create AES keys)";
    /// B-8: cross-realm ticket not available.
    TrustBroken => "trust-broken",
        "the on-prem realm cannot issue a cross-realm ticket to the managed realm",
        "verify the forest trust (aws ds verify-trust) and its direction";
    GssOther => "gss-other",
        "GSSAPI failed with an error kerbrds has no specific entry for",
        "read the MIT message shown; run with KRB5_TRACE=/dev/stderr for the Kerberos trace";

    // ------------------------------------------------------------------ DB port and login (B-16, B-17, B-40..B-45, B-50)
    DbTimeout => "db-timeout",
        "the DB port did not answer: the DB security group, a NACL or a route drops it (psql would hang)",
        "allow TCP 5432 (the DB port) from this host in the DB's security group";
    DbRefused => "db-refused",
        "the DB port was refused: wrong host or port, or the public address of the instance was used",
        "check host and port; from inside the VPC use the instance's private address";
    DbNotPostgres => "db-not-postgres",
        "something answered on the DB port that is not PostgreSQL",
        "check host and port";
    DbNoSsl => "db-no-ssl",
        "the server refused TLS, but RDS requires it for this connection",
        "check that this is the RDS endpoint; use sslmode=require";
    /// B-50
    DbNoGssenc => "db-no-gssenc",
        "the server does not offer GSSAPI encryption: 'server doesn't support GSSAPI encryption, but it was required'",
        "use gssencmode=prefer or disable with sslmode=require";
    /// B-43: the server chose a password method.
    PasswordAuthChosen => "password-auth-chosen",
        "the server asked for a password: pg_hba chose a password method, so the login role is missing, not in rds_ad, or has the realm in the wrong case",
        "as the master user: CREATE USER \"user@REALM\" WITH LOGIN; GRANT rds_ad TO \"user@REALM\";";
    /// B-41
    NoHbaEntry => "no-hba-entry",
        "no pg_hba.conf line matches the transport used (RDS requires TLS or GSS encryption)",
        "use sslmode=require (or gssencmode=require)";
    /// B-42
    PrincipalMismatch => "principal-mismatch",
        "Kerberos worked, but the ticket's principal differs from the PostgreSQL user name (they are compared exactly)",
        "connect with user=<the principal klist shows>, or recreate the role with that exact name";
    /// B-44
    RoleMissing => "role-missing",
        "the login role does not exist",
        "as the master user: CREATE USER \"user@REALM\" WITH LOGIN; GRANT rds_ad TO \"user@REALM\";";
    RoleNotInRdsAd => "role-not-in-rds-ad",
        "the login role is not a member of rds_ad, so RDS does not offer it Kerberos",
        "as the master user: GRANT rds_ad TO \"user@REALM\";";
    /// B-45
    RoleInRdsAdAndRdsIam => "role-in-rds-ad-and-rds-iam",
        "the login is a member of both rds_ad and rds_iam; IAM authentication then wins",
        "REVOKE rds_iam FROM \"user@REALM\";";
    RoleNoLogin => "role-nologin",
        "the role exists but cannot log in",
        "ALTER ROLE \"user@REALM\" LOGIN;";
    ServerFatal => "server-fatal",
        "the server ended the login with an error",
        "read the server's message and SQLSTATE shown";
    TlsFailed => "tls-failed",
        "the TLS handshake with the DB failed",
        "check sslmode and sslrootcert (the RDS CA bundle for verify-ca/verify-full)";
    LoginTimeout => "login-timeout",
        "the login did not finish within the timeout",
        "check the KDC and DB reachability checks above";

    // ------------------------------------------------------------------ AWS (B-1..B-8)
    AwsNoCredentials => "aws-no-credentials",
        "no AWS credentials were found, so the instance, its domain membership and the directory cannot be read",
        "configure a profile (AWS_PROFILE) or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or pass --no-aws";
    AwsAccessDenied => "aws-access-denied",
        "the AWS credentials are not allowed to read this state",
        "grant rds:DescribeDBInstances, ds:DescribeDirectories and iam:GetRole to the caller";
    AwsUnreachable => "aws-unreachable",
        "the AWS API could not be reached or throttled the request",
        "check network access to the AWS API endpoints (or AWS_ENDPOINT_URL) and retry";
    AwsInstanceNotFound => "aws-instance-not-found",
        "no DB instance with this identifier exists in this account and Region",
        "check --instance and --region (the Region is taken from the endpoint name)";
    InstanceNotAvailable => "instance-not-available",
        "the DB instance is not running (stopped, starting, rebooting, failed …): nobody can log in until it is available",
        "aws rds start-db-instance --db-instance-identifier ID (or wait until its status is available)";
    AwsApiError => "aws-api-error",
        "AWS answered with an error kerbrds has no specific entry for, so this state could not be read",
        "read the AWS error code and message shown; retry with the AWS CLI to compare";
    /// B-1..B-4: instance not joined.
    InstanceNotJoined => "instance-not-joined",
        "the DB instance is not joined to a directory, so it has no service principal: 'Server not found in Kerberos database'",
        "aws rds modify-db-instance --db-instance-identifier ID --domain d-… --domain-iam-role-name ROLE --apply-immediately";
    /// B-1
    JoinFailed => "join-failed",
        "joining the directory failed: the DB subnets cannot reach the domain controllers, or the IAM role is wrong",
        "fix the security groups/routes to the DCs or the role, then retry modify-db-instance --domain with the same directory";
    /// B-3
    JoinPending => "join-pending",
        "the domain join is not applied yet (pending a reboot or the maintenance window)",
        "aws rds reboot-db-instance --db-instance-identifier ID";
    JoinInProgress => "join-in-progress",
        "Kerberos is being enabled or disabled on the instance right now",
        "wait until the status is kerberos-enabled";
    /// B-2
    IamRoleMissing => "iam-role-missing",
        "the IAM role named in the domain membership does not exist",
        "kerbrds aws setup role --role-name NAME";
    IamRoleBadTrust => "iam-role-bad-trust",
        "the role must trust both directoryservice.rds.amazonaws.com and rds.amazonaws.com: 'IAM role provided is not valid'",
        "add both service principals to the role's trust policy";
    IamRoleNoPolicy => "iam-role-no-policy",
        "the role lacks AmazonRDSDirectoryServiceAccess (ds:DescribeDirectories, ds:AuthorizeApplication, …)",
        "aws iam attach-role-policy --role-name ROLE --policy-arn arn:aws:iam::aws:policy/service-role/AmazonRDSDirectoryServiceAccess";
    /// B-6
    DirectoryNotActive => "directory-not-active",
        "the directory is not Active (Creating, Impaired, Inoperable …): it cannot authenticate anyone",
        "wait for Active, or open a case with AWS support for Impaired/Inoperable";
    DirectoryWrongType => "directory-wrong-type",
        "RDS Kerberos needs an AWS Managed Microsoft AD (not AD Connector or Simple AD)",
        "create a MicrosoftAD directory: kerbrds aws setup directory";
    /// B-5
    DirectoryNotShared => "directory-not-shared",
        "the directory belongs to another account and is not shared with (or not accepted by) this one",
        "share the directory and accept the share in the DB's account";
    /// B-19
    DirectoryOtherVpc => "directory-other-vpc",
        "the directory and the DB live in different VPCs: they need peering or a Transit Gateway, routes and security-group rules",
        "add routes and security-group rules between the two VPCs (step 5)";
    /// B-8
    TrustNotVerified => "trust-not-verified",
        "the forest trust to the on-prem domain is not Verified: on-prem users cannot get tickets",
        "aws ds verify-trust --trust-id t-…";
    RealmDirectoryMismatch => "realm-directory-mismatch",
        "the realm in krb5.conf is not the directory's DNS name in upper case",
        "use the directory's DNS name in upper case as the realm";

    // ------------------------------------------------------------------ kerbrds itself
    Internal => "internal-error",
        "kerbrds hit an internal error while running this check",
        "please report it with the output of kerbrds doctor --format json";
    CheckTimeout => "check-timeout",
        "the check did not finish within its timeout",
        "raise --timeout, or look at the reachability checks above";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_lower_case_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for c in Cause::ALL {
            let code = c.code();
            assert!(seen.insert(code), "duplicate code {code}");
            assert_eq!(code, code.to_lowercase());
            assert!(!code.contains(' '));
            assert_eq!(Cause::from_code(code), Some(*c));
            assert!(!c.why().is_empty() && !c.fix().is_empty());
        }
    }

    /// docs/failure-catalogue.md is generated from this enum; `KERBRDS_BLESS=1 cargo test`
    /// rewrites it after a cause changes.
    #[test]
    fn catalogue_doc_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/failure-catalogue.md");
        let want = markdown();
        if std::env::var_os("KERBRDS_BLESS").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "docs/failure-catalogue.md is stale: run KERBRDS_BLESS=1 cargo test --lib catalogue"
        );
    }
}
