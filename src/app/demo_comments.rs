//! Open answers for the demo data: short comments in each group's own concerns, built
//! from fragments (most name a theme of the default campaign, a few none), so the
//! open-answer analysis has something real-looking to read.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::domain::Audience;

const STUDENTS: [&str; 14] = [
    "实训设备太旧，希望更新实训设备",
    "实训室的设备和企业用的不一样",
    "顶岗实习的时间太短",
    "希望多安排去企业跟岗实习",
    "实习岗位和专业不太对口",
    "希望学校多推荐就业岗位",
    "希望多组织技能大赛",
    "订单班的名额太少",
    "想多学直播带货的实操课程",
    "中药材种植的实训基地太远",
    "老师讲课很认真，希望多一些企业案例",
    "希望多考一些职业技能等级证书",
    "食堂和宿舍条件需要改善",
    "希望企业师傅多来学校上课",
];

const TEACHERS: [&str; 12] = [
    "双师型教师数量不足",
    "希望增加去企业挂职锻炼的机会",
    "教师培训经费不够",
    "企业参与课程开发的积极性不高",
    "校企合作缺少长效机制",
    "实训设备更新跟不上企业技术",
    "企业导师到校授课时间难以保证",
    "希望和企业共同开发活页式教材",
    "学生顶岗实习的过程管理需要加强",
    "双师型教师认定标准需要细化",
    "课时太多，没有时间下企业",
    "希望学校与企业定期沟通反馈",
];

const ENTERPRISES: [&str; 12] = [
    "学生的实际动手能力有待提高",
    "希望学校根据企业岗位需求调整课程",
    "顶岗实习学生稳定性不高，流失较多",
    "希望学校提前沟通实习安排",
    "订单班培养的学生留用率不错",
    "希望政府对参与合作的企业给予政策支持",
    "企业师傅带徒弟的补贴太少",
    "电子商务专业学生的直播运营能力较强",
    "中药材加工岗位缺少熟练工",
    "乡村旅游旺季需要更多实习生",
    "希望建立校企合作的协调机制",
    "学生职业素养和沟通能力需要加强",
];

/// A comment for a respondent of `group`, or none (about half do not write).
pub(super) fn comment(group: Audience, rng: &mut ChaCha8Rng) -> Option<String> {
    let (fragments, writes): (&[&str], u32) = match group {
        Audience::Students => (&STUDENTS, 50),
        Audience::Teachers => (&TEACHERS, 65),
        Audience::Enterprises => (&ENTERPRISES, 70),
    };
    if rng.random_range(0..100) >= writes {
        return None;
    }
    let first = fragments[rng.random_range(0..fragments.len())];
    let mut text = first.to_string();
    if rng.random_range(0..100) < 30 {
        let second = fragments[rng.random_range(0..fragments.len())];
        if second != first {
            text.push('；');
            text.push_str(second);
        }
    }
    if rng.random_range(0..100) < 50 {
        text.push('。');
    }
    Some(text)
}
