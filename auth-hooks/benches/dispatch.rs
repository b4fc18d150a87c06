//! What dispatch costs, each figure next to a hand-written baseline in the same group.
//!
//! ```text
//! cargo bench -p auth-hooks --bench dispatch -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Targets (issue 3, "Speed"): an empty phase ≤ 10 ns; sync dispatch ≤ 1.5x a loop over
//! fn pointers to the same fns; async dispatch ≤ 50 ns a hook over a loop that boxes and
//! awaits the same async fns; sanitizing 6 keys ≤ 300 ns. `one_hook_floor` measures what
//! one hook costs at the least while a run isolates panics and counts itself.
//!
//! Every hook is declared with the attribute macros and activated with `ready!`, exactly
//! as an application does; `run` is polled by a no-op-waker executor written here, so
//! no runtime's cost is counted.

#![allow(missing_docs, unreachable_pub)]

use std::future::Future;
use std::hint::black_box;
use std::pin::{pin, Pin};
use std::sync::Barrier;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use auth_hooks::{AuthHookContext, AuthHookRegistry, Phase, RequestMeta, Sanitizer};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use serde_json::{json, Value};

/// A sync hook as the baseline calls it.
type SyncFn = fn(&AuthHookContext);
/// An async hook, boxed, as the baseline awaits it.
type BoxedFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;
type AsyncFn = for<'a> fn(&'a AuthHookContext) -> BoxedFuture<'a>;

/// Each name becomes a module holding one `#[on_login]` sync hook `hook`.
macro_rules! sync_hooks {
    ($($name:ident)*) => {
        $(
            pub mod $name {
                use super::*;

                #[auth_hooks::on_login]
                pub fn hook(ctx: &AuthHookContext) {
                    // A constant of its own, so that the linker cannot fold the hooks
                    // into one fn (which would make the baseline's calls monomorphic).
                    black_box((ctx, module_path!()));
                }
            }
        )*
        /// The same fns, for the baseline.
        pub const FNS: &[SyncFn] = &[$($name::hook),*];
    };
}

/// Each name becomes a module holding one `#[on_login]` async hook `hook`, and `boxed`,
/// which calls it the way the baseline does.
macro_rules! async_hooks {
    ($($name:ident)*) => {
        $(
            pub mod $name {
                use super::*;

                #[auth_hooks::on_login]
                pub async fn hook(ctx: &AuthHookContext) {
                    black_box((ctx, module_path!()));
                }

                pub fn boxed(ctx: &AuthHookContext) -> BoxedFuture<'_> {
                    Box::pin(hook(ctx))
                }
            }
        )*
        /// The same fns, for the baseline.
        pub const FNS: &[AsyncFn] = &[$($name::boxed),*];
    };
}

/// Ten sync (`sync`) or async (`async`) hooks in the current module.
macro_rules! ten {
    (sync) => {
        sync_hooks!(h0 h1 h2 h3 h4 h5 h6 h7 h8 h9);
    };
    (async) => {
        async_hooks!(h0 h1 h2 h3 h4 h5 h6 h7 h8 h9);
    };
}

/// A hundred hooks: ten modules of ten; `FNS` lists them in the same order.
macro_rules! hundred {
    ($kind:ident, $fn_ty:ty) => {
        pub mod d0 {
            use super::*;
            ten!($kind);
        }
        pub mod d1 {
            use super::*;
            ten!($kind);
        }
        pub mod d2 {
            use super::*;
            ten!($kind);
        }
        pub mod d3 {
            use super::*;
            ten!($kind);
        }
        pub mod d4 {
            use super::*;
            ten!($kind);
        }
        pub mod d5 {
            use super::*;
            ten!($kind);
        }
        pub mod d6 {
            use super::*;
            ten!($kind);
        }
        pub mod d7 {
            use super::*;
            ten!($kind);
        }
        pub mod d8 {
            use super::*;
            ten!($kind);
        }
        pub mod d9 {
            use super::*;
            ten!($kind);
        }
        pub fn fns() -> Vec<$fn_ty> {
            [
                d0::FNS,
                d1::FNS,
                d2::FNS,
                d3::FNS,
                d4::FNS,
                d5::FNS,
                d6::FNS,
                d7::FNS,
                d8::FNS,
                d9::FNS,
            ]
            .concat()
        }
    };
}

