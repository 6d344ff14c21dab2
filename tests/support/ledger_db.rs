//! A fresh, isolated ledger database per test, on SQLite or PostgreSQL, plus raw access for
//! playing the attacker. Include with `#[path = "support/ledger_db.rs"] mod ledger_db;`.
//!
//! PostgreSQL: `KUBECHAT_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). Each test gets its own schema (through
//! `search_path`), dropped when the test ends, so test binaries can run in parallel. An
//! unreachable server FAILS the test: CI has one, and a silent pass would hide a broken
//! backend.

#![allow(dead_code)] // each test binary uses a different part of this helper

use sqlx::Connection;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use tempfile::TempDir;

const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Runs `async fn $name(db: Db)` once on SQLite and once on PostgreSQL, as the tests
/// `$name::sqlite` and `$name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($(#[$attr:meta])* async fn $name:ident($db:ident: Db) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(#[$attr])*
            async fn run($db: Db) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(Db::sqlite()).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(Db::postgres().await).await
            }
        }
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One test's database; PostgreSQL schemas are dropped on drop.
pub struct Db {
    pub backend: Backend,
    /// The ledger URL to open.
    pub url: String,
    _dir: Option<TempDir>,
    /// PostgreSQL: (server URL, schema name).
    schema: Option<(String, String)>,
}

pub fn postgres_server() -> String {
    std::env::var("KUBECHAT_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_PG.to_owned())
}

impl Db {
    /// A fresh SQLite file in a temp dir.
    pub fn sqlite() -> Db {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
        Db {
            backend: Backend::Sqlite,
            url,
            _dir: Some(dir),
            schema: None,
        }
    }

    /// A fresh schema on the test PostgreSQL server.
    pub async fn postgres() -> Db {
        let server = postgres_server();
        let schema = format!("kc_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&server).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {server}: {e}. The ledger tests need it (CI \
                 has one); start it or point KUBECHAT_TEST_POSTGRES_URL at one"
            )
        });
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut admin)
            .await
            .expect("create test schema");
        let sep = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{sep}options=-c%20search_path%3D{schema}");
        Db {
            backend: Backend::Postgres,
            url,
            _dir: None,
            schema: Some((server, schema)),
        }
    }

    /// A raw connection with the database's own guards (triggers) in place.
    pub async fn raw(&self) -> Raw {
        match self.backend {
            Backend::Sqlite => Raw::Sqlite(
                SqliteConnection::connect(&self.url)
                    .await
                    .expect("raw connect"),
            ),
            Backend::Postgres => {
                Raw::Postgres(PgConnection::connect(&self.url).await.expect("raw connect"))
            }
        }
    }

    /// A raw connection with the append-only triggers dropped, as an attacker with write
    /// access to the database would have.
    pub async fn attacker(&self) -> Raw {
        let mut raw = self.raw().await;
        let sql = match self.backend {
            Backend::Sqlite => {
                "DROP TRIGGER IF EXISTS entries_no_update; DROP TRIGGER IF EXISTS entries_no_delete"
            }
            Backend::Postgres => {
                "DROP TRIGGER IF EXISTS entries_no_update ON entries; \
                 DROP TRIGGER IF EXISTS entries_no_delete ON entries"
            }
        };
        raw.exec(sql).await.expect("drop triggers");
        raw
    }

    /// Makes every later insert fail with `message` (a full disk, a revoked grant).
    pub async fn break_inserts(&self, message: &str) {
        let sql = match self.backend {
            Backend::Sqlite => format!(
                "CREATE TRIGGER broken BEFORE INSERT ON entries BEGIN SELECT RAISE(ABORT, '{message}'); END"
            ),
            Backend::Postgres => format!(
                "CREATE FUNCTION broken() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{message}'; END $$; \
                 CREATE TRIGGER broken BEFORE INSERT ON entries FOR EACH ROW EXECUTE FUNCTION broken()"
            ),
        };
        self.raw().await.exec(&sql).await.expect("break inserts");
    }

    /// Undoes [`break_inserts`](Db::break_inserts).
    pub async fn repair_inserts(&self) {
        let sql = match self.backend {
            Backend::Sqlite => "DROP TRIGGER broken",
            Backend::Postgres => "DROP TRIGGER broken ON entries",
        };
        self.raw().await.exec(sql).await.expect("repair inserts");
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let Some((server, schema)) = self.schema.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block on itself: clean up from a
        // thread with its own runtime.
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&server).await {
                    let sql =
                        format!("SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS {schema} CASCADE");
                    if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut admin)
                        .await
                    {
                        eprintln!("could not drop test schema {schema}: {e}");
                    }
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// A raw database connection.
pub enum Raw {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl Raw {
    /// Runs SQL text (several statements allowed, no parameters).
    pub async fn exec(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self {
            Raw::Sqlite(c) => sqlx::raw_sql(sql).execute(c).await.map(drop),
            Raw::Postgres(c) => sqlx::raw_sql(sql).execute(c).await.map(drop),
        }
    }

    /// Runs one statement with text parameters `$1`, `$2`, ….
    pub async fn exec_with(&mut self, sql: &str, binds: &[&str]) -> Result<(), sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self {
            Raw::Sqlite(c) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = q.bind(b.to_string());
                }
                q.execute(c).await.map(drop)
            }
            Raw::Postgres(c) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = q.bind(b.to_string());
                }
                q.execute(c).await.map(drop)
            }
        }
    }
}
