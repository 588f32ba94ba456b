//! The gate's decisions, request by request.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn locked() -> Gate {
    Gate::new(preset::Preset::LockedDown.security(), [7; 32])
}

fn req(op: Operation, auth: Option<&[u8]>) -> GateRequest<'_> {
    GateRequest {
        op,
        authorization: auth,
        method: "POST",
        uri: "/ipp/print",
        requesting_user: Some("mallory"),
        job_owner: None,
    }
}

fn digest_header(g: &Gate, user: &str, password: &str, now: u64) -> String {
    let challenge = g.challenge(now, false);
    let c = &auth::parse_challenges(&challenge).unwrap()[0];
    Credentials::Digest(auth::DigestResponse::answer(
        c,
        user,
        password,
        "POST",
        "/ipp/print",
        "abcdef",
        1,
    ))
    .to_header_value()
}

#[test]
fn open_printer_lets_everything_through() {
    let g = Gate::new(SecuritySpec::default(), [1; 32]);
    for op in [
        Operation::PausePrinter,
        Operation::PrintJob,
        Operation::PurgeJobs,
    ] {
        assert_eq!(
            g.decide(&req(op, None), 0, false),
            Decision::Allow { user: None }
        );
    }
}

#[test]
fn queries_need_nothing_admin_needs_credentials() {
    let g = locked();
    assert_eq!(
        g.decide(&req(Operation::GetPrinterAttributes, None), 0, false),
        Decision::Allow { user: None }
    );
    match g.decide(&req(Operation::PausePrinter, None), 0, false) {
        Decision::Challenge { challenge, reason } => {
            assert!(challenge.starts_with("Digest "), "{challenge}");
            assert!(reason.contains("Pause-Printer"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // The relaxed gate (anonymous-admin fault) lets it through.
    assert_eq!(
        g.decide(&req(Operation::PausePrinter, None), 0, true),
        Decision::Allow { user: None }
    );
}

#[test]
fn digest_admin_is_allowed_a_user_is_not() {
    let g = locked();
    let h = digest_header(&g, preset::ADMIN.0, preset::ADMIN.1, 1000);
    assert_eq!(
        g.decide(
            &req(Operation::PausePrinter, Some(h.as_bytes())),
            1000,
            false
        ),
        Decision::Allow {
            user: Some("admin".into())
        }
    );
    let h = digest_header(&g, preset::USER.0, preset::USER.1, 1000);
    assert!(matches!(
        g.decide(
            &req(Operation::PausePrinter, Some(h.as_bytes())),
            1000,
            false
        ),
        Decision::NotAuthorized { .. }
    ));
    assert_eq!(
        g.decide(&req(Operation::PrintJob, Some(h.as_bytes())), 1000, false),
        Decision::Allow {
            user: Some("alice".into())
        }
    );
}

#[test]
fn wrong_password_stale_nonce_and_bad_header() {
    let g = locked();
    let h = digest_header(&g, preset::ADMIN.0, "guess", 1000);
    assert!(matches!(
        g.decide(
            &req(Operation::GetPrinterAttributes, Some(h.as_bytes())),
            1000,
            false
        ),
        Decision::Challenge { .. }
    ));
    let h = digest_header(&g, preset::ADMIN.0, preset::ADMIN.1, 1000);
    match g.decide(
        &req(Operation::PausePrinter, Some(h.as_bytes())),
        1000 + NONCE_MAX_AGE_MS + 1,
        false,
    ) {
        Decision::Challenge { challenge, .. } => assert!(challenge.contains("stale=true")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        g.decide(
            &req(Operation::PrintJob, Some(b"Basic !!!not-base64")),
            0,
            false
        ),
        Decision::BadHeader(_)
    ));
    // Basic credentials to a Digest printer: challenged again.
    assert!(matches!(
        g.decide(
            &req(Operation::PrintJob, Some(b"Basic YWxpY2U6YWxpY2UtcHJpbnRz")),
            0,
            false
        ),
        Decision::Challenge { .. }
    ));
}

#[test]
fn owner_check() {
    let g = locked();
    let alice = digest_header(&g, preset::USER.0, preset::USER.1, 5);
    let admin = digest_header(&g, preset::ADMIN.0, preset::ADMIN.1, 5);
    let mut r = req(Operation::CancelJob, Some(alice.as_bytes()));
    r.job_owner = Some("bob");
    assert!(matches!(
        g.decide(&r, 5, false),
        Decision::NotAuthorized { .. }
    ));
    r.job_owner = Some("alice");
    assert!(matches!(g.decide(&r, 5, false), Decision::Allow { .. }));
    r.authorization = Some(admin.as_bytes());
    r.job_owner = Some("bob");
    assert!(matches!(g.decide(&r, 5, false), Decision::Allow { .. }));
    // Without users, the owner is requesting-user-name.
    let spec = SecuritySpec {
        owner_check: true,
        ..SecuritySpec::default()
    };
    let g = Gate::new(spec, [2; 32]);
    let mut r = req(Operation::CancelJob, None);
    r.job_owner = Some("bob");
    assert!(matches!(
        g.decide(&r, 0, false),
        Decision::NotAuthorized { .. }
    ));
    r.requesting_user = Some("bob");
    assert!(matches!(g.decide(&r, 0, false), Decision::Allow { .. }));
}

#[test]
fn spec_errors_name_the_field() {
    let text = r#"
print = "user"
"#;
    let mut spec: SecuritySpec = toml::from_str(text).unwrap();
    let err = spec.load_users(None).unwrap_err().to_string();
    assert!(err.contains("security.print"), "{err}");
    let text = r#"
users = { alice = "x" }
admins = ["bob"]
"#;
    let mut spec: SecuritySpec = toml::from_str(text).unwrap();
    let err = spec.load_users(None).unwrap_err().to_string();
    assert!(err.contains("admins[0]") && err.contains("bob"), "{err}");
    let bad: Result<SecuritySpec, _> = toml::from_str("printer-admin = \"root\"\n");
    let err = bad.unwrap_err().to_string();
    assert!(err.contains("line 1"), "{err}");
    let bad: Result<SecuritySpec, _> = toml::from_str("[access]\nipp = [\"10.0.0.300/8\"]\n");
    assert!(bad.unwrap_err().to_string().contains("10.0.0.300"));
}

#[test]
fn classes() {
    assert_eq!(OpClass::of(Operation::PrintJob), OpClass::Print);
    assert_eq!(OpClass::of(Operation::CancelJob), OpClass::JobAdmin);
    assert_eq!(OpClass::of(Operation::PurgeJobs), OpClass::PrinterAdmin);
    assert_eq!(
        OpClass::of(Operation::Unknown(0x4001)),
        OpClass::PrinterAdmin
    );
    assert_eq!(OpClass::of(Operation::GetJobs), OpClass::Query);
}

#[test]
fn the_default_profiles_commented_example_loads() {
    let text = crate::profile::DEFAULT_PROFILE_TOML;
    let start = text.find("# [security]").unwrap();
    let example: String = text[start..]
        .lines()
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let whole = format!("{}{example}\n", &text[..start]);
    let p = crate::profile::Profile::from_toml_str(&whole, "example").unwrap();
    assert_eq!(p.security.printer_admin, Access::Admin);
    assert_eq!(p.security.tls.mode, TlsMode::Required);
    assert!(p.security.loaded_users.contains("alice"));
    assert!(!p.security.access.ipp.allows("192.0.2.1".parse().unwrap()));
    assert!(p.security.access.ipp.allows("127.0.0.1".parse().unwrap()));
}
