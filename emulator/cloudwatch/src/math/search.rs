//! SEARCH expressions over the stored metrics:
//! `{Namespace, DimensionName, ...} term AND (term OR NOT Property="exact")`.
//!
//! - The schema in braces matches a namespace and exactly that set of dimension names.
//! - A bare term is a partial match: its tokens must equal a run of consecutive tokens
//!   of the metric name, namespace, a dimension name or value (tokens split at
//!   non-alphanumerics, camel case and digits; compared case-insensitively).
//! - A double-quoted term must equal one of those strings exactly.
//! - `Property=value` restricts the match to `MetricName`, `Namespace` or the named
//!   dimension's value; terms are joined by AND (also implicit), OR and NOT, with
//!   parentheses.

use crate::store::MetricKey;

#[derive(Debug, Clone, PartialEq)]
enum Term {
    Partial(Vec<String>),
    Exact(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Cond {
    Match(Option<String>, Term),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    True,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    schema: Option<(String, Vec<String>)>,
    cond: Cond,
}

/// Tokens of a name as CloudWatch generates them (lower-cased).
pub fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in s.split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<char> = chunk.chars().collect();
        let mut cur = String::new();
        for (i, c) in chars.iter().enumerate() {
            if !cur.is_empty() {
                let prev = chars[i - 1];
                let next = chars.get(i + 1);
                let boundary = (prev.is_lowercase() && c.is_uppercase())
                    || (prev.is_alphabetic() != c.is_alphabetic())
                    || (prev.is_uppercase() && c.is_uppercase() && next.is_some_and(|n| n.is_lowercase()));
                if boundary {
                    out.push(cur.to_lowercase());
                    cur.clear();
                }
            }
            cur.push(*c);
        }
        if !cur.is_empty() {
            out.push(cur.to_lowercase());
        }
    }
    out
}

fn partial_match(term: &[String], text: &str) -> bool {
    if term.is_empty() {
        return false;
    }
    let want: String = term.concat();
    let toks = tokens(text);
    for i in 0..toks.len() {
        let mut joined = String::new();
        for t in &toks[i..] {
            joined.push_str(t);
            if joined == want {
                return true;
            }
            if joined.len() >= want.len() {
                break;
            }
        }
    }
    false
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Eq,
    LParen,
    RParen,
}

impl Lexer {
    fn tokens(&mut self) -> Result<Vec<Tok>, String> {
        let mut out = Vec::new();
        while self.pos < self.chars.len() {
            let c = self.chars[self.pos];
            match c {
                c if c.is_whitespace() || c == ',' => self.pos += 1,
                '(' => {
                    out.push(Tok::LParen);
                    self.pos += 1;
                }
                ')' => {
                    out.push(Tok::RParen);
                    self.pos += 1;
                }
                '=' => {
                    out.push(Tok::Eq);
                    self.pos += 1;
                }
                '"' => {
                    self.pos += 1;
                    let mut s = String::new();
                    loop {
                        match self.chars.get(self.pos) {
                            None => return Err("Unterminated quoted term in the search expression".into()),
                            Some('\\') => {
                                if let Some(n) = self.chars.get(self.pos + 1) {
                                    s.push(*n);
                                }
                                self.pos += 2;
                            }
                            Some('"') => {
                                self.pos += 1;
                                break;
                            }
                            Some(ch) => {
                                s.push(*ch);
                                self.pos += 1;
                            }
                        }
                    }
                    out.push(Tok::Quoted(s));
                }
                _ => {
                    let start = self.pos;
                    while self.pos < self.chars.len() {
                        let ch = self.chars[self.pos];
                        if ch.is_whitespace() || "()=\",".contains(ch) {
                            break;
                        }
                        self.pos += 1;
                    }
                    out.push(Tok::Word(self.chars[start..self.pos].iter().collect()));
                }
            }
        }
        Ok(out)
    }
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn or(&mut self) -> Result<Cond, String> {
        let mut lhs = self.and()?;
        while self.peek() == Some(&Tok::Word("OR".into())) {
            self.pos += 1;
            lhs = Cond::Or(Box::new(lhs), Box::new(self.and()?));
        }
        Ok(lhs)
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut lhs = self.not()?;
        loop {
            match self.peek() {
                Some(Tok::Word(w)) if w == "AND" => {
                    self.pos += 1;
                    lhs = Cond::And(Box::new(lhs), Box::new(self.not()?));
                }
                Some(Tok::Word(w)) if w == "OR" => break,
                Some(Tok::RParen) | None => break,
                Some(_) => lhs = Cond::And(Box::new(lhs), Box::new(self.not()?)),
            }
        }
        Ok(lhs)
    }

    fn not(&mut self) -> Result<Cond, String> {
        if self.peek() == Some(&Tok::Word("NOT".into())) {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn term(tok: Tok) -> Result<Term, String> {
        match tok {
            Tok::Quoted(s) => Ok(Term::Exact(s)),
            Tok::Word(w) => Ok(Term::Partial(tokens(&w))),
            other => Err(format!("Unexpected {other:?} in the search expression")),
        }
    }

    fn atom(&mut self) -> Result<Cond, String> {
        let tok = self.toks.get(self.pos).cloned().ok_or("The search term ended unexpectedly")?;
        self.pos += 1;
        match tok {
            Tok::LParen => {
                let c = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err("Missing ')' in the search expression".into());
                }
                self.pos += 1;
                Ok(c)
            }
            Tok::Word(w) | Tok::Quoted(w) if self.peek() == Some(&Tok::Eq) => {
                self.pos += 1;
                let value =
                    self.toks.get(self.pos).cloned().ok_or("A property needs a value in the search expression")?;
                self.pos += 1;
                Ok(Cond::Match(Some(w), Self::term(value)?))
            }
            other => Ok(Cond::Match(None, Self::term(other)?)),
        }
    }
}

fn schema_items(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                items.push(cur.trim().to_string());
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        items.push(cur.trim().to_string());
    }
    items
}

