//! `anonymous_progress` table: what became of each invitation to an anonymous
//! questionnaire (opened, draft saved, answered), keyed so it cannot be matched with
//! the invitation row without the token itself.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "anonymous_progress")]
pub struct Model {
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::None)"
    )]
    pub key: String,
    pub survey_slug: String,
    #[sea_orm(column_type = "Text")]
    pub attributes: String,
    /// The day it was first opened (`YYYY-MM-DD`), never a finer time.
    pub started_on: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub draft: Option<String>,
    pub completed: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
