//! Storage of ledger entries (placeholder signatures until the ledger branch lands).

use super::{Entry, ExportFormat, LedgerError, NewEntry, VerifyReport};

/// Handle to the ledger.
#[derive(Clone, Debug)]
pub struct Ledger {}

impl Ledger {
    pub async fn open(url: &str) -> Result<Ledger, LedgerError> {
        Err(LedgerError::UnsupportedUrl(url.into()))
    }
    pub async fn append(&self, _entry: NewEntry) -> Result<Entry, LedgerError> {
        Err(LedgerError::WriterGone)
    }
    pub async fn plan_entries(&self, _plan_id: &str) -> Result<Vec<Entry>, LedgerError> {
        Err(LedgerError::WriterGone)
    }
    pub async fn open_plans(&self) -> Result<Vec<String>, LedgerError> {
        Err(LedgerError::WriterGone)
    }
    pub async fn verify(&self) -> Result<VerifyReport, LedgerError> {
        Err(LedgerError::WriterGone)
    }
    pub async fn export(&self, _f: ExportFormat, _out: &mut (dyn std::io::Write + Send)) -> Result<u64, LedgerError> {
        Err(LedgerError::WriterGone)
    }
    pub async fn ping(&self) -> Result<(), LedgerError> {
        Err(LedgerError::WriterGone)
    }
}
