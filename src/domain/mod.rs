//! Parsed domain values: once a definition or an answer set is one of these, it is valid.

pub mod ahp;
pub mod analysis_settings;
pub mod answers;
pub mod audience;
pub mod campaign;
pub mod codes;
pub mod expr;
pub mod framework;
pub mod lang;
pub mod packed;
pub mod quality;
pub mod survey;
pub mod text;
pub mod weighting;

pub use answers::{AnswerError, AnswerValue, NewResponse};
pub use audience::Audience;
pub use campaign::Campaign;
pub use codes::ErrorCode;
pub use expr::Expression;
pub use framework::{Framework, Indicator, SubIndicator};
pub use lang::Lang;
pub use survey::{
    Access, Choice, LikertScale, MatrixHeader, Question, QuestionKind, Quota, Section, SectionItem,
    Survey, SurveyState, OTHER_CODE, OTHER_MAX_LENGTH, OTHER_SUFFIX,
};
