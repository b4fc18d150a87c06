//! The in-memory stores under the suites the SQLite and Redis stores also pass: users
//! and atomicity (the other suites run in the flow_* files).

use std::sync::Arc;

use auth_hooks_flow::testing::{atomicity_conformance, conformance_users, user_store_conformance};
use auth_hooks_flow::{
    MemoryAttemptStore, MemoryJtiBlocklist, MemorySessionStore, MemoryUserStore,
};

#[tokio::test]
async fn memory_user_store_passes_the_conformance_suite() {
    let store = MemoryUserStore::new();
    for user in conformance_users() {
        store.insert(user).unwrap();
    }
    user_store_conformance(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_stores_are_atomic_under_concurrent_callers() {
    atomicity_conformance(
        Arc::new(MemorySessionStore::new()),
        Arc::new(MemoryJtiBlocklist::new()),
        Arc::new(MemoryAttemptStore::new()),
    )
    .await;
}
