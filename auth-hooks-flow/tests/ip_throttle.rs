//! The per-client throttle (`builtin::ip_throttle`): failures from one address against
//! many accounts block that address, not the accounts; other clients go on; the block
//! ends with its period; IPv6 counts per /64. Over HTTP (a 429 with Retry-After):
//! `tests/tests/http/ip_throttle.rs`.

use std::net::IpAddr;

use std::time::Duration;

use auth_hooks::RequestMeta;
use auth_hooks_flow::builtin::ip_throttle::{
    MissingClientAddress, THROTTLED_MESSAGE, THROTTLED_REGISTRATION_MESSAGE,
};
use auth_hooks_flow::{AuthFlow, Credentials, FlowConfigError, LoginError, ManualClock};
use auth_hooks_test_support::flow::{
    ip_throttled, ip_throttled_flow, IP_THROTTLE_LIMIT as LIMIT, PASSWORD,
};

fn from(ip: &str) -> RequestMeta {
    RequestMeta::new("POST", "/login").client_ip(ip.parse::<IpAddr>().unwrap())
}

/// `LIMIT` failures from `ip`, each against another (unknown) account.
async fn spray(flow: &AuthFlow, ip: &str) {
    for i in 0..LIMIT {
        let err = flow
            .login(
                Credentials::password(format!("victim{i}"), "guess"),
                from(ip),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, LoginError::InvalidCredentials), "{err:?}");
    }
}

async fn ada_from(flow: &AuthFlow, ip: &str) -> Result<(), LoginError> {
    flow.login(Credentials::password("ada", PASSWORD), from(ip))
        .await
        .map(drop)
}

#[tokio::test]
async fn failures_from_one_address_across_accounts_block_that_address_only() {
    let clock = ManualClock::starting_now();
    let flow = ip_throttled(&clock, true);
    spray(&flow, "198.51.100.7").await;

    // Blocked, even with the right password of an account it never tried.
    let err = ada_from(&flow, "198.51.100.7").await.unwrap_err();
    let LoginError::LockedOut {
        retry_after,
        message,
        hook,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(message, THROTTLED_MESSAGE);
    assert_eq!(hook, "auth_hooks_flow::builtin::ip_throttle::check");
    assert!(
        (Duration::from_secs(1)..=Duration::from_secs(120)).contains(retry_after),
        "{retry_after:?}"
    );
    // The accounts are not locked: another client signs in.
    ada_from(&flow, "198.51.100.8").await.unwrap();

    // The block ends with its period.
    clock.advance(Duration::from_secs(121));
    ada_from(&flow, "198.51.100.7").await.unwrap();
}

#[tokio::test]
async fn every_registration_counts_so_one_network_cannot_register_in_bulk() {
    let clock = ManualClock::starting_now();
    let flow = ip_throttled(&clock, true);
    let register = |name: String, ip: &'static str| {
        let flow = &flow;
        async move {
            flow.register(
                Credentials::password(name, "a long enough password"),
                from(ip),
            )
            .await
        }
    };
    for i in 0..LIMIT {
        register(format!("bulk{i}"), "198.51.100.9")
            .await
            .unwrap_or_else(|e| panic!("registration {i}: {e:?}"));
    }
    let err = register("one_more".into(), "198.51.100.9")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LoginError::LockedOut { message, .. } if message == THROTTLED_REGISTRATION_MESSAGE),
        "{err:?}"
    );
    // Another network registers; the blocked one waits out its period.
    register("elsewhere".into(), "203.0.113.5").await.unwrap();
    clock.advance(Duration::from_secs(121));
    register("one_more".into(), "198.51.100.9").await.unwrap();
}

#[tokio::test]
async fn a_success_does_not_clear_the_count() {
    let clock = ManualClock::starting_now();
    let flow = ip_throttled(&clock, true);
    for i in 0..LIMIT - 1 {
        let guess = Credentials::password(format!("victim{i}"), "guess");
        assert!(flow.login(guess, from("198.51.100.7")).await.is_err());
    }
    ada_from(&flow, "198.51.100.7").await.unwrap();
    // The success took its own attempt back: this one is still verified.
    let last = Credentials::password("victim9", "guess");
    assert!(matches!(
        flow.login(last, from("198.51.100.7")).await,
        Err(LoginError::InvalidCredentials)
    ));
    assert!(matches!(
        ada_from(&flow, "198.51.100.7").await,
        Err(LoginError::LockedOut { .. })
    ));
}

#[tokio::test]
async fn ipv6_counts_per_64_and_a_mapped_v4_address_as_itself() {
    let clock = ManualClock::starting_now();
    let flow = ip_throttled(&clock, true);
    spray(&flow, "2001:db8:1:2::1").await;
    assert!(matches!(
        ada_from(&flow, "2001:db8:1:2:ffff::9").await,
        Err(LoginError::LockedOut { .. })
    ));
    ada_from(&flow, "2001:db8:1:3::1").await.unwrap();

    spray(&flow, "192.0.2.1").await;
    assert!(matches!(
        ada_from(&flow, "::ffff:192.0.2.1").await,
        Err(LoginError::LockedOut { .. })
    ));
}

#[test]
fn without_its_extension_the_flow_does_not_build() {
    let err = ip_throttled_flow(&ManualClock::starting_now(), false).unwrap_err();
    assert!(
        matches!(&err, FlowConfigError::MissingExtension(m) if m.extension.ends_with("IpThrottle")),
        "{err:?}"
    );
    assert!(err.to_string().contains("IpThrottle::new(store)"), "{err}");
}

/// A gate that cannot key fails closed: without a client address (an app served
/// without `ConnectInfo`) the login is refused with a failure saying what to configure,
/// not let through unthrottled.
#[test]
fn a_login_without_a_client_address_is_refused_saying_what_to_configure() {
    let flow = ip_throttled(&ManualClock::starting_now(), true);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (err, logs) = auth_hooks_test_support::logs::capture_logs(|| {
        runtime.block_on(flow.login(
            Credentials::password("ada", PASSWORD),
            RequestMeta::new("POST", "/login"),
        ))
    });
    let err = err.map(drop).unwrap_err();
    let LoginError::HookFailed(failure) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(failure.hook, "auth_hooks_flow::builtin::ip_throttle::check");
    let cause = failure.hook_error().expect("the hook returned an error");
    assert!(
        cause.downcast_ref::<MissingClientAddress>().is_some(),
        "{cause}"
    );
    let cause = cause.to_string();
    assert!(
        cause.contains("into_make_service_with_connect_info") && cause.contains("client_ip"),
        "{cause}"
    );
    assert!(
        logs.contains("ERROR") && logs.contains("into_make_service_with_connect_info"),
        "the log says what to configure: {logs}"
    );
    // With an address the same login goes through.
    runtime.block_on(ada_from(&flow, "198.51.100.7")).unwrap();
}
