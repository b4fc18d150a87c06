//! Bursts of parallel guesses against the built-in lockout and IP throttle: however
//! many arrive at once, no more passwords are verified than the limits allow, because
//! each attempt is reserved atomically in the store before its password is checked.

use std::net::IpAddr;
use std::sync::Arc;

use auth_hooks::RequestMeta;
use tokio::task::JoinSet;

use crate::builtin::ip_throttle::IpThrottle;
use crate::builtin::lockout::{Lockout, LockoutConfig};
use crate::{
    AttemptStore, AuthFlow, Credentials, LoginError, MemorySessionStore, MemoryUserStore,
    PasswordBackend, PasswordHasher, SessionKey, SessionManager,
};

/// Guesses in each burst.
pub const BURST: usize = 100;

/// The limits the bursts run against: 5 per (account, address) pair, 30 per account
/// from anywhere, 20 per address.
const PAIR: u32 = 5;
const ACCOUNT: u32 = 30;
const ADDRESS: u32 = 20;

/// Three bursts of [`BURST`] wrong guesses at once, with the counters in `attempts`
/// (empty at the start): one account from one address, one address against many
/// accounts, one account from many addresses. Each may verify at most its limit.
/// Needs a multi-threaded Tokio runtime to be a real race.
pub async fn parallel_guesses_conformance(attempts: Arc<dyn AttemptStore>) {
    let flow = Arc::new(flow(attempts));

    let verified = burst(&flow, |_| ("ada".to_owned(), "198.51.100.1")).await;
    assert_eq!(
        verified, PAIR as usize,
        "one account from one address: {verified} guesses verified, limit {PAIR}"
    );

    let verified = burst(&flow, |i| (format!("victim{i}"), "198.51.100.2")).await;
    assert_eq!(
        verified, ADDRESS as usize,
        "one address against many accounts: {verified} guesses verified, limit {ADDRESS}"
    );

    let addresses: Vec<String> = (0..BURST).map(|i| format!("203.0.113.{i}")).collect();
    let addresses: Arc<[String]> = addresses.into();
    let verified = {
        let addresses = addresses.clone();
        burst_owned(&flow, move |i| ("bob".to_owned(), addresses[i].clone())).await
    };
    assert_eq!(
        verified, ACCOUNT as usize,
        "one account from many addresses: {verified} guesses verified, ceiling {ACCOUNT}"
    );
}

fn flow(attempts: Arc<dyn AttemptStore>) -> AuthFlow {
    let hasher = PasswordHasher::for_tests();
    let users = Arc::new(MemoryUserStore::new());
    for (id, login) in [("u-ada", "ada"), ("u-bob", "bob")] {
        users
            .add(id, login, super::PASSWORD, &hasher)
            .expect("memory users accept");
    }
    let hooks = auth_hooks::ready!(crate::builtin::lockout, crate::builtin::ip_throttle)
        .expect("the built-ins are linked");
    AuthFlow::builder(PasswordBackend::new(users, hasher))
        .hooks(hooks)
        .sessions(SessionManager::new(
            SessionKey::new([7u8; 32]).expect("a valid key"),
            Arc::new(MemorySessionStore::new()),
        ))
        .extension(
            Lockout::new(attempts.clone())
                .with_config(LockoutConfig::default().max_failures(PAIR))
                .with_account_ceiling(LockoutConfig::default().max_failures(ACCOUNT)),
        )
        .extension(
            IpThrottle::new(attempts).with_config(LockoutConfig::default().max_failures(ADDRESS)),
        )
        .build()
        .expect("the flow builds")
}

/// Sends [`BURST`] wrong guesses at once, guess `i` as `guess(i)` = (login, address);
/// returns how many were verified (answered "invalid credentials"), after checking
/// that every other one was refused by a limit.
async fn burst(flow: &Arc<AuthFlow>, guess: fn(usize) -> (String, &'static str)) -> usize {
    burst_owned(flow, move |i| {
        let (login, address) = guess(i);
        (login, address.to_owned())
    })
    .await
}

async fn burst_owned(flow: &Arc<AuthFlow>, guess: impl Fn(usize) -> (String, String)) -> usize {
    let mut guesses = JoinSet::new();
    for i in 0..BURST {
        let (login, address) = guess(i);
        let flow = flow.clone();
        guesses.spawn(async move {
            let ip: IpAddr = address.parse().expect("a valid address");
            let request = RequestMeta::new("POST", "/login").client_ip(ip);
            flow.login(Credentials::password(login, "a wrong guess"), request)
                .await
        });
    }
    let mut verified = 0;
    while let Some(outcome) = guesses.join_next().await {
        match outcome.expect("no guess panics") {
            Err(LoginError::InvalidCredentials) => verified += 1,
            Err(LoginError::LockedOut { .. }) => {}
            other => panic!("a guess answered {other:?}"),
        }
    }
    verified
}