/// Hooks in every phase but `on_login`, to time an empty phase.
pub mod other_phases {
    use super::*;

    #[auth_hooks::before_login]
    pub fn before(ctx: &AuthHookContext) {
        black_box(ctx);
    }

    #[auth_hooks::on_logout]
    pub fn logout(ctx: &AuthHookContext) {
        black_box(ctx);
    }
}

pub mod sync1 {
    use super::*;
    sync_hooks!(h0);
}
pub mod sync10 {
    use super::*;
    ten!(sync);
}
#[rustfmt::skip]
pub mod sync100 {
    use super::*;
    hundred!(sync, SyncFn);
}
pub mod async1 {
    use super::*;
    async_hooks!(h0);
}
pub mod async10 {
    use super::*;
    ten!(async);
}
#[rustfmt::skip]
pub mod async100 {
    use super::*;
    hundred!(async, AsyncFn);
}

/// Polls `future` with a no-op waker until it is ready: the cheapest executor there is.
/// It takes the future pinned where it was made (`poll_ready(pin!(…))`), as `.await`
/// does, rather than moving it in: a move copies the whole future, which is a cost of
/// the executor, not of dispatch.
fn poll_ready<F: Future>(mut future: Pin<&mut F>) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

/// The baseline of sync dispatch: the same fns, called through fn pointers.
#[inline(never)]
fn call_all(fns: &[SyncFn], ctx: &AuthHookContext) {
    for f in fns {
        f(ctx);
    }
}

/// The baseline of async dispatch: the same async fns, boxed and awaited one by one.
async fn await_all(fns: &[AsyncFn], ctx: &AuthHookContext) {
    for f in fns {
        f(ctx).await;
    }
}

fn registry(hooks: Result<AuthHookRegistry, auth_hooks::ReadyError>, n: usize) -> AuthHookRegistry {
    let hooks = hooks.expect("bench hooks are declared");
    assert_eq!(
        hooks.len(Phase::OnLogin),
        n,
        "every bench hook is activated"
    );
    hooks
}

fn login_context() -> AuthHookContext {
    AuthHookContext::builder()
        .user_id("42")
        .credentials(json!({ "username": "ada" }))
        .auth_backend("password")
        .build()
}

fn empty_phase(c: &mut Criterion) {
    let hooks = auth_hooks::ready!(crate::other_phases).expect("hooks");
    assert_eq!(hooks.len(Phase::OnLogin), 0);
    assert!(!hooks.is_empty());
    let ctx = login_context();
    let none: &[SyncFn] = &[];

    let mut group = c.benchmark_group("empty_phase");
    group.bench_function("baseline_fn_ptr_loop", |b| {
        b.iter(|| call_all(black_box(none), black_box(&ctx)))
    });
    group.bench_function("run_blocking", |b| {
        b.iter(|| black_box(&hooks).run_blocking(black_box(Phase::OnLogin), black_box(&ctx)))
    });
    group.bench_function("run_polled", |b| {
        b.iter(|| {
            poll_ready(pin!(
                black_box(&hooks).run(black_box(Phase::OnLogin), black_box(&ctx))
            ))
        })
    });
    group.finish();
}

fn sync_dispatch(c: &mut Criterion) {
    let ctx = login_context();
    let sets: [(usize, AuthHookRegistry, Vec<SyncFn>); 3] = [
        (
            1,
            registry(auth_hooks::ready!(crate::sync1), 1),
            sync1::FNS.to_vec(),
        ),
        (
            10,
            registry(auth_hooks::ready!(crate::sync10), 10),
            sync10::FNS.to_vec(),
        ),
        (
            100,
            registry(auth_hooks::ready!(crate::sync100), 100),
            sync100::fns(),
        ),
    ];

    let mut group = c.benchmark_group("sync_dispatch");
    for (n, hooks, fns) in &sets {
        assert_eq!(fns.len(), *n);
        group.throughput(Throughput::Elements(*n as u64));
        group.bench_with_input(
            BenchmarkId::new("baseline_fn_ptr_loop", n),
            fns,
            |b, fns| b.iter(|| call_all(black_box(fns), black_box(&ctx))),
        );
        group.bench_with_input(BenchmarkId::new("run_blocking", n), hooks, |b, hooks| {
            b.iter(|| black_box(hooks).run_blocking(Phase::OnLogin, black_box(&ctx)))
        });
        group.bench_with_input(BenchmarkId::new("run_polled", n), hooks, |b, hooks| {
            b.iter(|| poll_ready(pin!(black_box(hooks).run(Phase::OnLogin, black_box(&ctx)))))
        });
    }
    group.finish();
}

