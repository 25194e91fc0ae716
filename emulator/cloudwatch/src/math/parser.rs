//! The metric-math language: a lexer and a Pratt parser.
//!
//! ```text
//! expr     := expr OP expr | '-' expr | primary
//! OP       := OR || | AND && | == != < <= > >= | + - | * / | ^      (loosest to tightest)
//! primary  := number | 'string' | "string" | id | FUNCTION '(' args ')' | KEYWORD
//!           | '(' expr ')' | '[' expr, ... ']'
//! ```
//! Ids start with a lower-case letter; functions and keywords (`REPEAT`, `AVG` as a
//! SORT argument, ...) are upper case. `^` is right-associative; the others left.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Num(f64),
    Str(String),
    /// A lower-case-initial identifier: a query id.
    Id(String),
    /// An upper-case-initial word: a function, a keyword, AND, OR.
    Word(String),
    Op(&'static str),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Num(n) => write!(f, "{n}"),
            Tok::Str(s) => write!(f, "'{s}'"),
            Tok::Id(s) | Tok::Word(s) => write!(f, "{s}"),
            Tok::Op(o) => write!(f, "{o}"),
            Tok::LParen => write!(f, "("),
            Tok::RParen => write!(f, ")"),
            Tok::LBracket => write!(f, "["),
            Tok::RBracket => write!(f, "]"),
            Tok::Comma => write!(f, ","),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(f64),
    Str(String),
    Id(String),
    Keyword(String),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
    Array(Vec<Expr>),
}

impl Expr {
    /// Every query id the expression refers to (for dependency checks).
    pub fn ids(&self, out: &mut Vec<String>) {
        match self {
            Expr::Id(id) => out.push(id.clone()),
            Expr::Neg(e) => e.ids(out),
            Expr::Bin(_, a, b) => {
                a.ids(out);
                b.ids(out);
            }
            Expr::Call(_, args) | Expr::Array(args) => args.iter().for_each(|a| a.ids(out)),
            Expr::Num(_) | Expr::Str(_) | Expr::Keyword(_) => {}
        }
    }

    /// Whether a function is called anywhere in the expression.
    #[allow(dead_code)] // alarms refuse SEARCH, next
    pub fn calls(&self, name: &str) -> bool {
        match self {
            Expr::Call(f, args) => f == name || args.iter().any(|a| a.calls(name)),
            Expr::Array(args) => args.iter().any(|a| a.calls(name)),
            Expr::Neg(e) => e.calls(name),
            Expr::Bin(_, a, b) => a.calls(name) || b.calls(name),
            _ => false,
        }
    }
}

pub fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let op2 = match two.as_str() {
            "==" => Some("=="),
            "!=" => Some("!="),
            "<=" => Some("<="),
            ">=" => Some(">="),
            "&&" => Some("&&"),
            "||" => Some("||"),
            _ => None,
        };
        if let Some(op) = op2 {
            out.push(Tok::Op(op));
            i += 2;
            continue;
        }
        match c {
            '(' => out.push(Tok::LParen),
            ')' => out.push(Tok::RParen),
            '[' => out.push(Tok::LBracket),
            ']' => out.push(Tok::RBracket),
            ',' => out.push(Tok::Comma),
            '+' => out.push(Tok::Op("+")),
            '-' => out.push(Tok::Op("-")),
            '*' => out.push(Tok::Op("*")),
            '/' => out.push(Tok::Op("/")),
            '^' => out.push(Tok::Op("^")),
            '<' => out.push(Tok::Op("<")),
            '>' => out.push(Tok::Op(">")),
            '\'' | '"' | '\u{201c}' | '\u{201d}' => {
                let close = if c == '\u{201c}' { '\u{201d}' } else { c };
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(format!("Unterminated string starting at position {}", out.len())),
                        Some('\\') if chars.get(i + 1).is_some() => {
                            s.push('\\');
                            s.push(chars[i + 1]);
                            i += 2;
                        }
                        Some(ch) if *ch == close || (close == '\u{201d}' && *ch == '"') => break,
                        Some(ch) => {
                            s.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(s));
            }
            d if d.is_ascii_digit() || (d == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                    let mut j = i + 1;
                    if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                        j += 1;
                    }
                    if j < chars.len() && chars[j].is_ascii_digit() {
                        i = j;
                        while i < chars.len() && chars[i].is_ascii_digit() {
                            i += 1;
                        }
                    }
                }
                let text: String = chars[start..i].iter().collect();
                let n: f64 = text.parse().map_err(|_| format!("Invalid number {text}"))?;
                out.push(Tok::Num(n));
                continue;
            }
            a if a.is_ascii_alphabetic() || a == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                out.push(if a.is_ascii_lowercase() { Tok::Id(word) } else { Tok::Word(word) });
                continue;
            }
            other => return Err(format!("Unexpected character '{other}'")),
        }
        i += 1;
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

