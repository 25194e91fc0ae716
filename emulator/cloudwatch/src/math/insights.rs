//! Metrics Insights queries, the part nimbus supports:
//!
//! ```text
//! SELECT AVG|COUNT|MAX|MIN|SUM(metricName)
//! FROM namespace | SCHEMA(namespace [, dimensionName ...])
//! [WHERE dimension = 'value' | dimension != 'value' [AND|OR ...]]
//! [GROUP BY dimension [, ...]]
//! [ORDER BY AVG|COUNT|MAX|MIN|SUM() [ASC|DESC]]
//! [LIMIT n]
//! ```
//! Keywords are case-insensitive; names may be double-quoted. Each period aggregates
//! every observation of every matching metric; GROUP BY makes one time series per
//! combination of values (`Other` for a metric without the dimension).

use crate::store::MetricKey;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Func {
    Avg,
    Count,
    Max,
    Min,
    Sum,
}

impl Func {
    fn parse(s: &str) -> Option<Func> {
        Some(match s.to_ascii_uppercase().as_str() {
            "AVG" => Func::Avg,
            "COUNT" => Func::Count,
            "MAX" => Func::Max,
            "MIN" => Func::Min,
            "SUM" => Func::Sum,
            _ => return None,
        })
    }

    /// The statistic a period of merged observations is reduced with.
    pub fn stat(&self) -> &'static str {
        match self {
            Func::Avg => "Average",
            Func::Count => "SampleCount",
            Func::Max => "Maximum",
            Func::Min => "Minimum",
            Func::Sum => "Sum",
        }
    }

    /// The math summary ORDER BY ranks series with.
    pub fn summary(&self) -> &'static str {
        match self {
            Func::Avg => "AVG",
            Func::Count => "DATAPOINT_COUNT",
            Func::Max => "MAX",
            Func::Min => "MIN",
            Func::Sum => "SUM",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Where {
    Eq(String, String),
    Ne(String, String),
    And(Box<Where>, Box<Where>),
    Or(Box<Where>, Box<Where>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub func: Func,
    pub metric: String,
    pub namespace: String,
    /// `SCHEMA(...)`'s dimension names: the exact set a metric must have.
    pub schema: Option<Vec<String>>,
    pub filter: Option<Where>,
    pub group_by: Vec<String>,
    pub order_by: Option<(Func, bool)>,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Value(String),
    Num(usize),
    Sym(&'static str),
}

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' | ')' | ',' | '=' => {
                out.push(Tok::Sym(match c {
                    '(' => "(",
                    ')' => ")",
                    ',' => ",",
                    _ => "=",
                }));
                i += 1;
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                out.push(Tok::Sym("!="));
                i += 2;
            }
            '"' | '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("an unterminated quoted string".into()),
                        Some('\\') => {
                            if let Some(n) = chars.get(i + 1) {
                                s.push(*n);
                            }
                            i += 2;
                        }
                        Some(q) if *q == c => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            s.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push(if c == '"' { Tok::Quoted(s) } else { Tok::Value(s) });
            }
            d if d.is_ascii_digit() => {
                let start = i;
                while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                out.push(match text.parse() {
                    Ok(n) => Tok::Num(n),
                    Err(_) => Tok::Word(text),
                });
            }
            a if a.is_alphanumeric() || a == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push(Tok::Word(chars[start..i].iter().collect()));
            }
            other => return Err(format!("an unexpected character '{other}'")),
        }
    }
    Ok(out)
}

struct P {
    toks: Vec<Tok>,
    pos: usize,
}

impl P {
    fn keyword(&mut self, kw: &str) -> bool {
        if let Some(Tok::Word(w)) = self.toks.get(self.pos) {
            if w.eq_ignore_ascii_case(kw) {
                self.pos += 1;
                return true;
            }
        }
        false
    }

    fn expect_keyword(&mut self, kw: &str) -> Result<(), String> {
        if self.keyword(kw) {
            Ok(())
        } else {
            Err(format!("{kw} was expected"))
        }
    }

