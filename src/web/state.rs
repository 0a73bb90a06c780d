//! Shared application state handed to every handler.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// argon2 PHC string of the evaluator token.
    pub token_hash: Arc<String>,
}
