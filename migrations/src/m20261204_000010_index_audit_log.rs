//! An index on the audit log by action and target: the workspace reads a campaign's
//! report downloads and a watched page's last recorded view on every page view, which
//! would otherwise scan the whole (ever-growing) log.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Action,
    Target,
    Id,
}

const NAME: &str = "ix_audit_log_action_target";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .if_not_exists()
                    .table(AuditLog::Table)
                    .col(AuditLog::Action)
                    .col(AuditLog::Target)
                    .col(AuditLog::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(AuditLog::Table).to_owned())
            .await
    }
}
