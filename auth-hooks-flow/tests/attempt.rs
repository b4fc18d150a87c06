//! One attempt id per login, logout, refresh and registration: the same in every phase
//! of the attempt, another for the next attempt; each hook runs once per phase.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use auth_hooks::{AuthHookContext, AuthHookRegistry, Phase};
use auth_hooks_flow::{Credentials, LogoutTarget};
use auth_hooks_test_support::flow::{ada, request, Fixture, PASSWORD};

/// `(phase, attempt id)` of every hook call, in order.
type Seen = Arc<Mutex<Vec<(Phase, Option<String>)>>>;

fn recording_every_phase() -> (AuthHookRegistry, Seen) {
    let seen: Seen = Arc::default();
    let mut hooks = AuthHookRegistry::new();
    for phase in Phase::ALL {
        let seen = seen.clone();
        hooks
            .register(phase, "record", move |ctx: &AuthHookContext| {
                let id = ctx.attempt_id().map(str::to_owned);
                seen.lock().unwrap().push((phase, id));
            })
            .unwrap();
    }
    (hooks, seen)
}

/// The attempt ids seen since `from`, each with the phases that saw it.
fn attempts(seen: &Seen, from: usize) -> BTreeMap<String, Vec<Phase>> {
    let mut by_id: BTreeMap<String, Vec<Phase>> = BTreeMap::new();
    for (phase, id) in &seen.lock().unwrap()[from..] {
        by_id
            .entry(id.clone().expect("every context has an attempt id"))
            .or_default()
            .push(*phase);
    }
    by_id
}

#[tokio::test]
async fn every_phase_of_an_attempt_shares_its_id_and_the_next_attempt_has_another() {
    let (hooks, seen) = recording_every_phase();
    let fx = Fixture::new(hooks);

    let login = fx.flow.login(ada(PASSWORD), request()).await.unwrap();
    let first = attempts(&seen, 0);
    assert_eq!(first.len(), 1, "{first:?}");
    let phases = first.values().next().unwrap();
    assert_eq!(
        phases,
        &[
            Phase::BeforeAuthenticate,
            Phase::BeforeLogin,
            Phase::OnLogin
        ],
        "each hook once per phase"
    );

    let mark = seen.lock().unwrap().len();
    let _ = fx.flow.login(ada("wrong"), request()).await;
    let failed = attempts(&seen, mark);
    assert_eq!(failed.len(), 1);
    assert!(
        !first.contains_key(failed.keys().next().unwrap()),
        "a new attempt, a new id"
    );
    assert_eq!(
        failed.values().next().unwrap(),
        &[Phase::BeforeAuthenticate, Phase::OnLoginFailed]
    );

    let mark = seen.lock().unwrap().len();
    let refresh = login.tokens.as_ref().unwrap().refresh.token.expose();
    fx.flow.refresh(refresh).await.unwrap();
    assert_one_attempt(&seen, mark, &[Phase::BeforeAuthenticate, Phase::OnRefresh]);

    let mark = seen.lock().unwrap().len();
    let fields = Credentials::password("cleo", "a long enough password");
    fx.flow.register(fields, request()).await.unwrap();
    assert_one_attempt(&seen, mark, &[Phase::BeforeRegister, Phase::OnRegister]);

    let mark = seen.lock().unwrap().len();
    let id = login.session.unwrap().id;
    fx.flow
        .logout(LogoutTarget::session(id), request())
        .await
        .unwrap();
    assert_one_attempt(&seen, mark, &[Phase::OnLogout]);
}

fn assert_one_attempt(seen: &Seen, mark: usize, phases: &[Phase]) {
    let one = attempts(seen, mark);
    assert_eq!(one.len(), 1, "one id for the whole attempt: {one:?}");
    assert_eq!(one.values().next().unwrap(), phases);
}

/// The id of each attempt the hooks saw, and the log line of the flow's own that
/// `message` starts: the line carries the same id.
#[test]
fn the_flows_own_log_lines_carry_the_attempt_id() {
    let (mut hooks, seen) = recording_every_phase();
    hooks
        .register("before_login", "deny", |_: &AuthHookContext| {
            Err(auth_hooks::AuthHookReject::new("No."))
        })
        .unwrap();
    let fx = Fixture::new(hooks);
    let ((), logs) = auth_hooks_test_support::logs::capture_logs(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(async {
                fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
                let fields = Credentials::password("cleo", "a long enough password");
                fx.flow.register(fields, request()).await.unwrap();
            })
    });
    let id_in = |wanted: Phase| {
        let seen = seen.lock().unwrap();
        let (_, id) = seen.iter().find(|(phase, _)| *phase == wanted).unwrap();
        id.clone().unwrap()
    };
    let (login, registration) = (id_in(Phase::BeforeLogin), id_in(Phase::OnRegister));
    assert_ne!(login, registration);
    for (message, id) in [
        ("login denied after authentication", &login),
        ("registration handled", &registration),
    ] {
        let line = logs
            .lines()
            .find(|line| line.contains(message))
            .unwrap_or_else(|| panic!("no line {message:?} in\n{logs}"));
        assert!(line.contains(id.as_str()), "{line:?} lacks {id:?}");
    }
}
