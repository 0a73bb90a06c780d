//! The questionnaire expression language (the XLSForm/XPath subset used for `relevant`,
//! `constraint` and `required`): parsed once into an AST at load time, with errors that
//! point at the byte offset of the bad token, and evaluated on the server (authoritative).
//!
//! Grammar, loosest first: `or`, `and`, comparisons (`= != < <= > >=`), `+ -`,
//! `* div mod`, unary `-`, then literals (`3`, `2.5`, `'text'`, `"text"`), `${question}`,
//! `.` (the value being checked, in constraints), `( … )` and function calls.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A parsed expression; serialises as its source text and parses again on load.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Expression {
    source: String,
    ast: Ast,
}

/// The syntax tree; `Serialize` gives the JSON the respondent page evaluates.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Ast {
    Num {
        v: f64,
    },
    Str {
        v: String,
    },
    Ref {
        name: String,
        #[serde(skip_serializing)]
        at: usize,
    },
    Current,
    Neg {
        e: Box<Ast>,
    },
    Bin {
        op: BinOp,
        l: Box<Ast>,
        r: Box<Ast>,
    },
    Call {
        f: Func,
        args: Vec<Ast>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// The supported functions, with their XLSForm names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Func {
    Selected,
    CountSelected,
    Not,
    StringLength,
    Regex,
    Contains,
    StartsWith,
    Int,
    Number,
    String,
    If,
    Coalesce,
    True,
    False,
    Today,
}

impl Func {
    pub const ALL: [Func; 15] = [
        Func::Selected,
        Func::CountSelected,
        Func::Not,
        Func::StringLength,
        Func::Regex,
        Func::Contains,
        Func::StartsWith,
        Func::Int,
        Func::Number,
        Func::String,
        Func::If,
        Func::Coalesce,
        Func::True,
        Func::False,
        Func::Today,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Func::Selected => "selected",
            Func::CountSelected => "count-selected",
            Func::Not => "not",
            Func::StringLength => "string-length",
            Func::Regex => "regex",
            Func::Contains => "contains",
            Func::StartsWith => "starts-with",
            Func::Int => "int",
            Func::Number => "number",
            Func::String => "string",
            Func::If => "if",
            Func::Coalesce => "coalesce",
            Func::True => "true",
            Func::False => "false",
            Func::Today => "today",
        }
    }

    fn arity(self) -> usize {
        match self {
            Func::True | Func::False | Func::Today => 0,
            Func::CountSelected
            | Func::Not
            | Func::StringLength
            | Func::Int
            | Func::Number
            | Func::String => 1,
            Func::Selected | Func::Regex | Func::Contains | Func::StartsWith | Func::Coalesce => 2,
            Func::If => 3,
        }
    }
}

/// A syntax error at byte `offset` of the expression source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.offset + 1)
    }
}

impl std::error::Error for ExprError {}

pub const MAX_EXPRESSION_LEN: usize = 2_000;
const MAX_DEPTH: usize = 64;

