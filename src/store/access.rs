//! Scoped access tokens: who may do what. The evaluator token set at installation is an
//! admin; more tokens are issued per person, as admins or as evaluators, optionally
//! limited to one school (the `school` respondent attribute).

use chrono::{SubsecRound, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::invitations::{new_token, token_hash};
use super::StoreError;
use crate::entities::access_tokens;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything: campaigns, invitations, imports, tokens, the audit log, all data.
    Admin,
    /// Reads scores, analyses, reports and raw data (of one school when scoped).
    Evaluator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Evaluator => "evaluator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "evaluator" => Some(Role::Evaluator),
            _ => None,
        }
    }
}

/// What a token grants.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Access {
    pub id: i64,
    pub role: Role,
    pub school: Option<String>,
    pub label: String,
    pub created_at: chrono::DateTime<Utc>,
    pub revoked: bool,
}

fn access(m: access_tokens::Model) -> Option<Access> {
    Some(Access {
        id: m.id,
        role: Role::parse(&m.role)?,
        school: m.school,
        label: m.label,
        created_at: m.created_at,
        revoked: m.revoked,
    })
}

/// Issues a token; returns it in clear (shown once) with what it grants.
pub async fn create(
    db: &DatabaseConnection,
    role: Role,
    school: Option<&str>,
    label: &str,
) -> Result<(String, Access), StoreError> {
    // Two invitation-style tokens: 200 bits.
    let token = format!("{}{}", new_token(), new_token());
    let m = access_tokens::ActiveModel {
        token_hash: Set(token_hash(&token)),
        role: Set(role.as_str().to_string()),
        school: Set(school.map(str::to_string)),
        label: Set(label.to_string()),
        created_at: Set(Utc::now().trunc_subsecs(3)),
        revoked: Set(false),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let a = access(m).ok_or_else(|| StoreError::Corrupt("unknown role".into()))?;
    Ok((token, a))
}

/// What `token` grants, unless unknown or revoked.
pub async fn find(db: &DatabaseConnection, token: &str) -> Result<Option<Access>, StoreError> {
    Ok(access_tokens::Entity::find()
        .filter(access_tokens::Column::TokenHash.eq(token_hash(token)))
        .filter(access_tokens::Column::Revoked.eq(false))
        .one(db)
        .await?
        .and_then(access))
}

/// Token `id`, revoked or not.
pub async fn by_id(db: &DatabaseConnection, id: i64) -> Result<Option<Access>, StoreError> {
    Ok(access_tokens::Entity::find_by_id(id)
        .one(db)
        .await?
        .and_then(access))
}

pub async fn list(db: &DatabaseConnection) -> Result<Vec<Access>, StoreError> {
    Ok(access_tokens::Entity::find()
        .order_by_asc(access_tokens::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(access)
        .collect())
}

/// Revokes token `id`; false when there is no such token.
pub async fn revoke(db: &DatabaseConnection, id: i64) -> Result<bool, StoreError> {
    let r = access_tokens::Entity::update_many()
        .col_expr(access_tokens::Column::Revoked, Expr::value(true))
        .filter(access_tokens::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}