    fn sym(&mut self, s: &str) -> bool {
        if self.toks.get(self.pos)
            == Some(&Tok::Sym(match s {
                "(" => "(",
                ")" => ")",
                "," => ",",
                "=" => "=",
                _ => "!=",
            }))
        {
            self.pos += 1;
            return true;
        }
        false
    }

    fn expect_sym(&mut self, s: &str) -> Result<(), String> {
        if self.sym(s) {
            Ok(())
        } else {
            Err(format!("'{s}' was expected"))
        }
    }

    fn name(&mut self) -> Result<String, String> {
        match self.toks.get(self.pos).cloned() {
            Some(Tok::Word(w)) | Some(Tok::Quoted(w)) => {
                self.pos += 1;
                Ok(w)
            }
            _ => Err("a name was expected".into()),
        }
    }

    fn func(&mut self) -> Result<Func, String> {
        let w = self.name()?;
        Func::parse(&w).ok_or_else(|| format!("{w} is not a function: use AVG, COUNT, MAX, MIN or SUM"))
    }

    fn clause(&mut self) -> Result<Where, String> {
        if self.sym("(") {
            let w = self.condition()?;
            self.expect_sym(")")?;
            return Ok(w);
        }
        let key = self.name()?;
        let negate = if self.sym("=") {
            false
        } else if self.sym("!=") {
            true
        } else {
            return Err("'=' or '!=' was expected".into());
        };
        let value = match self.toks.get(self.pos).cloned() {
            Some(Tok::Value(v)) => v,
            _ => return Err("a label value in single quotes was expected".into()),
        };
        self.pos += 1;
        Ok(if negate { Where::Ne(key, value) } else { Where::Eq(key, value) })
    }

    fn conjunction(&mut self) -> Result<Where, String> {
        let mut lhs = self.clause()?;
        while self.keyword("AND") {
            lhs = Where::And(Box::new(lhs), Box::new(self.clause()?));
        }
        Ok(lhs)
    }

    fn condition(&mut self) -> Result<Where, String> {
        let mut lhs = self.conjunction()?;
        while self.keyword("OR") {
            lhs = Where::Or(Box::new(lhs), Box::new(self.conjunction()?));
        }
        Ok(lhs)
    }
}

/// Whether an expression is a Metrics Insights query rather than metric math.
pub fn is_query(expression: &str) -> bool {
    expression.trim_start().get(..6).is_some_and(|s| s.eq_ignore_ascii_case("SELECT"))
}

pub fn parse(src: &str) -> Result<Query, String> {
    let mut p = P { toks: lex(src)?, pos: 0 };
    p.expect_keyword("SELECT")?;
    let func = p.func()?;
    p.expect_sym("(")?;
    let metric = p.name()?;
    p.expect_sym(")")?;
    p.expect_keyword("FROM")?;
    let (namespace, schema) = if p.keyword("SCHEMA") {
        p.expect_sym("(")?;
        let ns = p.name()?;
        let mut dims = Vec::new();
        while p.sym(",") {
            dims.push(p.name()?);
        }
        p.expect_sym(")")?;
        (ns, Some(dims))
    } else {
        (p.name()?, None)
    };
    let filter = if p.keyword("WHERE") { Some(p.condition()?) } else { None };
    let mut group_by = Vec::new();
    if p.keyword("GROUP") {
        p.expect_keyword("BY")?;
        group_by.push(p.name()?);
        while p.sym(",") {
            group_by.push(p.name()?);
        }
    }
    let order_by = if p.keyword("ORDER") {
        p.expect_keyword("BY")?;
        let f = p.func()?;
        p.expect_sym("(")?;
        p.expect_sym(")")?;
        let desc = if p.keyword("DESC") {
            true
        } else {
            p.keyword("ASC");
            false
        };
        Some((f, desc))
    } else {
        None
    };
    let limit = if p.keyword("LIMIT") {
        match p.toks.get(p.pos) {
            Some(Tok::Num(n)) if (1..=500).contains(n) => {
                p.pos += 1;
                *n
            }
            _ => return Err("LIMIT takes a number from 1 to 500".into()),
        }
    } else {
        500
    };
    if let Some(t) = p.toks.get(p.pos) {
        return Err(format!("unexpected {t:?} at the end of the query"));
    }
    Ok(Query { func, metric, namespace, schema, filter, group_by, order_by, limit })
}