impl Expression {
    pub fn parse(source: &str) -> Result<Self, ExprError> {
        if source.len() > MAX_EXPRESSION_LEN {
            return Err(ExprError {
                offset: 0,
                message: format!("expression is longer than {MAX_EXPRESSION_LEN} characters"),
            });
        }
        let tokens = lex(source)?;
        let mut p = Parser {
            tokens,
            pos: 0,
            depth: 0,
            end: source.len(),
        };
        let ast = p.expr()?;
        if let Some(t) = p.peek() {
            return Err(ExprError {
                offset: t.at,
                message: format!(
                    "unexpected {} after a complete expression; join conditions with and / or",
                    t.kind.describe()
                ),
            });
        }
        Ok(Self {
            source: source.to_string(),
            ast,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn ast(&self) -> &Ast {
        &self.ast
    }

    /// Every `${name}` reference with its byte offset, in source order.
    pub fn references(&self) -> Vec<(&str, usize)> {
        let mut out = Vec::new();
        walk(&self.ast, &mut |a| {
            if let Ast::Ref { name, at } = a {
                out.push((name.as_str(), *at));
            }
        });
        out
    }

    /// Whether the expression uses `.` (only meaningful in constraints).
    pub fn uses_current(&self) -> bool {
        let mut found = false;
        walk(&self.ast, &mut |a| found |= matches!(a, Ast::Current));
        found
    }

    /// Evaluates to true or false, XPath style.
    pub fn truthy(&self, ctx: &dyn Context) -> bool {
        eval(&self.ast, ctx).truthy()
    }
}

impl fmt::Debug for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Expression({:?})", self.source)
    }
}

impl PartialEq for Expression {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl TryFrom<String> for Expression {
    type Error = ExprError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Expression::parse(&s)
    }
}

impl From<Expression> for String {
    fn from(e: Expression) -> Self {
        e.source
    }
}

fn walk<'a>(a: &'a Ast, f: &mut dyn FnMut(&'a Ast)) {
    f(a);
    match a {
        Ast::Neg { e } => walk(e, f),
        Ast::Bin { l, r, .. } => {
            walk(l, f);
            walk(r, f);
        }
        Ast::Call { args, .. } => args.iter().for_each(|x| walk(x, f)),
        _ => {}
    }
}

// ---------------------------------------------------------------- lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ref(String),
    Name(String),
    Dot,
    LParen,
    RParen,
    Comma,
    Op(BinOp),
    Minus,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Num(n) => format!("number {n}"),
            Tok::Str(s) => format!("text '{s}'"),
            Tok::Ref(r) => format!("${{{r}}}"),
            Tok::Name(n) => format!("word {n:?}"),
            Tok::Dot => "'.'".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Comma => "','".into(),
            Tok::Op(op) => format!("operator {}", op_text(*op)),
            Tok::Minus => "'-'".into(),
        }
    }
}

fn op_text(op: BinOp) -> &'static str {
    match op {
        BinOp::Or => "or",
        BinOp::And => "and",
        BinOp::Eq => "=",
        BinOp::Ne => "!=",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "div",
        BinOp::Mod => "mod",
    }
}

#[derive(Debug, Clone)]
struct Token {
    kind: Tok,
    at: usize,
}

