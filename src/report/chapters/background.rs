//! 一、调研背景与目的: the policy background and the purpose of the survey.

use crate::charts::ChartError;
use crate::report::narrative;
use crate::report::view::*;

pub(crate) fn write<'a>(
    b: &mut Builder<'a>,
    _facts: &narrative::Facts<'a>,
) -> Result<(), ChartError> {
    let input: &'a ReportInput<'a> = b.input;
    let lang = input.lang;
    // 一、调研背景与目的
    b.h(
        1,
        "background",
        "一、调研背景与目的",
        "1. Background and purpose",
    );
    b.p(input.info.description.clone());
    b.p(lang
        .pick(
            "本次调研按照“多元主体评价”的要求，分别面向学生、教师和合作企业开展问卷调查，从合作机制、资源投入、协同育人过程、育人成效和服务贡献等方面评价校企合作与产教融合的质量，查找存在的问题，提出改进建议，为完善教学运行与质量监控提供依据。",
            "Following the multi-stakeholder evaluation approach, students, teachers and partner enterprises were surveyed to evaluate the quality of school–enterprise cooperation, identify problems and recommend improvements.",
        )
        .into());
    Ok(())
}
