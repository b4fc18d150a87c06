//! Shared helpers of the integration tests.

pub mod conformance;
pub mod flow_support;
pub mod http_support;
pub mod load_support;
pub mod logs;
pub mod redis_support;
pub mod store_flow;
