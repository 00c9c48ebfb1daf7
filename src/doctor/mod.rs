//! `kerbrds doctor`: every check from local configuration to AWS state, run concurrently as a
//! small dependency graph (dependencies are data flow: a step that needs an address takes one),
//! each bounded by a timeout, ending in one verdict with the root cause and its fix.

pub mod bundle;
pub mod precedence;
pub mod run;
pub mod step;
pub mod target;