impl Search {
    pub fn parse(query: &str) -> Result<Search, String> {
        let text = query.trim();
        let (schema, rest) = if let Some(body) = text.strip_prefix('{') {
            let close = body.find('}').ok_or("Missing '}' in the metric schema of the search expression")?;
            let items = schema_items(&body[..close]);
            let Some((ns, dims)) = items.split_first() else {
                return Err("The metric schema of a search expression must name a namespace".into());
            };
            (Some((ns.clone(), dims.to_vec())), &body[close + 1..])
        } else {
            (None, text)
        };
        let toks = Lexer { chars: rest.chars().collect(), pos: 0 }.tokens()?;
        let cond = if toks.is_empty() {
            if schema.is_none() {
                return Err("A search expression needs a metric schema, a search term or both".into());
            }
            Cond::True
        } else {
            let mut p = Parser { toks, pos: 0 };
            let c = p.or()?;
            if p.pos < p.toks.len() {
                return Err("Unexpected ')' in the search expression".into());
            }
            c
        };
        Ok(Search { schema, cond })
    }

    pub fn matches(&self, key: &MetricKey) -> bool {
        if let Some((ns, dims)) = &self.schema {
            if *ns != key.namespace || dims.len() != key.dimensions.len() {
                return false;
            }
            if !dims.iter().all(|d| key.dimensions.iter().any(|(n, _)| n == d)) {
                return false;
            }
        }
        eval(&self.cond, key)
    }
}

fn term_matches(term: &Term, text: &str) -> bool {
    match term {
        Term::Exact(s) => s == text,
        Term::Partial(t) => partial_match(t, text),
    }
}

fn eval(cond: &Cond, key: &MetricKey) -> bool {
    match cond {
        Cond::True => true,
        Cond::And(a, b) => eval(a, key) && eval(b, key),
        Cond::Or(a, b) => eval(a, key) || eval(b, key),
        Cond::Not(a) => !eval(a, key),
        Cond::Match(None, term) => {
            term_matches(term, &key.name)
                || term_matches(term, &key.namespace)
                || key.dimensions.iter().any(|(n, v)| term_matches(term, n) || term_matches(term, v))
        }
        Cond::Match(Some(prop), term) => match prop.as_str() {
            "MetricName" => term_matches(term, &key.name),
            "Namespace" => term_matches(term, &key.namespace),
            ":aws.AccountId" => true,
            dim => key.dimension(dim).is_some_and(|v| term_matches(term, v)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ns: &str, name: &str, dims: &[(&str, &str)]) -> MetricKey {
        MetricKey::new(ns, name, dims.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect())
    }

    #[test]
    fn tokens_as_documented() {
        assert_eq!(tokens("CustomCount1"), vec!["custom", "count", "1"]);
        assert_eq!(tokens("SDBFailure"), vec!["sdb", "failure"]);
        assert_eq!(tokens("Project2-trial333"), vec!["project", "2", "trial", "333"]);
        assert_eq!(tokens("Network-Errors_2"), vec!["network", "errors", "2"]);
    }

    #[test]
    fn schemas_terms_and_operators() {
        let cpu_a = key("AWS/EC2", "CPUUtilization", &[("InstanceId", "i-1")]);
        let cpu_b = key("AWS/EC2", "CPUUtilization", &[("InstanceId", "i-2"), ("InstanceType", "t2.micro")]);
        let custom = key("App", "CustomCount1", &[("Stage", "prod")]);
        let s = |q: &str| Search::parse(q).unwrap();
        let q = s("{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"");
        assert!(q.matches(&cpu_a) && !q.matches(&cpu_b) && !q.matches(&custom));
        assert!(s("count").matches(&custom));
        assert!(s("Count1").matches(&custom));
        assert!(s("customcount1").matches(&custom));
        assert!(!s("\"Custom\"").matches(&custom));
        assert!(s("\"CustomCount1\"").matches(&custom));
        assert!(s("InstanceType=micro").matches(&cpu_b));
        assert!(!s("InstanceType=micro").matches(&cpu_a));
        assert!(!s("{AWS/EC2, InstanceId} NOT i-1").matches(&cpu_a));
        assert!(s("NOT Namespace=AWS").matches(&custom));
        assert!(!s("NOT Namespace=AWS").matches(&cpu_a));
        assert!(s("(EC2 OR App) AND MetricName=CPUUtilization").matches(&cpu_a));
        assert!(s("(EC2 OR App) count").matches(&custom));
        assert!(s("{App, Stage}").matches(&custom));
        assert!(Search::parse("").is_err());
        assert!(Search::parse("{AWS/EC2").is_err());
        assert!(Search::parse("(a OR b").is_err());
    }
}