fn lex(src: &str) -> Result<Vec<Token>, ExprError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |at: usize, message: String| {
        Err(ExprError {
            offset: at,
            message,
        })
    };
    while i < bytes.len() {
        let c = src[i..].chars().next().unwrap_or(' ');
        let at = i;
        match c {
            c if c.is_whitespace() => i += c.len_utf8(),
            '$' => {
                if bytes.get(i + 1) != Some(&b'{') {
                    return err(at, "'$' must start a reference like ${question_id}".into());
                }
                let Some(close) = src[i..].find('}') else {
                    return err(at, "reference is not closed; write ${question_id}".into());
                };
                let name = &src[i + 2..i + close];
                if !valid_name(name) {
                    return err(
                        at + 2,
                        format!("{name:?} is not a question id; ids start with a letter, then letters, digits or '_'"),
                    );
                }
                out.push(Token {
                    kind: Tok::Ref(name.to_string()),
                    at,
                });
                i += close + 1;
            }
            '\'' | '"' => {
                let Some(len) = src[i + 1..].find(c) else {
                    return err(at, format!("text is not closed; add the closing {c}"));
                };
                out.push(Token {
                    kind: Tok::Str(src[i + 1..i + 1 + len].to_string()),
                    at,
                });
                i += len + 2;
            }
            '0'..='9' => {
                let len = src[i..]
                    .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
                    .unwrap_or(src.len() - i);
                let text = &src[i..i + len];
                let Ok(v) = text.parse::<f64>() else {
                    return err(at, format!("{text:?} is not a number"));
                };
                out.push(Token {
                    kind: Tok::Num(v),
                    at,
                });
                i += len;
            }
            '.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let len = 1 + src[i + 1..]
                    .find(|ch: char| !ch.is_ascii_digit())
                    .unwrap_or(src.len() - i - 1);
                let v = src[i..i + len].parse::<f64>().unwrap_or(f64::NAN);
                out.push(Token {
                    kind: Tok::Num(v),
                    at,
                });
                i += len;
            }
            '.' => {
                out.push(Token { kind: Tok::Dot, at });
                i += 1;
            }
            '(' | ')' | ',' | '+' | '-' | '*' | '=' => {
                let kind = match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    ',' => Tok::Comma,
                    '+' => Tok::Op(BinOp::Add),
                    '-' => Tok::Minus,
                    '*' => Tok::Op(BinOp::Mul),
                    _ => Tok::Op(BinOp::Eq),
                };
                out.push(Token { kind, at });
                i += 1;
            }
            '!' | '<' | '>' => {
                let eq = bytes.get(i + 1) == Some(&b'=');
                let op = match (c, eq) {
                    ('!', true) => BinOp::Ne,
                    ('!', false) => {
                        return err(at, "'!' alone is not an operator; use != or not(…)".into())
                    }
                    ('<', true) => BinOp::Le,
                    ('<', false) => BinOp::Lt,
                    ('>', true) => BinOp::Ge,
                    _ => BinOp::Gt,
                };
                out.push(Token {
                    kind: Tok::Op(op),
                    at,
                });
                i += if eq { 2 } else { 1 };
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let len = src[i..]
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '-'))
                    .unwrap_or(src.len() - i);
                let word = &src[i..i + len];
                let kind = match word {
                    "or" => Tok::Op(BinOp::Or),
                    "and" => Tok::Op(BinOp::And),
                    "div" => Tok::Op(BinOp::Div),
                    "mod" => Tok::Op(BinOp::Mod),
                    w => Tok::Name(w.to_string()),
                };
                out.push(Token { kind, at });
                i += len;
            }
            other => {
                return err(
                    at,
                    format!("unexpected character {other:?}; see surveys/README.md for the expression syntax"),
                )
            }
        }
    }
    Ok(out)
}

pub fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

// ---------------------------------------------------------------- parser

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    end: usize,
}

