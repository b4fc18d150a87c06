//! What the login flow costs beyond argon2.
//!
//! Run with: `cargo bench -p auth-hooks --features flow --bench flow`
//!
//! argon2 is set to its cheapest parameters here (`PasswordHasher::for_tests()`:
//! m = 8 KiB, t = 1, p = 1), so the flow's own work is visible; with production
//! parameters (`owasp()`, tens of milliseconds) it disappears in the noise.
//!
//! - `baseline`: what any login must do, written by hand: find the user, verify the
//!   password, create a session (random id, HMAC, insert).
//! - `flow/no_hooks`: `AuthFlow::login` with sessions and an empty registry.
//! - `flow/builtins`: the same with the audit, lockout and revoke-other-sessions
//!   built-in hooks active (no tracing subscriber installed, as in a quiet service).
//! - `flow/sessions_and_tokens`: sessions plus an HS256 access/refresh pair.
//!
//! After criterion, the bench prints each variant's ratio to the baseline, measured
//! again interleaved in one loop so that both see the same machine state.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_hooks::{AuthHookRegistry, RequestMeta};
use auth_hooks_flow::builtin::lockout::Lockout;
use auth_hooks_flow::{
    AuthFlow, Credentials, JwtKeys, MemoryAttemptStore, MemoryJtiBlocklist, MemorySessionStore,
    MemoryUserStore, PasswordBackend, PasswordHasher, SessionKey, SessionManager, TokenManager,
    UserStore,
};
use criterion::{BatchSize, Criterion};

const PASSWORD: &str = "correct horse battery staple";

struct Setup {
    users: Arc<MemoryUserStore>,
    hasher: PasswordHasher,
    key: SessionKey,
}

impl Setup {
    fn new() -> Self {
        let hasher = PasswordHasher::for_tests();
        let users = Arc::new(MemoryUserStore::new());
        for i in 0..100 {
            users
                .add(&format!("u-{i}"), &format!("user{i}"), PASSWORD, &hasher)
                .unwrap();
        }
        Setup {
            users,
            hasher,
            key: SessionKey::new([7u8; 32]).unwrap(),
        }
    }

    fn sessions(&self) -> SessionManager {
        SessionManager::new(self.key.clone(), Arc::new(MemorySessionStore::new()))
    }

    fn flow(&self, variant: Variant) -> AuthFlow {
        let backend = PasswordBackend::new(self.users.clone(), self.hasher.clone());
        let hooks = match variant {
            Variant::Builtins => auth_hooks::ready!(
                auth_hooks_flow::builtin::audit,
                auth_hooks_flow::builtin::lockout,
                auth_hooks_flow::builtin::revoke_other_sessions,
            )
            .unwrap(),
            _ => AuthHookRegistry::new(),
        };
        let mut builder = AuthFlow::builder(backend)
            .hooks(hooks)
            .sessions(self.sessions())
            .extension(Lockout::new(Arc::new(MemoryAttemptStore::new())));
        if variant == Variant::Tokens {
            builder = builder.tokens(TokenManager::new(
                JwtKeys::hs256([9u8; 32]).unwrap(),
                Arc::new(MemoryJtiBlocklist::new()),
            ));
        }
        builder.build().unwrap()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    NoHooks,
    Builtins,
    Tokens,
}

/// The hand-written minimum: lookup, verify, create a session.
async fn baseline(setup: &Setup, sessions: &SessionManager) {
    let user = setup.users.find_by_login("user42").await.unwrap().unwrap();
    assert!(setup.hasher.verify(PASSWORD, &user.password_hash).unwrap());
    black_box(sessions.create(&user.id).await.unwrap());
}

async fn flow_login(flow: &AuthFlow) {
    let ok = flow
        .login(
            Credentials::password("user42", PASSWORD),
            RequestMeta::new("POST", "/login"),
        )
        .await
        .unwrap();
    black_box(ok);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let setup = Setup::new();
    let rt = runtime();
    let mut group = c.benchmark_group("login");
    group.bench_function("baseline", |b| {
        b.iter_batched_ref(
            || setup.sessions(),
            |sessions| rt.block_on(baseline(&setup, sessions)),
            BatchSize::SmallInput,
        )
    });
    for (name, variant) in [
        ("flow/no_hooks", Variant::NoHooks),
        ("flow/builtins", Variant::Builtins),
        ("flow/sessions_and_tokens", Variant::Tokens),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || setup.flow(variant),
                |flow| rt.block_on(flow_login(flow)),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

/// Times `rounds` logins of each variant, interleaved, and prints ratios to the baseline.
fn ratios() {
    let setup = Setup::new();
    let rt = runtime();
    let rounds = 20_000;
    let variants = [Variant::NoHooks, Variant::Builtins, Variant::Tokens];
    let mut totals = [Duration::ZERO; 4];
    let mut sessions = setup.sessions();
    let mut flows: Vec<AuthFlow> = variants.iter().map(|v| setup.flow(*v)).collect();
    for round in 0..rounds {
        if round % 1000 == 0 {
            // Fresh stores now and then, so no variant pays for a bigger map.
            sessions = setup.sessions();
            flows = variants.iter().map(|v| setup.flow(*v)).collect();
        }
        let start = Instant::now();
        rt.block_on(baseline(&setup, &sessions));
        totals[0] += start.elapsed();
        for (i, flow) in flows.iter().enumerate() {
            let start = Instant::now();
            rt.block_on(flow_login(flow));
            totals[i + 1] += start.elapsed();
        }
    }
    // For scale: one verify at production parameters.
    let owasp = PasswordHasher::owasp();
    let phc = owasp.hash(PASSWORD).unwrap();
    let start = Instant::now();
    for _ in 0..5 {
        assert!(owasp.verify(PASSWORD, &phc).unwrap());
    }
    let owasp_us = start.elapsed().as_secs_f64() * 1e6 / 5.0;

    let per = |d: Duration| d.as_secs_f64() * 1e6 / f64::from(rounds);
    let base = per(totals[0]);
    println!("\nInterleaved, {rounds} logins each (argon2 m=8 KiB, t=1, p=1):");
    println!("  baseline (lookup + verify + session insert): {base:8.2} µs");
    for (i, name) in [
        "flow, no hooks",
        "flow, 3 built-in hooks",
        "flow, session + JWT pair",
    ]
    .iter()
    .enumerate()
    {
        let t = per(totals[i + 1]);
        println!(
            "  {name:<44} {t:8.2} µs  = {:.3}x baseline, +{:.2} µs",
            t / base,
            t - base
        );
    }
    let overhead = per(totals[1]) - base;
    println!(
        "  one argon2 verify at OWASP parameters (m=19 MiB, t=2): {owasp_us:.0} µs; \
         the flow's own cost (no hooks) is {:.3}% of a production login",
        100.0 * overhead / (owasp_us + per(totals[1]))
    );
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
    ratios();
}
