//! PII redaction of open answers, before they are counted, coded, shown or exported:
//! e-mail addresses, ID-card numbers, phone numbers (mobile and landline), QQ and
//! WeChat ids, any other run of seven or more digits, and the people and organisations
//! of the campaign's `redact.toml`. Each is replaced by a bracketed label such as
//! 〔电话〕; full-width digits and letters are read as their ASCII forms first, so
//! `１３８…` is found too.

use regex::Regex;

use crate::domain::text::RedactList;

/// The labels put in place of what was removed (segmentation skips them).
pub const EMAIL: &str = "〔邮箱〕";
pub const ID_CARD: &str = "〔身份证号〕";
pub const PHONE: &str = "〔电话〕";
pub const QQ: &str = "〔QQ号〕";
pub const WECHAT: &str = "〔微信号〕";
pub const NUMBER: &str = "〔号码〕";
pub const PERSON: &str = "〔姓名〕";
pub const ORGANISATION: &str = "〔单位〕";

/// A redactor for one campaign: the patterns and its list of names, compiled once.
pub struct Redactor {
    email: Regex,
    id_card: Regex,
    mobile: Regex,
    landline: Regex,
    qq: Regex,
    wechat: Regex,
    digits: Regex,
    people: Option<Regex>,
    organisations: Option<Regex>,
}

fn names(list: &[String]) -> Option<Regex> {
    if list.is_empty() {
        return None;
    }
    let mut sorted: Vec<&String> = list.iter().collect();
    // Longest first, so a school's full name wins over a shorter name inside it.
    sorted.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    let alternation: Vec<String> = sorted.iter().map(|n| regex::escape(n)).collect();
    Regex::new(&alternation.join("|")).ok()
}