fn level(op: BinOp) -> u8 {
    match op {
        BinOp::Or => 1,
        BinOp::And => 2,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 3,
        BinOp::Add | BinOp::Sub => 4,
        BinOp::Mul | BinOp::Div | BinOp::Mod => 5,
    }
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expr(&mut self) -> Result<Ast, ExprError> {
        self.binary(1)
    }

    fn binary(&mut self, min: u8) -> Result<Ast, ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError {
                offset: self.peek().map_or(self.end, |t| t.at),
                message: "expression is nested too deeply".into(),
            });
        }
        let mut left = self.unary()?;
        loop {
            let op = match self.peek().map(|t| &t.kind) {
                Some(Tok::Op(op)) => *op,
                Some(Tok::Minus) => BinOp::Sub,
                _ => break,
            };
            if level(op) < min {
                break;
            }
            self.pos += 1;
            let right = self.binary(level(op) + 1)?;
            left = Ast::Bin {
                op,
                l: Box::new(left),
                r: Box::new(right),
            };
        }
        self.depth -= 1;
        Ok(left)
    }

    fn unary(&mut self) -> Result<Ast, ExprError> {
        if matches!(self.peek().map(|t| &t.kind), Some(Tok::Minus)) {
            self.pos += 1;
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(ExprError {
                    offset: self.end,
                    message: "expression is nested too deeply".into(),
                });
            }
            let e = self.unary()?;
            self.depth -= 1;
            return Ok(Ast::Neg { e: Box::new(e) });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Ast, ExprError> {
        let end = self.end;
        let Some(t) = self.next() else {
            return Err(ExprError {
                offset: end,
                message: "expression ends too early; a value is missing".into(),
            });
        };
        match t.kind {
            Tok::Num(v) => Ok(Ast::Num { v }),
            Tok::Str(v) => Ok(Ast::Str { v }),
            Tok::Ref(name) => Ok(Ast::Ref { name, at: t.at }),
            Tok::Dot => Ok(Ast::Current),
            Tok::LParen => {
                let e = self.expr()?;
                self.expect_close(t.at)?;
                Ok(e)
            }
            Tok::Name(name) => {
                let Some(f) = Func::ALL.iter().copied().find(|f| f.name() == name) else {
                    let hint = if self.peek().is_some_and(|n| n.kind == Tok::LParen) {
                        format!(
                            "unknown function {name:?}; functions are {}",
                            Func::ALL.map(Func::name).join(", ")
                        )
                    } else {
                        format!("unknown word {name:?}; refer to a question as ${{{name}}} and quote text as '{name}'")
                    };
                    return Err(ExprError {
                        offset: t.at,
                        message: hint,
                    });
                };
                match self.next() {
                    Some(Token {
                        kind: Tok::LParen, ..
                    }) => {}
                    _ => {
                        return Err(ExprError {
                            offset: t.at,
                            message: format!("{name} is a function; call it as {name}(…)"),
                        })
                    }
                }
                let mut args = Vec::new();
                if !matches!(self.peek().map(|x| &x.kind), Some(Tok::RParen)) {
                    loop {
                        args.push(self.expr()?);
                        if matches!(self.peek().map(|x| &x.kind), Some(Tok::Comma)) {
                            self.pos += 1;
                        } else {
                            break;
                        }
                    }
                }
                self.expect_close(t.at)?;
                if args.len() != f.arity() {
                    return Err(ExprError {
                        offset: t.at,
                        message: format!(
                            "{name}() takes {} argument(s), not {}",
                            f.arity(),
                            args.len()
                        ),
                    });
                }
                if f == Func::Regex {
                    if let Some(Ast::Str { v }) = args.get(1) {
                        if regex::Regex::new(v).is_err() {
                            return Err(ExprError {
                                offset: t.at,
                                message: format!("regex pattern {v:?} is not valid"),
                            });
                        }
                    }
                }
                Ok(Ast::Call { f, args })
            }
            other => Err(ExprError {
                offset: t.at,
                message: format!("unexpected {}; a value is expected here", other.describe()),
            }),
        }
    }

    fn expect_close(&mut self, open_at: usize) -> Result<(), ExprError> {
        match self.next() {
            Some(Token {
                kind: Tok::RParen, ..
            }) => Ok(()),
            Some(t) => Err(ExprError {
                offset: t.at,
                message: format!("expected ')' or ',' but found {}", t.kind.describe()),
            }),
            None => Err(ExprError {
                offset: open_at,
                message: "'(' is never closed; add ')'".into(),
            }),
        }
    }
}

// ---------------------------------------------------------------- evaluation

/// A value during evaluation, XPath style.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Num(f64),
    Str(String),
    Bool(bool),
}

impl V {
    pub fn truthy(&self) -> bool {
        match self {
            V::Bool(b) => *b,
            V::Num(n) => *n != 0.0 && !n.is_nan(),
            V::Str(s) => !s.is_empty(),
        }
    }

    pub fn num(&self) -> f64 {
        match self {
            V::Num(n) => *n,
            V::Bool(b) => f64::from(u8::from(*b)),
            V::Str(s) => s.trim().parse().unwrap_or(f64::NAN),
        }
    }

    pub fn text(&self) -> String {
        match self {
            V::Str(s) => s.clone(),
            V::Bool(b) => b.to_string(),
            V::Num(n) if n.is_nan() => "NaN".into(),
            V::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            V::Num(n) => n.to_string(),
        }
    }
}