/// The least a dispatch of one hook can cost while it keeps the guarantees `run_blocking`
/// gives, each step hand-written, next to the baseline: calling through the wrapper's
/// `bool` convention, inside one `catch_unwind`, then counting the run in a
/// thread-local. (`run_blocking` adds finding the phase's plan and testing for a
/// `tracing` subscriber.) Shows why one hook stays above 1.5x the bare loop.
fn one_hook_floor(c: &mut Criterion) {
    thread_local! {
        static RUNS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }
    fn slotted(ctx: &AuthHookContext, _failed: &mut Option<auth_hooks::HookError>) -> bool {
        black_box((ctx, module_path!()));
        true
    }
    #[inline(never)]
    fn caught(fns: &[auth_hooks::SyncHookFn], ctx: &AuthHookContext) -> Result<(), usize> {
        let mut failed = None;
        let mut at = 0;
        let passed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            while let Some(f) = fns.get(at) {
                if !f(ctx, &mut failed) {
                    return false;
                }
                at += 1;
            }
            true
        }));
        match passed {
            Ok(true) => Ok(()),
            _ => Err(at),
        }
    }
    #[inline(never)]
    fn counted(fns: &[auth_hooks::SyncHookFn], ctx: &AuthHookContext) -> Result<(), usize> {
        RUNS.set(RUNS.get() + 1);
        caught(fns, ctx)
    }

    let ctx = login_context();
    let hooks = registry(auth_hooks::ready!(crate::sync1), 1);
    let fns = sync1::FNS;
    let slotted_fns: &[auth_hooks::SyncHookFn] = &[slotted];
    let mut group = c.benchmark_group("one_hook_floor");
    group.bench_function("baseline_fn_ptr_loop", |b| {
        b.iter(|| call_all(black_box(fns), black_box(&ctx)))
    });
    group.bench_function("bool_in_catch_unwind", |b| {
        b.iter(|| caught(black_box(slotted_fns), black_box(&ctx)))
    });
    group.bench_function("bool_in_catch_unwind_counted", |b| {
        b.iter(|| counted(black_box(slotted_fns), black_box(&ctx)))
    });
    group.bench_function("run_blocking", |b| {
        b.iter(|| black_box(&hooks).run_blocking(Phase::OnLogin, black_box(&ctx)))
    });
    group.finish();
}

fn async_dispatch(c: &mut Criterion) {
    let ctx = login_context();
    let sets: [(usize, AuthHookRegistry, Vec<AsyncFn>); 3] = [
        (
            1,
            registry(auth_hooks::ready!(crate::async1), 1),
            async1::FNS.to_vec(),
        ),
        (
            10,
            registry(auth_hooks::ready!(crate::async10), 10),
            async10::FNS.to_vec(),
        ),
        (
            100,
            registry(auth_hooks::ready!(crate::async100), 100),
            async100::fns(),
        ),
    ];

    let mut group = c.benchmark_group("async_dispatch");
    for (n, hooks, fns) in &sets {
        assert_eq!(fns.len(), *n);
        group.throughput(Throughput::Elements(*n as u64));
        group.bench_with_input(
            BenchmarkId::new("baseline_box_await_loop", n),
            fns,
            |b, fns| b.iter(|| poll_ready(pin!(await_all(black_box(fns), black_box(&ctx))))),
        );
        group.bench_with_input(BenchmarkId::new("run_polled", n), hooks, |b, hooks| {
            b.iter(|| poll_ready(pin!(black_box(hooks).run(Phase::OnLogin, black_box(&ctx)))))
        });
    }
    // For information: `run_blocking` drives each async hook with its own parking executor.
    let (_, hooks10, _) = &sets[1];
    group.throughput(Throughput::Elements(10));
    group.bench_function(BenchmarkId::new("run_blocking", 10), |b| {
        b.iter(|| black_box(hooks10).run_blocking(Phase::OnLogin, black_box(&ctx)))
    });
    group.finish();
}