impl Redactor {
    pub fn new(list: &RedactList) -> Self {
        let re = |p: &str| Regex::new(p).expect("a valid built-in pattern");
        Redactor {
            email: re(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"),
            id_card: re(r"[0-9]{17}[0-9Xx]|[0-9]{15}"),
            mobile: re(r"(?:\+?86[\- ]?)?1[3-9][0-9](?:[\- ]?[0-9]{4}){2}"),
            landline: re(r"0[0-9]{2,3}[\- ]?[0-9]{7,8}"),
            qq: re(r"(?i)(qq|扣扣)(号码|号)?\s*[:：]?\s*[0-9]{5,12}"),
            wechat: re(
                r"(?i)(微信|weixin|wechat|薇信|v信|vx|wx)(号码|号)?\s*[:：]?\s*[A-Za-z][A-Za-z0-9_\-]{5,19}",
            ),
            digits: re(r"[0-9]{7,}"),
            people: names(&list.people),
            organisations: names(&list.organisations),
        }
    }

    /// `text` with every piece of personal information replaced by its label.
    pub fn redact(&self, text: &str) -> String {
        let mut t = halfwidth(text);
        if t.bytes().any(|b| b.is_ascii_digit() || b == b'@') {
            t = replace(&self.email, &t, |_| EMAIL.into());
            t = replace(&self.qq, &t, |m| format!("{}{QQ}", prefix(m)));
            t = replace(&self.wechat, &t, |m| format!("{}{WECHAT}", prefix(m)));
            t = replace_unglued(&self.id_card, &t, ID_CARD);
            t = replace_unglued(&self.mobile, &t, PHONE);
            t = replace_unglued(&self.landline, &t, PHONE);
            t = replace(&self.digits, &t, |_| NUMBER.into());
        } else if self.wechat_possible(&t) {
            t = replace(&self.wechat, &t, |m| format!("{}{WECHAT}", prefix(m)));
        }
        if let Some(re) = &self.organisations {
            t = replace(re, &t, |_| ORGANISATION.into());
        }
        if let Some(re) = &self.people {
            t = replace(re, &t, |_| PERSON.into());
        }
        t
    }

    fn wechat_possible(&self, t: &str) -> bool {
        t.contains('信') || t.bytes().any(|b| matches!(b, b'w' | b'W' | b'v' | b'V'))
    }
}

/// The name of the id (微信, QQ …) kept before its label.
fn prefix(m: &regex::Captures<'_>) -> String {
    format!(
        "{}{}",
        m.get(1).map_or("", |g| g.as_str()),
        m.get(2).map_or("", |g| g.as_str())
    )
}

fn replace(re: &Regex, t: &str, label: impl Fn(&regex::Captures<'_>) -> String) -> String {
    re.replace_all(t, |c: &regex::Captures<'_>| label(c))
        .into_owned()
}

/// Replaces matches not glued to further digits (a 16-digit card number is not a
/// 15-digit ID followed by a digit).
fn replace_unglued(re: &Regex, t: &str, label: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut last = 0;
    for m in re.find_iter(t) {
        let before = t[..m.start()].chars().next_back();
        let after = t[m.end()..].chars().next();
        if before.is_some_and(|c| c.is_ascii_digit()) || after.is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        out.push_str(&t[last..m.start()]);
        out.push_str(label);
        last = m.end();
    }
    out.push_str(&t[last..]);
    out
}

/// Full-width letters, digits and the signs of addresses and numbers (ＡＢＣ１２３＠＋－＿)
/// read as ASCII; Chinese punctuation (，：（）) stays as written.
pub fn halfwidth(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF10}'..='\u{FF19}'
            | '\u{FF21}'..='\u{FF3A}'
            | '\u{FF41}'..='\u{FF5A}'
            | '\u{FF20}'
            | '\u{FF0B}'
            | '\u{FF0D}'
            | '\u{FF3F}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        Redactor::new(&RedactList {
            people: vec!["张伟".into(), "李老师".into()],
            organisations: vec!["平顺县职业技术学校".into(), "平顺".into()],
        })
    }

    /// Every listed kind, in crafted answers a respondent could write.
    #[test]
    fn every_kind_of_personal_information_is_replaced() {
        let r = redactor();
        let cases = [
            ("有事请打13812345678找我", "有事请打〔电话〕找我"),
            ("电话：138-1234-5678。", "电话：〔电话〕。"),
            ("手机+86 139 1234 5678", "手机〔电话〕"),
            ("办公室0355-6012345", "办公室〔电话〕"),
            ("身份证14042519990101123X已登记", "身份证〔身份证号〕已登记"),
            ("老证号140425990101123", "老证号〔身份证号〕"),
            ("邮箱zhang.wei@example.com谢谢", "邮箱〔邮箱〕谢谢"),
            ("加我QQ：12345678", "加我QQ〔QQ号〕"),
            ("扣扣号 987654", "扣扣号〔QQ号〕"),
            ("微信号: wx_zhang2024 联系", "微信号〔微信号〕 联系"),
            ("加vx:abc12345", "加vx〔微信号〕"),
            ("银行卡6222021234567890123", "银行卡〔号码〕"),
            ("张伟同学说实训设备旧", "〔姓名〕同学说实训设备旧"),
            ("李老师很负责", "〔姓名〕很负责"),
            (
                "平顺县职业技术学校的实训室不错，平顺的企业少",
                "〔单位〕的实训室不错，〔单位〕的企业少",
            ),
            ("手机１３８１２３４５６７８", "手机〔电话〕"),
            ("邮箱ＡＢＣ＠ｅｘａｍｐｌｅ.ｃｏｍ", "邮箱〔邮箱〕"),
        ];
        for (raw, want) in cases {
            assert_eq!(r.redact(raw), want, "{raw}");
        }
    }

    #[test]
    fn ordinary_numbers_and_words_stay() {
        let r = redactor();
        for t in [
            "实习工资2000元，每周工作5天",
            "2024年去了3家企业",
            "希望增加wifi和电脑",
            "微信群通知很及时",
        ] {
            assert_eq!(r.redact(t), t);
        }
    }
}