fn binop(tok: &Tok) -> Option<(BinOp, u8, bool)> {
    // (operator, binding power, right-associative)
    Some(match tok {
        Tok::Word(w) if w == "OR" => (BinOp::Or, 1, false),
        Tok::Op("||") => (BinOp::Or, 1, false),
        Tok::Word(w) if w == "AND" => (BinOp::And, 2, false),
        Tok::Op("&&") => (BinOp::And, 2, false),
        Tok::Op("==") => (BinOp::Eq, 3, false),
        Tok::Op("!=") => (BinOp::Ne, 3, false),
        Tok::Op("<") => (BinOp::Lt, 3, false),
        Tok::Op("<=") => (BinOp::Le, 3, false),
        Tok::Op(">") => (BinOp::Gt, 3, false),
        Tok::Op(">=") => (BinOp::Ge, 3, false),
        Tok::Op("+") => (BinOp::Add, 4, false),
        Tok::Op("-") => (BinOp::Sub, 4, false),
        Tok::Op("*") => (BinOp::Mul, 5, false),
        Tok::Op("/") => (BinOp::Div, 5, false),
        Tok::Op("^") => (BinOp::Pow, 7, true),
        _ => return None,
    })
}

const UNARY_POWER: u8 = 6;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, want: Tok) -> Result<(), String> {
        match self.next() {
            Some(t) if t == want => Ok(()),
            Some(t) => Err(format!("Expected '{want}' but found '{t}'")),
            None => Err(format!("Expected '{want}' but the expression ended")),
        }
    }

    fn expr(&mut self, min_power: u8) -> Result<Expr, String> {
        let mut lhs = self.prefix()?;
        while let Some((op, power, right)) = self.peek().and_then(binop) {
            if power < min_power {
                break;
            }
            self.pos += 1;
            let rhs = self.expr(if right { power } else { power + 1 })?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn list(&mut self, close: Tok) -> Result<Vec<Expr>, String> {
        let mut items = Vec::new();
        if self.peek() == Some(&close) {
            self.pos += 1;
            return Ok(items);
        }
        loop {
            items.push(self.expr(0)?);
            match self.next() {
                Some(Tok::Comma) => continue,
                Some(t) if t == close => return Ok(items),
                Some(t) => return Err(format!("Expected ',' or '{close}' but found '{t}'")),
                None => return Err(format!("Expected '{close}' but the expression ended")),
            }
        }
    }

    fn prefix(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Tok::Num(n)) => Ok(Expr::Num(n)),
            Some(Tok::Str(s)) => Ok(Expr::Str(s)),
            Some(Tok::Id(id)) => {
                if self.peek() == Some(&Tok::LParen) {
                    return Err(format!("Unknown function {id}: functions are written in upper case"));
                }
                Ok(Expr::Id(id))
            }
            Some(Tok::Op("-")) => Ok(Expr::Neg(Box::new(self.expr(UNARY_POWER)?))),
            Some(Tok::Op("+")) => self.expr(UNARY_POWER),
            Some(Tok::LParen) => {
                let e = self.expr(0)?;
                self.expect(Tok::RParen)?;
                Ok(e)
            }
            Some(Tok::LBracket) => Ok(Expr::Array(self.list(Tok::RBracket)?)),
            Some(Tok::Word(w)) => {
                if self.peek() == Some(&Tok::LParen) {
                    self.pos += 1;
                    let args = self.list(Tok::RParen)?;
                    Ok(Expr::Call(w, args))
                } else {
                    Ok(Expr::Keyword(w))
                }
            }
            Some(t) => Err(format!("Unexpected '{t}'")),
            None => Err("The expression ended unexpectedly".into()),
        }
    }
}

