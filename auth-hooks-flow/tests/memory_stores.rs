//! The in-memory stores under the suites the SQLite and Redis stores also pass: users,
//! atomicity and the second factor's two stores (the other suites run in the flow_*
//! files).

use std::sync::Arc;

use auth_hooks_flow::second_factor::{MemoryContinuationStore, MemorySecondFactorStore};
use auth_hooks_flow::testing::{
    atomicity_conformance, conformance_users, continuation_store_conformance,
    second_factor_store_conformance, user_store_conformance,
};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_second_factor_store_passes_the_conformance_suite() {
    second_factor_store_conformance(Arc::new(MemorySecondFactorStore::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_continuation_store_passes_the_conformance_suite() {
    continuation_store_conformance(Arc::new(MemoryContinuationStore::new())).await;
}
