//! Account rows: `ACCOUNTS`, by lower-cased name.

use redb::ReadableTable;
use wasmud_store::records::decode_account;
use wasmud_store::{AccountRecord, AccountView, StoreError};

use crate::error::run;
use crate::tables::ACCOUNTS;
use crate::{RedbRead, RedbWrite};

macro_rules! impl_account_view {
    ($ty:ty) => {
        impl AccountView for $ty {
            fn account(&self, name: &str) -> Result<Option<AccountRecord>, StoreError> {
                run(|| {
                    let key = name.to_lowercase();
                    match self.txn.open_table(ACCOUNTS)?.get(key.as_str())? {
                        Some(raw) => Ok(Some(decode_account(raw.value())?)),
                        None => Ok(None),
                    }
                })
            }

            fn accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
                run(|| {
                    let table = self.txn.open_table(ACCOUNTS)?;
                    let mut out = Vec::new();
                    for row in table.iter()? {
                        out.push(decode_account(row?.1.value())?);
                    }
                    Ok(out)
                })
            }
        }
    };
}

impl_account_view!(RedbRead);
impl_account_view!(RedbWrite);