/// A login form: six keys, three of them secret.
fn credentials() -> Value {
    json!({
        "username": "ada@example.com",
        "password": "correct horse battery staple",
        "otp": "123456",
        "remember_me": true,
        "api_key": "k-0123456789abcdef",
        "next": "/dashboard",
    })
}

fn sanitize(c: &mut Criterion) {
    let sanitizer = Sanitizer::shared();
    let raw = credentials();
    let clean = sanitizer.sanitize(raw.clone());
    assert_eq!(
        clean,
        json!({ "username": "ada@example.com", "remember_me": true, "next": "/dashboard" })
    );

    let mut group = c.benchmark_group("sanitize_6_keys");
    group.bench_function("baseline_clone", |b| {
        b.iter_with_large_drop(|| black_box(&raw).clone())
    });
    group.bench_function("sanitize", |b| {
        b.iter_batched(
            || raw.clone(),
            |value| sanitizer.sanitize(black_box(value)),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn build_context(c: &mut Criterion) {
    let raw = credentials();
    let request = || {
        RequestMeta::new("POST", "/login?next=/dashboard")
            .client_ip([203, 0, 113, 7].into())
            .user_agent("Mozilla/5.0 (X11; Linux x86_64)")
    };

    let mut group = c.benchmark_group("build_context");
    // The parts alone: what any caller pays to describe the request.
    group.bench_function("baseline_parts", |b| {
        b.iter_batched(
            || raw.clone(),
            |credentials| (black_box(credentials), request(), black_box("password")),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("builder", |b| {
        b.iter_batched(
            || raw.clone(),
            |credentials| {
                AuthHookContext::builder()
                    .credentials(black_box(credentials))
                    .request(request())
                    .auth_backend("password")
                    .build()
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// Runs `work` `per_thread` times on each of `threads` threads at once; the time from the
/// common start to the last thread's end.
fn on_threads(threads: usize, per_thread: u64, work: impl Fn() + Sync) -> Duration {
    if threads == 1 {
        let start = Instant::now();
        (0..per_thread).for_each(|_| work());
        return start.elapsed();
    }
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                (0..per_thread).for_each(|_| work());
            });
        }
        barrier.wait();
        Instant::now()
    })
    .elapsed()
}

/// Issue 6: does dispatch scale across threads? One iteration is two dispatches of ten
/// hooks: both on one thread, or one on each of two threads at once. The control does
/// the same with the fn-pointer loop, which shares nothing: it shows what the machine
/// itself gives a second thread.
fn threads(c: &mut Criterion) {
    let hooks = registry(auth_hooks::ready!(crate::sync10), 10);
    let fns = sync10::FNS;
    let ctx = login_context();
    let dispatch = || {
        black_box(black_box(&hooks).run_blocking(Phase::OnLogin, black_box(&ctx))).ok();
    };
    let control = || call_all(black_box(fns), black_box(&ctx));

    let mut group = c.benchmark_group("threads_10_hooks");
    group.throughput(Throughput::Elements(2));
    group.bench_function("run_blocking/1_thread_x2", |b| {
        b.iter_custom(|iters| on_threads(1, 2 * iters, dispatch))
    });
    group.bench_function("run_blocking/2_threads_x1", |b| {
        b.iter_custom(|iters| on_threads(2, iters, dispatch))
    });
    group.bench_function("control_fn_ptr_loop/1_thread_x2", |b| {
        b.iter_custom(|iters| on_threads(1, 2 * iters, control))
    });
    group.bench_function("control_fn_ptr_loop/2_threads_x1", |b| {
        b.iter_custom(|iters| on_threads(2, iters, control))
    });
    group.finish();
}

criterion_group!(
    benches,
    empty_phase,
    sync_dispatch,
    one_hook_floor,
    async_dispatch,
    sanitize,
    build_context,
    threads
);
criterion_main!(benches);