/// What an expression can see: the answers given so far and, in a constraint, `.`.
pub trait Context {
    /// The value of question `name`: `V::Str("")` when unanswered.
    fn value(&self, name: &str) -> V;
    fn current(&self) -> V;
    /// Today's date as YYYY-MM-DD.
    fn today(&self) -> String {
        chrono::Utc::now().date_naive().to_string()
    }
}

fn compare(op: BinOp, a: &V, b: &V) -> bool {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (a, b) {
        (V::Bool(_), _) | (_, V::Bool(_)) => Some(a.truthy().cmp(&b.truthy())),
        (V::Num(_), _) | (_, V::Num(_)) => a.num().partial_cmp(&b.num()),
        (V::Str(x), V::Str(y)) => {
            if matches!(op, BinOp::Eq | BinOp::Ne) {
                Some(x.cmp(y))
            } else {
                match (x.trim().parse::<f64>(), y.trim().parse::<f64>()) {
                    (Ok(p), Ok(q)) => p.partial_cmp(&q),
                    // Dates (YYYY-MM-DD) and other text compare as text.
                    _ if !x.is_empty() && !y.is_empty() => Some(x.cmp(y)),
                    _ => None,
                }
            }
        }
    };
    match (op, ord) {
        (BinOp::Ne, None) => true,
        (_, None) => false,
        (BinOp::Eq, Some(o)) => o == Ordering::Equal,
        (BinOp::Ne, Some(o)) => o != Ordering::Equal,
        (BinOp::Lt, Some(o)) => o == Ordering::Less,
        (BinOp::Le, Some(o)) => o != Ordering::Greater,
        (BinOp::Gt, Some(o)) => o == Ordering::Greater,
        (BinOp::Ge, Some(o)) => o != Ordering::Less,
        _ => false,
    }
}

