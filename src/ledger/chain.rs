//! The hash chain (pure): how an entry's hash is computed and how a sequence of entries is
//! checked.