fn check(w: &Where, key: &MetricKey) -> bool {
    match w {
        Where::Eq(k, v) => key.dimension(k) == Some(v.as_str()),
        Where::Ne(k, v) => key.dimension(k) != Some(v.as_str()),
        Where::And(a, b) => check(a, key) && check(b, key),
        Where::Or(a, b) => check(a, key) || check(b, key),
    }
}

impl Query {
    pub fn matches(&self, key: &MetricKey) -> bool {
        if key.namespace != self.namespace || key.name != self.metric {
            return false;
        }
        if let Some(dims) = &self.schema {
            if dims.len() != key.dimensions.len() || !dims.iter().all(|d| key.dimension(d).is_some()) {
                return false;
            }
        }
        self.filter.as_ref().is_none_or(|w| check(w, key))
    }

    /// The group a metric belongs to: its values of the GROUP BY dimensions.
    pub fn group(&self, key: &MetricKey) -> Vec<String> {
        self.group_by.iter().map(|d| key.dimension(d).unwrap_or("Other").to_string()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_queries() {
        let q = parse(
            "SELECT SUM(RequestCount) FROM SCHEMA(\"AWS/ApplicationELB\", LoadBalancer, AvailabilityZone) \
             WHERE LoadBalancer = 'app/load-balancer-1' GROUP BY AvailabilityZone ORDER BY MAX() DESC LIMIT 5",
        )
        .unwrap();
        assert_eq!(q.func, Func::Sum);
        assert_eq!(q.metric, "RequestCount");
        assert_eq!(q.namespace, "AWS/ApplicationELB");
        assert_eq!(q.schema, Some(vec!["LoadBalancer".to_string(), "AvailabilityZone".to_string()]));
        assert_eq!(q.filter, Some(Where::Eq("LoadBalancer".into(), "app/load-balancer-1".into())));
        assert_eq!(q.group_by, vec!["AvailabilityZone"]);
        assert_eq!(q.order_by, Some((Func::Max, true)));
        assert_eq!(q.limit, 5);
        let q = parse("select avg(CPUUtilization) from \"AWS/EC2\"").unwrap();
        assert_eq!((q.func, q.schema, q.limit), (Func::Avg, None, 500));
        assert!(is_query("  SELECT x"));
        assert!(!is_query("m1 + 1"));
        for bad in [
            "SELECT AVERAGE(x) FROM y",
            "SELECT AVG(x)",
            "SELECT AVG(x) FROM y LIMIT 501",
            "SELECT AVG(x) FROM y WHERE a = b",
            "SELECT AVG(x) FROM y extra",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matching_and_groups() {
        let q = parse("SELECT AVG(Latency) FROM SCHEMA(App, Service) WHERE Service != 'web' GROUP BY Service").unwrap();
        let api = MetricKey::new("App", "Latency", vec![("Service".into(), "api".into())]);
        let web = MetricKey::new("App", "Latency", vec![("Service".into(), "web".into())]);
        let two =
            MetricKey::new("App", "Latency", vec![("Service".into(), "api".into()), ("Stage".into(), "p".into())]);
        assert!(q.matches(&api) && !q.matches(&web) && !q.matches(&two));
        assert_eq!(q.group(&api), vec!["api"]);
        let q = parse("SELECT MAX(Latency) FROM App GROUP BY Stage").unwrap();
        assert!(q.matches(&two) && q.matches(&api));
        assert_eq!(q.group(&api), vec!["Other"]);
    }
}