pub fn eval(a: &Ast, ctx: &dyn Context) -> V {
    match a {
        Ast::Num { v } => V::Num(*v),
        Ast::Str { v } => V::Str(v.clone()),
        Ast::Ref { name, .. } => ctx.value(name),
        Ast::Current => ctx.current(),
        Ast::Neg { e } => V::Num(-eval(e, ctx).num()),
        Ast::Bin { op, l, r } => match op {
            BinOp::Or => V::Bool(eval(l, ctx).truthy() || eval(r, ctx).truthy()),
            BinOp::And => V::Bool(eval(l, ctx).truthy() && eval(r, ctx).truthy()),
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                V::Bool(compare(*op, &eval(l, ctx), &eval(r, ctx)))
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
                let (x, y) = (eval(l, ctx).num(), eval(r, ctx).num());
                V::Num(match op {
                    BinOp::Add => x + y,
                    BinOp::Sub => x - y,
                    BinOp::Mul => x * y,
                    BinOp::Div => x / y,
                    _ => x % y,
                })
            }
        },
        Ast::Call { f, args } => {
            let arg = |i: usize| eval(&args[i], ctx);
            match f {
                Func::Selected => {
                    let want = arg(1).text();
                    V::Bool(arg(0).text().split_whitespace().any(|c| c == want.trim()))
                }
                Func::CountSelected => V::Num(arg(0).text().split_whitespace().count() as f64),
                Func::Not => V::Bool(!arg(0).truthy()),
                Func::StringLength => V::Num(arg(0).text().chars().count() as f64),
                Func::Regex => {
                    let pattern = arg(1).text();
                    V::Bool(regex::Regex::new(&pattern).is_ok_and(|re| re.is_match(&arg(0).text())))
                }
                Func::Contains => V::Bool(arg(0).text().contains(&arg(1).text())),
                Func::StartsWith => V::Bool(arg(0).text().starts_with(&arg(1).text())),
                Func::Int => V::Num(arg(0).num().trunc()),
                Func::Number => V::Num(arg(0).num()),
                Func::String => V::Str(arg(0).text()),
                Func::If => {
                    if arg(0).truthy() {
                        arg(1)
                    } else {
                        arg(2)
                    }
                }
                Func::Coalesce => {
                    let first = arg(0);
                    if first.text().is_empty() {
                        arg(1)
                    } else {
                        first
                    }
                }
                Func::True => V::Bool(true),
                Func::False => V::Bool(false),
                Func::Today => V::Str(ctx.today()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The answers, `.` and today's date of the shared case table.
    struct Answers {
        values: HashMap<String, V>,
        current: V,
        today: String,
    }
    impl Context for Answers {
        fn value(&self, name: &str) -> V {
            self.values
                .get(name)
                .cloned()
                .unwrap_or(V::Str(String::new()))
        }
        fn current(&self) -> V {
            self.current.clone()
        }
        fn today(&self) -> String {
            self.today.clone()
        }
    }

    fn value_of(json: &serde_json::Value) -> V {
        match json {
            serde_json::Value::Number(n) => V::Num(n.as_f64().expect("finite")),
            serde_json::Value::Bool(b) => V::Bool(*b),
            serde_json::Value::String(s) => V::Str(s.clone()),
            other => panic!("not a case value: {other}"),
        }
    }

    /// The table the JavaScript port runs too (tests/api/browser.rs).
    #[test]
    fn evaluates_the_shared_expression_cases() {
        let table: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/expressions.json"))
                .expect("expressions.json");
        let ctx = Answers {
            values: table["answers"]
                .as_object()
                .expect("answers")
                .iter()
                .map(|(k, v)| (k.clone(), value_of(v)))
                .collect(),
            current: value_of(&table["current"]),
            today: table["today"].as_str().expect("today").to_string(),
        };
        let cases = table["cases"].as_array().expect("cases");
        assert!(cases.len() >= 50, "the table covers the language");
        for case in cases {
            let src = case["expr"].as_str().expect("expr");
            let e = Expression::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
            assert_eq!(eval(e.ast(), &ctx), value_of(&case["value"]), "{src}");
        }
        for f in Func::ALL {
            let call = format!("{}(", f.name());
            assert!(
                cases
                    .iter()
                    .any(|c| c["expr"].as_str().is_some_and(|s| s.contains(&call))),
                "no shared case calls {call})"
            );
        }
    }

    #[test]
    fn errors_point_at_the_bad_token() {
        let cases = [
            ("${age} >", 8, "ends too early"),
            ("${age} > 3 ${sector}", 11, "after a complete expression"),
            ("selectd(${a}, 'x')", 0, "unknown function"),
            ("${a} = yes", 7, "unknown word"),
            ("selected(${a})", 0, "takes 2 argument"),
            ("(${a} = 1", 0, "never closed"),
            ("${a} = 'x", 7, "not closed"),
            ("${1a} = 2", 2, "not a question id"),
            ("${a} ! 2", 5, "'!' alone"),
            ("${a} # 2", 5, "unexpected character"),
            ("regex(., '(')", 0, "not valid"),
        ];
        for (src, offset, msg) in cases {
            let e = Expression::parse(src).expect_err(src);
            assert_eq!(e.offset, offset, "{src}: {e}");
            assert!(e.message.contains(msg), "{src}: {e}");
        }
    }

    #[test]
    fn references_and_round_trip() {
        let e = Expression::parse("${a} = 1 and selected(${b}, 'x') or .").expect("valid");
        assert_eq!(e.references(), vec![("a", 0), ("b", 22)]);
        assert!(e.uses_current());
        let json = serde_json::to_string(&e).expect("valid");
        let back: Expression = serde_json::from_str(&json).expect("valid");
        assert_eq!(back, e);
        assert_eq!(back.ast(), e.ast());
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let src = format!("{}1{}", "(".repeat(500), ")".repeat(500));
        assert!(Expression::parse(&src).is_err());
        let src = format!("{}1", "-".repeat(500));
        assert!(Expression::parse(&src).is_err());
    }
}