/// Parses a metric-math expression; the error is a sentence naming what went wrong.
pub fn parse(src: &str) -> Result<Expr, String> {
    let toks = lex(src)?;
    if toks.is_empty() {
        return Err("The expression is empty".into());
    }
    let mut p = Parser { toks, pos: 0 };
    let e = p.expr(0)?;
    if let Some(t) = p.peek() {
        return Err(format!("Unexpected '{t}' after the end of the expression"));
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Box<Expr> {
        Box::new(Expr::Id(s.into()))
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(
            parse("m1 + m2 * 2").unwrap(),
            Expr::Bin(BinOp::Add, id("m1"), Box::new(Expr::Bin(BinOp::Mul, id("m2"), Box::new(Expr::Num(2.0)))))
        );
        assert_eq!(
            parse("2 ^ 3 ^ 2").unwrap(),
            Expr::Bin(
                BinOp::Pow,
                Box::new(Expr::Num(2.0)),
                Box::new(Expr::Bin(BinOp::Pow, Box::new(Expr::Num(3.0)), Box::new(Expr::Num(2.0))))
            )
        );
        assert_eq!(
            parse("-m1 - 1").unwrap(),
            Expr::Bin(BinOp::Sub, Box::new(Expr::Neg(id("m1"))), Box::new(Expr::Num(1.0)))
        );
        assert_eq!(
            parse("m1 > 15 AND m2 > 15 || m3 == 0").unwrap(),
            Expr::Bin(
                BinOp::Or,
                Box::new(Expr::Bin(
                    BinOp::And,
                    Box::new(Expr::Bin(BinOp::Gt, id("m1"), Box::new(Expr::Num(15.0)))),
                    Box::new(Expr::Bin(BinOp::Gt, id("m2"), Box::new(Expr::Num(15.0))))
                )),
                Box::new(Expr::Bin(BinOp::Eq, id("m3"), Box::new(Expr::Num(0.0))))
            )
        );
    }

    #[test]
    fn calls_arrays_strings_and_keywords() {
        assert_eq!(
            parse("SORT(METRICS(\"errors\"), AVG, DESC, 10)").unwrap(),
            Expr::Call(
                "SORT".into(),
                vec![
                    Expr::Call("METRICS".into(), vec![Expr::Str("errors".into())]),
                    Expr::Keyword("AVG".into()),
                    Expr::Keyword("DESC".into()),
                    Expr::Num(10.0)
                ]
            )
        );
        assert_eq!(
            parse("SUM([m1, m2])").unwrap(),
            Expr::Call("SUM".into(), vec![Expr::Array(vec![Expr::Id("m1".into()), Expr::Id("m2".into())])])
        );
        assert_eq!(
            parse("1e-36 + .5").unwrap(),
            Expr::Bin(BinOp::Add, Box::new(Expr::Num(1e-36)), Box::new(Expr::Num(0.5)))
        );
        assert_eq!(
            parse("SEARCH('{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"', 'Average', 300)").unwrap(),
            Expr::Call(
                "SEARCH".into(),
                vec![
                    Expr::Str("{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"".into()),
                    Expr::Str("Average".into()),
                    Expr::Num(300.0)
                ]
            )
        );
        assert_eq!(parse("METRICS()").unwrap(), Expr::Call("METRICS".into(), vec![]));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(parse("m1 +").unwrap_err(), "The expression ended unexpectedly");
        assert_eq!(parse("(m1 + m2").unwrap_err(), "Expected ')' but the expression ended");
        assert_eq!(parse("m1 m2").unwrap_err(), "Unexpected 'm2' after the end of the expression");
        assert_eq!(parse("m1 $ 2").unwrap_err(), "Unexpected character '$'");
        assert_eq!(parse("sum(m1)").unwrap_err(), "Unknown function sum: functions are written in upper case");
        assert_eq!(parse("").unwrap_err(), "The expression is empty");
        assert_eq!(parse("'abc").unwrap_err(), "Unterminated string starting at position 0");
    }
}
