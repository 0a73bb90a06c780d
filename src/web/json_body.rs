//! A JSON body extractor whose shape errors name the field by its path (`attributes.school`).
//!
//! `web::Json<T>` reports serde's message without saying where it happened ("invalid
//! type: floating point `1.5`, expected usize at line 1 column 12"). Reading the body as a
//! `Value` first (size limit, syntax and content type still handled by `JsonConfig`) and
//! then deserialising it through `serde_path_to_error` gives the path of the bad field.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::domain::ErrorCode;
use crate::error::ApiError;

/// A request body of type `T`; a well-formed body of the wrong shape is 422
/// `invalid_payload` with `field` set to the path of the offending value.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for JsonBody<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let value = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move {
            let value = value.await?.into_inner();
            typed(value).map(JsonBody).map_err(Into::into)
        })
    }
}

/// Deserialises `value` into `T`, naming the path of the first value that does not fit.
pub fn typed<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner().to_string();
        // A missing field is reported at its parent (`.`); serde names it in backticks.
        let field = if path == "." {
            super::responses::field_named_in(&inner)
        } else {
            Some(path.clone())
        };
        let message = match &field {
            Some(f) if path != "." => format!("{f}: {inner}"),
            _ => inner,
        };
        ApiError::Invalid {
            code: ErrorCode::InvalidPayload,
            field,
            message,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Batch {
        count: usize,
        #[serde(default)]
        attributes: BTreeMap<String, String>,
        label: String,
    }

    fn field_of(v: Value) -> (Option<String>, String) {
        match typed::<Batch>(v) {
            Err(ApiError::Invalid { field, message, .. }) => (field, message),
            other => panic!("expected invalid_payload, got {other:?}"),
        }
    }

    #[test]
    fn a_wrong_type_is_named_by_its_path() {
        let (field, message) = field_of(json!({"count": 1.5, "label": "x"}));
        assert_eq!(field.as_deref(), Some("count"));
        assert!(message.starts_with("count: invalid type"), "{message}");
        let (field, _) = field_of(json!({"count": 1, "label": "x", "attributes": {"school": 3}}));
        assert_eq!(field.as_deref(), Some("attributes.school"));
    }

    #[test]
    fn a_missing_or_unknown_field_is_named() {
        let (field, message) = field_of(json!({"count": 1}));
        assert_eq!(field.as_deref(), Some("label"), "{message}");
        let (field, message) = field_of(json!({"count": 1, "label": "x", "colour": 1}));
        assert_eq!(field.as_deref(), Some("colour"), "{message}");
    }

    #[test]
    fn a_fitting_body_passes() {
        let b: Batch = typed(json!({"count": 2, "label": "x"})).expect("fits");
        assert_eq!(b.count, 2);
    }
}
