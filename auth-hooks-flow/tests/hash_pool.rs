//! The bounded hashing of logins, through the public API: a login that finds every
//! hashing thread busy and no room in the queue is refused at once with
//! `LoginError::Overloaded`, which no `on_login_failed` hook counts as a failed login,
//! and whose texts carry no secret. (The pool's own guarantees are tested beside it, in
//! `src/hash_pool.rs`.)

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use auth_hooks::{AuthHookContext, AuthHookRegistry, Phase};
use auth_hooks_flow::{
    AuthFlow, Credentials, LoginError, MemorySessionStore, MemoryUserStore, PasswordBackend,
    PasswordHasher, SessionKey, SessionManager,
};
use auth_hooks_test_support::flow::{ada, request, PASSWORD};

/// A hash that takes long (hundreds of milliseconds: many passes) but little memory.
fn slow_hasher() -> PasswordHasher {
    PasswordHasher::new(8, 300_000, 1).unwrap()
}

/// Polls `future` once, with no one to wake.
fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

/// A flow with one hashing thread and no queue, whose hooks log `phase:login`.
fn flow_of_one_thread() -> (AuthFlow, Arc<Mutex<Vec<String>>>) {
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut hooks = AuthHookRegistry::new();
    for phase in [
        Phase::BeforeAuthenticate,
        Phase::BeforeLogin,
        Phase::OnLoginFailed,
        Phase::OnLogin,
    ] {
        let log = log.clone();
        hooks
            .register(phase, "record", move |ctx: &AuthHookContext| {
                let login = ctx.username().unwrap_or("-");
                log.lock()
                    .unwrap()
                    .push(format!("{}:{login}", phase.as_str()));
            })
            .unwrap();
    }
    let users = Arc::new(MemoryUserStore::new());
    // Stored cheaply; the pool's current parameters are the slow ones.
    users
        .add("u-ada", "ada", PASSWORD, &PasswordHasher::for_tests())
        .unwrap();
    let backend = PasswordBackend::builder(users, slow_hasher())
        .hash_threads(1)
        .hash_queue(0)
        .build();
    let sessions = SessionManager::new(
        SessionKey::new([7u8; 32]).unwrap(),
        Arc::new(MemorySessionStore::new()),
    );
    let flow = AuthFlow::builder(backend)
        .hooks(hooks)
        .sessions(sessions)
        .build()
        .unwrap();
    (flow, log)
}

#[tokio::test]
async fn an_overloaded_login_is_refused_at_once_and_is_no_failed_login() {
    let (flow, log) = flow_of_one_thread();
    // An unknown user's login takes the only thread, for its slow dummy verify.
    let mut busy = pin!(flow.login(Credentials::password("nobody", PASSWORD), request()));
    assert!(poll_once(busy.as_mut()).is_pending());

    // The next is answered on its first poll, before any hash.
    let secret = "hunter2 is my password";
    let mut refused = pin!(flow.login(ada(secret), request()));
    let error = match poll_once(refused.as_mut()) {
        Poll::Ready(Err(error)) => error,
        Poll::Ready(Ok(_)) => panic!("an overloaded login succeeded"),
        Poll::Pending => panic!("an overloaded login waited"),
    };
    let LoginError::Overloaded { retry_after } = error else {
        panic!("expected Overloaded, got {error:?}");
    };
    assert!(retry_after >= Duration::from_secs(1), "{retry_after:?}");
    assert!(error.is_unavailable());
    assert_eq!(error.retry_after(), Some(retry_after));
    assert!(error.client_message().contains("try again"));
    for text in [
        error.client_message().to_owned(),
        error.to_string(),
        format!("{error:?}"),
    ] {
        assert!(!text.contains(secret), "{text}");
    }

    // The busy login ends as any unknown user's: a failed login, which the hooks see.
    let busy = tokio::time::timeout(Duration::from_secs(30), busy)
        .await
        .expect("the slow hash ends");
    assert!(matches!(busy, Err(LoginError::InvalidCredentials)));
    assert_eq!(
        *log.lock().unwrap(),
        [
            "before_authenticate:nobody",
            "before_authenticate:ada",
            "on_login_failed:nobody"
        ],
        "the overloaded login ran neither before_login nor on_login_failed"
    );
}
