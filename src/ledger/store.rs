//! Storage of ledger entries.

/// Handle to the ledger.
#[derive(Clone, Debug)]
pub struct Ledger {}
